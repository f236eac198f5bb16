"""A worker of a shared crawl: its heartbeat, and staying open while other workers are busy.

Scrapy closes a spider when it is idle. A worker of a shared crawl is idle whenever the shared
queue is momentarily empty, which happens every time the other workers hold every page there
is (a listing's next page is only known once its current page is read). So when idle the
worker says so in Redis and stays open (``DontCloseSpider``) while work remains anywhere:
requests in the queue, pages held by a live worker, or a live worker that is not idle (it may
be about to queue a page). It closes when every worker is idle and nothing is queued or held,
or when any worker has stopped the crawl (a block page, a rate limit: the same reason here).

Idle workers look at the shared queue twice a second (Scrapy's engine heartbeat is shortened
for them from 5 s; ``ExecutionEngine._SLOT_HEARTBEAT_INTERVAL``, a private attribute, is set on
this worker's engine only). The crawl also refuses to start if the http/https download handlers
are not the shared-rate handler (an add-on that replaced them would bypass the shared rate).
"""

from __future__ import annotations

from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from twisted.internet.task import LoopingCall

from olmcrawl.distributed.download import HANDLER
from olmcrawl.distributed.shared import problem_text, public_url
from olmcrawl.stopping import stop_crawl

IDLE_LOOK_INTERVAL = 0.5


class DistributedCrawlExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.loop: LoopingCall | None = None
        timeout = crawler.settings.getfloat("OLM_REDIS_WORKER_TIMEOUT")
        self.beat_interval = min(2.0, max(0.2, timeout / 10))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def crawl(self, spider: Spider) -> Any:
        return getattr(spider, "shared", None)

    def spider_opened(self, spider: Spider) -> None:
        if self.crawl(spider) is None:
            return
        handlers = self.crawler.settings.getwithbase("DOWNLOAD_HANDLERS")
        wrong = [s for s in ("http", "https") if handlers.get(s) != HANDLER]
        if wrong:
            message = (
                f"distributed crawl without the shared rate: the {'/'.join(wrong)} download "
                f"handler is {handlers.get(wrong[0])}, not {HANDLER} (an add-on replaced it?)"
            )
            self.crawler.stats.set_value("olm/failure", message)
            spider.logger.error(message)
            raise CloseSpider("impolite_settings")
        engine = self.crawler.engine
        if hasattr(engine, "_SLOT_HEARTBEAT_INTERVAL"):
            engine._SLOT_HEARTBEAT_INTERVAL = IDLE_LOOK_INTERVAL
        self.loop = LoopingCall(self.beat, spider)
        self.loop.start(self.beat_interval, now=False)

    def beat(self, spider: Spider) -> None:
        import redis

        crawl = self.crawl(spider)
        try:
            crawl.beat()
        except redis.RedisError as exc:
            message = f"lost Redis at {public_url(crawl.url)}: {problem_text(exc)}"
            stop_crawl(self.crawler, "redis_unreachable", message)

    def spider_idle(self, spider: Spider) -> None:
        import redis

        crawl = self.crawl(spider)
        if crawl is None or self.crawler.stats.get_value("olm/stop_reason"):
            return
        try:
            stop = crawl.stopped()
            if stop is not None:
                stop_crawl(
                    self.crawler,
                    stop["reason"],
                    f"{stop['message']} (worker {stop['worker']}; every worker stops)",
                )
                raise DontCloseSpider  # closing already, with that reason
            crawl.idle()
            if crawl.pending():
                raise DontCloseSpider
        except redis.RedisError as exc:
            message = f"lost Redis at {public_url(crawl.url)}: {problem_text(exc)}"
            stop_crawl(self.crawler, "redis_unreachable", message)
            raise DontCloseSpider from None

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
