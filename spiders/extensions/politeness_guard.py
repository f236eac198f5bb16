"""Refuse to crawl a real host with impolite settings.

Only a loopback host (the replay server) may lift the defaults of settings.py. Against any other
host the crawl stops with reason ``impolite_settings`` before its first request unless: robots.txt
is obeyed, AutoThrottle is on, at least one second separates requests to a host, one request at a
time goes to a host, cookies are off, and OLM_CONTACT_URL names the operator.
"""

from __future__ import annotations

from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider


def politeness_problems(settings: dict | object, *, loopback: bool) -> list[str]:
    """What is impolite about *settings* (a Scrapy Settings object) for a non-loopback host."""
    if loopback:
        return []
    problems = []
    if not settings.getbool("ROBOTSTXT_OBEY"):
        problems.append("ROBOTSTXT_OBEY must be True")
    if not settings.getbool("AUTOTHROTTLE_ENABLED"):
        problems.append("AUTOTHROTTLE_ENABLED must be True")
    if settings.getfloat("DOWNLOAD_DELAY") < 1.0:
        problems.append("DOWNLOAD_DELAY must be at least 1 second")
    if settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") > 1:
        problems.append("CONCURRENT_REQUESTS_PER_DOMAIN must be 1")
    if settings.getbool("COOKIES_ENABLED"):
        problems.append("COOKIES_ENABLED must be False (public pages only)")
    if not str(settings.get("OLM_CONTACT_URL") or "").startswith(
        ("http://", "https://", "mailto:")
    ):
        problems.append("OLM_CONTACT_URL must name the operator (set the environment variable)")
    return problems


class PolitenessGuard:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        guard = cls(crawler)
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        return guard

    def spider_opened(self, spider: Spider) -> None:
        loopback = getattr(spider, "is_loopback", False)
        problems = politeness_problems(self.crawler.settings, loopback=loopback)
        if problems:
            message = "impolite settings for a real host: " + "; ".join(problems)
            self.crawler.stats.set_value("olm/failure", message)
            spider.logger.error(message)
            raise CloseSpider("impolite_settings")
