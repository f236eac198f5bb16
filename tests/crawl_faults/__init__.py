"""Spiders and pipelines that break on purpose, for tests of crawl outcomes.

Loaded only by tests (``--set SPIDER_MODULES=olmstats.platforms,tests.crawl_faults.spiders``).
"""
