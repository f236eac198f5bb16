"""Run the Scrapy spiders in this process (Scrapy is imported only here)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from olmstats.errors import InputError

SPIDERS = ("freelancer_profiles", "freelancer_jobs")
#: Finish reasons that mean the crawl did what it was asked.
CLEAN_FINISHES = {"finished"}


@dataclass(frozen=True)
class CrawlResult:
    spider: str
    run_id: str
    finish_reason: str
    failure: str | None
    items_kept: int

    @property
    def ok(self) -> bool:
        return self.finish_reason in CLEAN_FINISHES or self.finish_reason.startswith("closespider_")


def project_settings(overrides: dict[str, Any]) -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "spiders.settings")
    try:
        from scrapy.utils.project import get_project_settings
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError("crawling needs Scrapy: pip install 'olmstats[crawl]'") from None
    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    return settings


def run_spiders(
    jobs: list[tuple[str, dict[str, str]]], overrides: dict[str, Any]
) -> list[CrawlResult]:
    """Run each (spider name, arguments) concurrently in one Scrapy process; block until done."""
    for name, _ in jobs:
        if name not in SPIDERS:
            raise InputError(f"unknown spider {name!r}: one of {', '.join(SPIDERS)}")
    settings = project_settings(overrides)
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)  # LOG_INSTALL_ROOT_HANDLER defaults to True
    crawlers = []
    for name, arguments in jobs:
        crawler = process.create_crawler(name)
        process.crawl(crawler, **arguments)
        crawlers.append(crawler)
    process.start()
    results = []
    for crawler in crawlers:
        stats = crawler.stats
        kept = sum(v for k, v in stats.get_stats().items() if k.startswith("olm/store/rows/"))
        results.append(
            CrawlResult(
                spider=crawler.spider.name,
                run_id=crawler.spider.run_id,
                finish_reason=str(stats.get_value("finish_reason") or "unknown"),
                failure=stats.get_value("olm/failure"),
                items_kept=kept,
            )
        )
    return results
