"""The shared scheduler: listing pages go through one Redis queue and one duplicate filter.

Built on scrapy-redis's :class:`~scrapy_redis.scheduler.Scheduler` (its priority queue layout
and its request fingerprints). What differs, and why:

- Only listing pages are shared. A request without a listing, or with ``dont_filter`` (a
  platform's skill or country list, a retry), stays in a local queue of the worker that made
  it: its callback fills that worker's lookups, and a retry belongs to the worker that waits
  for it.
- Filtering, queueing and the listing account happen in one Lua script: a page is requested
  exactly once (the first worker to yield it), and from then on it is either in the queue or
  held by a worker; taking it from the queue marks this worker as its holder and as busy, in
  the same step. A killed worker can therefore lose only the pages it held, and those are
  known (see :mod:`olmcrawl.distributed.listings`).
- Requests are stored as JSON, never pickle: whoever can write to Redis cannot make a worker
  run code. (Callbacks are named by their spider method, as scrapy-redis does.)
- Nothing is flushed when a worker closes: the queue and filter belong to the crawl, which
  outlives any one worker (its keys expire a lease after the last heartbeat).

If Redis cannot be reached when the spider opens, the crawl closes before any request with
reason ``redis_unreachable`` (a failed run, exit 4).
"""

from __future__ import annotations

import base64
import json
from collections import deque
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.utils.request import request_from_dict
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from olmcrawl.base.olm_spider import LISTING, PAGE
from olmcrawl.distributed.listings import page_field
from olmcrawl.distributed.shared import QUEUED, problem_text, public_url
from olmcrawl.stopping import stop_crawl

REDIS_LOST = "redis_unreachable"

_ENQUEUE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[3], ARGV[4], ARGV[6]) == 1 then
  redis.call('HINCRBY', KEYS[4], ARGV[5] .. '\\31pages_requested', 1)
else
  redis.call('HSET', KEYS[3], ARGV[4], ARGV[6])
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
_POP = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0)
if #found == 0 then return false end
redis.call('ZREM', KEYS[1], found[1])
local cut = string.find(found[1], '\\0', 1, true)
if cut then redis.call('HSET', KEYS[2], string.sub(found[1], 1, cut - 1), ARGV[1]) end
redis.call('SADD', KEYS[3], ARGV[1])
return found[1]
"""


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {"__dict__": [[_plain(k), _plain(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _unplain(value: Any) -> Any:
    if isinstance(value, dict):
        if "__bytes__" in value:
            return base64.b64decode(value["__bytes__"])
        return {_unplain(k): _unplain(v) for k, v in value["__dict__"]}
    if isinstance(value, list):
        return [_unplain(v) for v in value]
    return value


def encode_request(request: Request, spider: Any) -> bytes:
    return json.dumps(_plain(request.to_dict(spider=spider)), separators=(",", ":")).encode()


def decode_request(data: bytes, spider: Any) -> Request:
    return request_from_dict(_unplain(json.loads(data)), spider=spider)


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler, sharing listing pages only (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(server=None, persist=True)
        self.crawler = crawler
        self.stats = crawler.stats
        self.local: deque[Request] = deque()
        self.crawl: Any = None
        self.book: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)  # no PING here: a Redis that does not answer is reported at open

    def open(self, spider: Any) -> None:
        self.spider = spider
        error = getattr(spider, "shared_error", None)
        if error:
            self.crawler.stats.set_value("olm/failure", error)
            spider.logger.error(error)
            raise CloseSpider(REDIS_LOST)
        self.crawl = getattr(spider, "shared", None)
        if self.crawl is None:  # a spider refused for its arguments: nothing is shared
            return
        self.book = spider.listings
        self.server = self.crawl.server
        self.df = RFPDupeFilter(self.server, key=self.crawl.key("dupefilter"))
        self.queue_key = self.crawl.key("requests")
        self._enqueue = self.server.register_script(_ENQUEUE)
        self._pop = self.server.register_script(_POP)

    def close(self, reason: str) -> None:
        """Keep the queue and the filter: they belong to the crawl, not to this worker."""

    def __len__(self) -> int:
        if self.crawl is None:
            return len(self.local)
        return len(self.local) + (self._redis(self.server.zcard, self.queue_key) or 0)

    def has_pending_requests(self) -> bool:
        return len(self) > 0

    def shares(self, request: Request) -> bool:
        return self.crawl is not None and not request.dont_filter and LISTING in request.meta

    def enqueue_request(self, request: Request) -> bool:
        if not self.shares(request):
            self.local.append(request)
            self.stats.inc_value("scheduler/enqueued/local")
            return True
        field = page_field(request.meta[LISTING], request.meta[PAGE])
        member = field.encode() + b"\0" + encode_request(request, self.spider)
        added = self._redis(
            self._enqueue,
            keys=[
                self.df.key,
                self.queue_key,
                self.crawl.key("inflight"),
                self.crawl.key("listings"),
            ],
            args=[
                self.df.request_fingerprint(request),
                -request.priority,
                member,
                field,
                request.meta[LISTING],
                QUEUED,
            ],
        )
        if not added:
            if added is not None:
                self.df.log(request, self.spider)
            return False
        self.book.queued()
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.local:
            self.stats.inc_value("scheduler/dequeued/local")
            return self.local.popleft()
        if self.crawl is None:
            return None
        found = self._redis(
            self._pop,
            keys=[self.queue_key, self.crawl.key("inflight"), self.crawl.key("busy")],
            args=[self.crawl.worker],
        )
        if not found:
            return None
        self.stats.inc_value("scheduler/dequeued/redis")
        return decode_request(found.partition(b"\0")[2], self.spider)

    def _redis(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """*call* Redis; if Redis is gone, stop the crawl (``redis_unreachable``) and None."""
        import redis

        try:
            return call(*args, **kwargs)
        except redis.RedisError as exc:
            stop_crawl(
                self.crawler,
                REDIS_LOST,
                f"lost Redis at {public_url(self.crawl.url)}: {problem_text(exc)}",
            )
            return None
