"""Refuse to crawl a real host with impolite settings.

Only a loopback host (the replay server) may lift the defaults of settings.py. Against any other
host the crawl stops with reason ``impolite_settings`` before its first request unless: robots.txt
is obeyed, AutoThrottle is on, at least one second separates requests to a host, one request at a
time goes to a host, cookies are off, and OLM_CONTACT_URL names the operator. The delay floor
is the delay after Scrapy's random jitter: ``DOWNLOAD_DELAY × (1 − DOWNLOAD_DELAY_JITTER)``.
"""

from __future__ import annotations

from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.settings import BaseSettings


def delay_floor(settings: BaseSettings) -> float:
    """The shortest gap Scrapy may leave between two requests to one host, in seconds."""
    jitter = settings.getfloat("DOWNLOAD_DELAY_JITTER")
    if (settings.getpriority("RANDOMIZE_DOWNLOAD_DELAY") or 0) > (
        settings.getpriority("DOWNLOAD_DELAY_JITTER") or 0
    ):  # the deprecated switch, set explicitly, wins
        jitter = 0.5 if settings.getbool("RANDOMIZE_DOWNLOAD_DELAY") else 0.0
    return settings.getfloat("DOWNLOAD_DELAY") * (1.0 - min(max(jitter, 0.0), 1.0))


def politeness_problems(settings: BaseSettings, *, loopback: bool) -> list[str]:
    """What is impolite about *settings* (a Scrapy Settings object) for a non-loopback host."""
    if loopback:
        return []
    problems = []
    if not settings.getbool("ROBOTSTXT_OBEY"):
        problems.append("ROBOTSTXT_OBEY must be True")
    if not settings.getbool("AUTOTHROTTLE_ENABLED"):
        problems.append("AUTOTHROTTLE_ENABLED must be True")
    if delay_floor(settings) < 1.0 - 1e-9:
        problems.append(
            "requests to a host must be at least 1 second apart "
            "(DOWNLOAD_DELAY × (1 − DOWNLOAD_DELAY_JITTER) ≥ 1)"
        )
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
