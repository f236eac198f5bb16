"""Retries that back off: exponential delays, Retry-After honoured, the host left alone meanwhile.

Replaces Scrapy's RetryMiddleware (same settings: RETRY_TIMES, RETRY_HTTP_CODES, ...). Before a
retry it waits ``OLM_BACKOFF_BASE × 2^n`` seconds (n = retries so far, capped at
``OLM_BACKOFF_MAX``), or exactly what a 429/503 ``Retry-After`` header asks (seconds or an HTTP
date). While it waits, the engine schedules nothing and the host's download slot is held, so no
other request reaches that host (in a distributed crawl, no worker's request: the shared rate
holds the host too). A Retry-After above ``OLM_RETRY_AFTER_MAX``, or a 429/503 that
outlasts every retry, stops the crawl with reason ``rate_limited``: continuing would hammer.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

from olmcrawl.stopping import CrawlStopped, stop_crawl

RATE_LIMIT_CODES = {429, 503}


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header value (delta-seconds or HTTP-date); None if unusable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("OLM_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("OLM_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("OLM_RETRY_AFTER_MAX")
        self._holding = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    def backoff(self, retries_so_far: int) -> float:
        return min(self.backoff_max, self.backoff_base * 2**retries_so_far)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        wait = self.backoff(request.meta.get("retry_times", 0))
        if response.status in RATE_LIMIT_CODES:
            self.crawler.stats.inc_value(f"olm/rate_limited/{response.status}")
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            if asked is not None:
                if asked > self.retry_after_max:
                    self._stop(
                        f"{response.url} asks to retry after {asked:.0f} s "
                        f"(more than OLM_RETRY_AFTER_MAX={self.retry_after_max:.0f} s)"
                    )
                wait = asked
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            if response.status in RATE_LIMIT_CODES:
                self._stop(f"{response.url} still answers {response.status} after every retry")
            return response
        await self.hold(request, wait)
        return retry

    async def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        wait = self.backoff(request.meta.get("retry_times", 0))
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await self.hold(request, wait)
        return retry

    async def hold(self, request: Request, seconds: float) -> None:
        """Wait *seconds* with the engine paused and the request's host slot held."""
        self.crawler.stats.inc_value("olm/backoff/waits")
        self.crawler.stats.inc_value("olm/backoff/seconds", round(seconds, 3))
        engine = self.crawler.engine
        downloader = engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            slot.lastseen = max(slot.lastseen, time.monotonic() + seconds)
        shared = getattr(self.crawler.spider, "shared", None)
        if shared is not None:  # a distributed crawl: every worker leaves the host alone
            import redis
            from scrapy.utils.httpobj import urlparse_cached

            with contextlib.suppress(redis.RedisError):
                shared.hold(urlparse_cached(request).netloc, seconds)
        self._holding += 1
        engine.pause()
        try:
            await sleep(seconds)
        finally:
            self._holding -= 1
            if not self._holding:
                engine.unpause()

    def _stop(self, message: str) -> None:
        stop_crawl(self.crawler, "rate_limited", f"rate limited: {message}; stopping")
        raise CrawlStopped("rate_limited", message)
