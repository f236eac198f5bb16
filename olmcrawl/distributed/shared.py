"""One shared crawl in Redis, and this worker's part in it.

Keys (``<crawl>`` is ``olm:crawl:<name>``, ``<ns>`` is ``<crawl>:<crawl id>``):

- ``<crawl>:current``: the crawl under way for this spider, arguments and base URL (JSON: crawl
  id, start, snapshot date). The first worker creates it; the others join it; the worker that
  closes last removes it, so the next worker started with the same command begins a new crawl.
- ``<ns>:workers`` (who joined, with their run ids), ``<ns>:beats`` (each worker's last
  heartbeat, Redis time), ``<ns>:busy`` (workers not idle), ``<ns>:done`` (each closed worker's
  result), ``<ns>:finisher``, ``<ns>:stop`` (a block or rate limit seen by any worker);
- ``<ns>:requests`` and ``<ns>:dupefilter`` (:mod:`olmcrawl.distributed.scheduler`),
  ``<ns>:listings``, ``<ns>:failures``, ``<ns>:inflight`` (:mod:`olmcrawl.distributed.listings`),
  ``<ns>:seen:<dataset>`` (entities already stored by some worker);
- ``olm:rate:<host:port>``: the next moment (Redis clock, µs) a request may go to the host, for
  every crawl that uses this Redis.

Every key of a crawl lives for ``OLM_REDIS_LEASE`` seconds past the last heartbeat of any of
its workers: a crawl whose workers all died leaves nothing behind for long. A worker whose
heartbeat is older than ``OLM_REDIS_WORKER_TIMEOUT`` seconds is *lost*: nobody waits for it, the
pages it held are failures (``worker_lost``), and the crawl cannot be complete (rows it had
not yet written are gone).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from olmstats.errors import InputError

WORKER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
CRAWL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
SCHEMES = ("redis", "rediss", "unix")
#: Separates a listing's label from a page number or a counter's name in hash fields.
SEP = "\x1f"
#: The holder of a page that is in the shared queue, not yet taken by a worker.
QUEUED = "queued"
DATASETS = ("profiles", "jobs")


def public_url(url: str) -> str:
    """*url* without its password (what run records and messages show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def check_redis_url(url: str) -> str:
    """*url* if it names a Redis server (``redis://``, ``rediss://``, ``unix://``)."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not (parts.netloc or parts.path):
        raise InputError(
            f"--redis takes a Redis URL such as redis://127.0.0.1:6379/0, got {public_url(url)!r}"
        )
    return url


def check_worker_id(worker: str) -> str:
    if not WORKER_PATTERN.match(worker):
        raise InputError(
            f"invalid worker id {worker!r}: letters, digits and _ . - (at most 40, "
            "starting with a letter or digit)"
        )
    return worker


def default_worker_id() -> str:
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:28].strip(".-_") or "worker"
    return f"{host}-{os.getpid()}"


def problem_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def connect(url: str, *, timeout: float = 5.0) -> Any:
    """A Redis client for *url* (bytes in, bytes out); connects on first use."""
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=30)


def redis_problem(url: str, *, timeout: float = 3.0) -> str | None:
    """None if Redis at *url* answers a PING, else one line saying why not."""
    try:
        import redis
    except ImportError:
        return "distributed crawls need scrapy-redis: pip install 'olmstats[distributed]'"
    try:
        connect(url, timeout=timeout).ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        return f"cannot reach Redis at {public_url(url)}: {problem_text(exc)}"
    return None


def crawl_name(spider: Any, settings: Any) -> str:
    """``OLM_REDIS_CRAWL``, or the spider with a digest of its arguments and base URL: the
    workers started with the same command share a crawl."""
    given = settings.get("OLM_REDIS_CRAWL") or ""
    if given:
        if not CRAWL_PATTERN.match(given):
            raise InputError(f"invalid OLM_REDIS_CRAWL {given!r}: letters, digits and _ . : -")
        return given
    arguments = {k: v for k, v in spider.arguments.items() if k != "run_id"}
    what = json.dumps({"arguments": arguments, "base_url": spider.base_url}, sort_keys=True)
    return f"{spider.name}-{hashlib.sha256(what.encode()).hexdigest()[:12]}"


_REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
for i = 2, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return 1
"""
_DELETE_IF = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_TURN = """
local stop = redis.call('GET', KEYS[2])
if stop then return {-1, stop} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < nxt then return {nxt - now, ''} end
redis.call('SET', KEYS[1], string.format('%.0f', now + tonumber(ARGV[1])), 'PX', ARGV[2])
return {0, ''}
"""
_HOLD = """
local t = redis.call('TIME')
local later = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if later > nxt then
  redis.call('SET', KEYS[1], string.format('%.0f', later), 'PX', ARGV[2])
end
return 1
"""


@dataclass(frozen=True)
class Turn:
    """The answer of :meth:`SharedCrawl.turn`: wait this long (µs), or stop (a reason)."""

    wait_us: int
    stop: dict[str, Any] | None = None


class SharedCrawl:
    """This worker's handle on the shared crawl it joined (see the module docstring)."""

    def __init__(self, server: Any, url: str, name: str, worker: str, settings: Any) -> None:
        self.server = server
        self.url = url
        self.name = name
        self.worker = worker
        self.lease = settings.getfloat("OLM_REDIS_LEASE")
        self.worker_timeout = settings.getfloat("OLM_REDIS_WORKER_TIMEOUT")
        self.crawl_key = f"olm:crawl:{name}"
        self.current_key = f"{self.crawl_key}:current"
        self.meta: dict[str, Any] = {}
        self.meta_raw = b""
        self.ns = ""
        #: This worker closed last: its record has the crawl's final account.
        self.final = False
        self._refresh = server.register_script(_REFRESH)
        self._delete_if = server.register_script(_DELETE_IF)
        self._turn = server.register_script(_TURN)
        self._hold = server.register_script(_HOLD)

    def key(self, name: str) -> str:
        return f"{self.ns}:{name}"

    @property
    def crawl_id(self) -> str:
        return self.meta["crawl_id"]

    # -- joining --------------------------------------------------------------------------------

    @classmethod
    def join(cls, crawler: Any, spider: Any) -> SharedCrawl:
        """Join the crawl under way for *spider*'s command, or start it. Sets the spider's run
        id, snapshot date and start. RedisError if Redis does not answer; InputError for a
        worker id already in the crawl."""
        settings = crawler.settings
        url = check_redis_url(settings.get("REDIS_URL"))
        worker = check_worker_id(settings.get("OLM_WORKER_ID") or default_worker_id())
        shared = cls(connect(url), url, crawl_name(spider, settings), worker, settings)
        shared._join(spider)
        return shared

    def _join(self, spider: Any) -> None:
        now = datetime.now(UTC)
        candidate = {
            "crawl_id": secrets.token_hex(3),
            "started_at": now.isoformat(),
            "snapshot_date": now.date().isoformat(),
            "spider": spider.name,
        }
        lease_ms = int(self.lease * 1000)
        self.server.set(self.current_key, json.dumps(candidate), nx=True, px=lease_ms)
        self.meta_raw = self.server.get(self.current_key) or json.dumps(candidate).encode()
        self.meta = json.loads(self.meta_raw)
        self.ns = f"{self.crawl_key}:{self.crawl_id}"
        started = datetime.fromisoformat(self.meta["started_at"])
        run_id = f"{started:%Y%m%dT%H%M%SZ}-{spider.name}-{self.crawl_id}-{self.worker}"
        joined = {"run_id": run_id, "joined_at": now.isoformat()}
        if not self.server.hsetnx(self.key("workers"), self.worker, json.dumps(joined)):
            raise InputError(
                f"worker id {self.worker!r} has already taken part in shared crawl {self.name} "
                f"({self.crawl_id}): give each worker its own --worker"
            )
        spider.run_id = run_id
        spider.started_at = now
        spider.snapshot_date = datetime.fromisoformat(self.meta["snapshot_date"]).date()
        self.busy()
        self.beat()

    # -- liveness -------------------------------------------------------------------------------

    def now(self) -> float:
        seconds, micro = self.server.time()
        return seconds + micro / 1e6

    def crawl_keys(self) -> list[str]:
        names = [
            "workers", "beats", "busy", "done", "finisher", "stop", "requests", "dupefilter",
            "listings", "failures", "inflight", *(f"seen:{d}" for d in DATASETS),
        ]  # fmt: skip
        return [self.key(name) for name in names]

    def beat(self) -> None:
        """This worker is alive; every key of the crawl lives another lease."""
        self.server.hset(self.key("beats"), self.worker, repr(self.now()))
        self._refresh(
            keys=[self.current_key, *self.crawl_keys()],
            args=[self.meta_raw, int(self.lease * 1000)],
        )

    def busy(self) -> None:
        self.server.sadd(self.key("busy"), self.worker)

    def idle(self) -> None:
        self.server.srem(self.key("busy"), self.worker)

    def _state(self) -> dict[str, Any]:
        pipe = self.server.pipeline(transaction=True)
        pipe.zcard(self.key("requests"))
        pipe.hgetall(self.key("inflight"))
        pipe.smembers(self.key("busy"))
        pipe.hgetall(self.key("beats"))
        pipe.hgetall(self.key("workers"))
        pipe.hgetall(self.key("done"))
        pipe.time()
        queued, inflight, busy, beats, workers, done, (seconds, micro) = pipe.execute()
        now = seconds + micro / 1e6
        live = {w.decode() for w, beat in beats.items() if now - float(beat) <= self.worker_timeout}
        return {
            "queued": queued,
            "inflight": {k.decode(): v.decode() for k, v in inflight.items()},
            "busy": {w.decode() for w in busy},
            "live": live,
            "workers": {w.decode(): json.loads(v) for w, v in workers.items()},
            "done": {w.decode(): json.loads(v) for w, v in done.items()},
        }

    def pending(self) -> bool:
        """Whether work remains that this (idle) worker must wait for: requests in the queue,
        pages held by a live worker (or queued), or a live worker not idle."""
        state = self._state()
        if state["queued"]:
            return True
        others = state["live"] - {self.worker} - set(state["done"])
        if any(h == QUEUED or h in others for h in state["inflight"].values()):
            return True
        return bool(state["busy"] & others)

    def lost_workers(self, state: dict[str, Any] | None = None) -> list[str]:
        """Workers that joined, never closed, and stopped beating."""
        state = state or self._state()
        return sorted(set(state["workers"]) - set(state["done"]) - state["live"])

    # -- rows -----------------------------------------------------------------------------------

    def claim(self, dataset: str, key: str) -> bool:
        """True if no worker of this crawl has kept entity *key* of *dataset* yet."""
        return bool(self.server.sadd(self.key(f"seen:{dataset}"), key))

    # -- stopping -------------------------------------------------------------------------------

    def stop(self, reason: str, message: str) -> None:
        """Every worker stops (a block page, a rate limit: the host wants no more)."""
        entry = json.dumps({"reason": reason, "message": message, "worker": self.worker})
        self.server.set(self.key("stop"), entry, nx=True, px=int(self.lease * 1000))

    def stopped(self) -> dict[str, Any] | None:
        raw = self.server.get(self.key("stop"))
        return json.loads(raw) if raw else None

    # -- the shared rate ------------------------------------------------------------------------

    @staticmethod
    def rate_key(netloc: str) -> str:
        return f"olm:rate:{netloc.lower()}"

    def turn(self, netloc: str, gap: float) -> Turn:
        """Take the host's turn if it is due (the next request then waits *gap* seconds), or
        say how long until it is due, or that the crawl is stopping."""
        gap_us = max(0, round(gap * 1e6))
        wait, stop = self._turn(
            keys=[self.rate_key(netloc), self.key("stop")],
            args=[gap_us, gap_us // 1000 + 60_000],
        )
        if int(wait) < 0:
            return Turn(-1, json.loads(stop))
        return Turn(int(wait))

    def hold(self, netloc: str, seconds: float) -> None:
        """No worker sends to *netloc* for *seconds* (a Retry-After, a back-off)."""
        later_us = max(0, round(seconds * 1e6))
        self._hold(keys=[self.rate_key(netloc)], args=[later_us, later_us // 1000 + 60_000])

    # -- closing --------------------------------------------------------------------------------

    def finish(self, result: dict[str, Any]) -> None:
        """This worker has closed (its rows are in the store): record *result*; the worker
        that finds every other one closed (or lost) is the finisher and ends the crawl."""
        pipe = self.server.pipeline(transaction=True)
        pipe.hset(self.key("done"), self.worker, json.dumps(result))
        pipe.srem(self.key("busy"), self.worker)
        pipe.execute()
        state = self._state()
        open_workers = set(state["workers"]) - set(state["done"]) - {self.worker}
        if open_workers & state["live"]:
            return
        if self.server.set(self.key("finisher"), self.worker, nx=True, px=int(self.lease * 1000)):
            self.final = True
            self._delete_if(keys=[self.current_key], args=[self.meta_raw])

    def describe(self) -> dict[str, Any]:
        """The ``distributed`` part of this worker's run record."""
        try:
            state = self._state()
        except Exception as exc:  # Redis gone: say so rather than lose the record
            return {"redis": public_url(self.url), "crawl": self.name, "error": problem_text(exc)}
        lost = set(self.lost_workers(state))
        workers = {
            worker: {
                "run_id": joined.get("run_id"),
                "state": "closed" if worker in state["done"] else "lost" if worker in lost
                else "running",
                **({"result": state["done"][worker]} if worker in state["done"] else {}),
            }
            for worker, joined in sorted(state["workers"].items())
        }  # fmt: skip
        return {
            "redis": public_url(self.url),
            "crawl": self.name,
            "crawl_id": self.crawl_id,
            "crawl_started_at": self.meta.get("started_at"),
            "worker": self.worker,
            "final": self.final,
            "workers": workers,
        }
