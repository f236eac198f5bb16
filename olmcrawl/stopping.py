"""Stop a crawl from a middleware or extension, with one clear log line and a reason."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro

logger = logging.getLogger(__name__)


class CrawlStopped(IgnoreRequest):
    """A request refused because the crawl is stopping; *reason* is the finish reason."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


def stop_crawl(crawler: Crawler, reason: str, message: str) -> None:
    """Close the spider with *reason* (its finish_reason), logging *message* once as an error.

    The first reason wins: a crawl stopped for a block page stays ``blocked_…`` even if a
    later component also asks to stop. In a distributed crawl a block page or a rate limit
    stops every worker (:meth:`olmcrawl.distributed.shared.SharedCrawl.stop`).
    """
    stats = crawler.stats
    shared = getattr(getattr(crawler, "spider", None), "shared", None)
    if shared is not None and (reason.startswith("blocked_") or reason == "rate_limited"):
        import contextlib

        import redis

        with contextlib.suppress(redis.RedisError):
            shared.stop(reason, message)  # the host wants no more from any worker
    if stats.get_value("olm/stop_reason") is None:
        stats.set_value("olm/stop_reason", reason)
        if stats.get_value("olm/failure") is None:
            stats.set_value("olm/failure", message)
        logger.error(message)
    engine = crawler.engine
    if engine is not None and engine.spider is not None:
        deferred_from_coro(engine.close_spider_async(reason=stats.get_value("olm/stop_reason")))
