"""One request rate per host for every worker together: the turn is taken as the request leaves.

In a distributed crawl the ``http`` and ``https`` download handlers are this wrapper around the
ones configured before (``OLM_INNER_DOWNLOAD_HANDLERS``, Scrapy's HTTP/1.1 handler by
default). Each request first takes its host's turn in Redis (:meth:`SharedCrawl.turn`: a Lua
script on Redis's clock, so machines' clocks do not matter) and is handed to the real handler
the moment it gets it; a request whose turn is not due sleeps (asyncio, never blocking the
reactor) and asks again. Consecutive requests to a host, from every worker of every crawl using
this Redis, are therefore at least ``DOWNLOAD_DELAY × (1 − DOWNLOAD_DELAY_JITTER)`` apart: each
turn draws the gap to the next one uniformly in ``DOWNLOAD_DELAY × (1 ± jitter)``, as Scrapy's
own delay does for one process. The turn is taken here, after Scrapy's own per-process delay
and AutoThrottle, because anything that waited after the turn would let two workers' requests
bunch up.

When any worker has stopped the crawl (a block page, a rate limit), no turn is given: the
request fails with that reason and this worker stops too.
"""

from __future__ import annotations

import random
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object

from olmcrawl.distributed.shared import problem_text, public_url
from olmcrawl.extensions.politeness_guard import delay_floor
from olmcrawl.stopping import CrawlStopped, stop_crawl

INNER_HANDLERS = "OLM_INNER_DOWNLOAD_HANDLERS"
HANDLER = "olmcrawl.distributed.download.SharedRateHandler"
DEFAULT_INNER = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"


def gap_range(settings: Any) -> tuple[float, float]:
    """(shortest, longest) gap between two requests to one host, in seconds."""
    delay = settings.getfloat("DOWNLOAD_DELAY")
    floor = delay_floor(settings)
    return floor, delay + (delay - floor)


class SharedRateHandler:
    """The download handler of a distributed crawl (see the module docstring)."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.inner: dict[str, Any] = {}
        self.shortest, self.longest = gap_range(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def handler(self, scheme: str) -> Any:
        if scheme not in self.inner:
            paths = self.crawler.settings.getdict(INNER_HANDLERS)
            self.inner[scheme] = build_from_crawler(
                load_object(paths.get(scheme) or DEFAULT_INNER), self.crawler
            )
        return self.inner[scheme]

    async def download_request(self, request: Request) -> Response:
        parsed = urlparse_cached(request)
        await self.take_turn(parsed.netloc)
        return await self.handler(parsed.scheme).download_request(request)

    async def take_turn(self, netloc: str) -> None:
        import redis

        crawl = getattr(self.crawler.spider, "shared", None)
        if crawl is None:
            return
        while True:
            gap = random.uniform(self.shortest, self.longest)  # jitter, not a secret
            try:
                turn = crawl.turn(netloc, gap)
            except redis.RedisError as exc:
                message = f"lost Redis at {public_url(crawl.url)}: {problem_text(exc)}"
                stop_crawl(self.crawler, "redis_unreachable", message)
                raise CrawlStopped("redis_unreachable", message) from None
            if turn.stop is not None:
                reason, message = turn.stop["reason"], turn.stop["message"]
                stop_crawl(
                    self.crawler,
                    reason,
                    f"{message} (worker {turn.stop['worker']}; every worker stops)",
                )
                raise CrawlStopped(reason, message)
            if turn.wait_us <= 0:
                self.crawler.stats.inc_value("olm/distributed/turns")
                return
            self.crawler.stats.inc_value("olm/distributed/turn_waits")
            await sleep(turn.wait_us / 1e6)

    async def close(self) -> None:
        for handler in self.inner.values():
            close = getattr(handler, "close", None)
            if close is not None:
                await close()
