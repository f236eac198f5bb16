"""The listings of a shared crawl, accounted in Redis so that every worker tells the same story.

A page of a listing may be requested by one worker and read by another, so no worker alone can
say whether a listing was read to its end. Here the account lives in Redis, changed only by
atomic scripts:

- ``<ns>:listings``, a hash of ``<label>␟<field>``: ``filters`` (JSON), ``pages_requested``,
  ``pages_read``, ``pages_failed``, ``pages_skipped``, ``items_seen``, ``total_announced``,
  ``end``;
- ``<ns>:failures``, a list of JSON failures (label, page, reason, detail, url);
- ``<ns>:inflight``, a hash of ``<label>␟<page>`` → who holds the page: ``queued`` while it
  waits in the shared queue, then the worker that took it, until it is read or failed.

A page is *requested* when the shared scheduler queues it (the first worker to yield it: the
others' copies are filtered and not counted), *held* when a worker takes it, and leaves the
in-flight hash when read or failed - each exactly once, whichever worker does it. When a
worker closes, the pages it still holds fail (``unfinished`` if it was stopped); the finisher
fails the pages of lost workers (``worker_lost``). The run record of each worker shows this
account of the whole crawl as it stood when the worker closed; the finisher's is final.
"""

from __future__ import annotations

import json
from typing import Any

from olmcrawl.base.listings import ROBOTS_REASON, Listing, ListingBook
from olmcrawl.distributed.shared import SEP, SharedCrawl
from olmstats.store.runs import READ_OUTCOMES

_READ = """
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[2], ARGV[2] .. '\\31pages_read', 1)
redis.call('HINCRBY', KEYS[2], ARGV[2] .. '\\31items_seen', tonumber(ARGV[3]))
if ARGV[4] ~= '' then redis.call('HSET', KEYS[2], ARGV[2] .. '\\31total_announced', ARGV[4]) end
redis.call('HSET', KEYS[2], ARGV[2] .. '\\31last_read', ARGV[5] .. '\\31' .. ARGV[6])
return 1
"""
_FAILED = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[2] .. '\\31' .. ARGV[3], 1)
redis.call('RPUSH', KEYS[3], ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], ARGV[2] .. '\\31end', ARGV[5]) end
return 1
"""
COUNTERS = ("pages_requested", "pages_read", "pages_failed", "pages_skipped", "items_seen")


def page_field(label: str, page: int) -> str:
    return f"{label}{SEP}{page}"


class SharedListingBook(ListingBook):
    """A ListingBook whose counts are the shared crawl's (see the module docstring)."""

    shared = True

    def __init__(self, crawler: Any, crawl: SharedCrawl) -> None:
        super().__init__(crawler)
        self.crawl = crawl
        server = crawl.server
        self._read = server.register_script(_READ)
        self._failed = server.register_script(_FAILED)
        self._final: dict[str, Listing] | None = None
        self._problems: list[str] = []

    def key(self, name: str) -> str:
        return self.crawl.key(name)

    # -- what the page loop calls ---------------------------------------------------------------

    def open(self, label: str, filters: dict[str, Any]) -> Listing:
        listing = super().open(label, filters)
        self.crawl.server.hsetnx(
            self.key("listings"), f"{label}{SEP}filters", json.dumps(filters, sort_keys=True)
        )
        return listing

    def forget(self, label: str) -> None:
        super().forget(label)
        self.crawl.server.hdel(self.key("listings"), f"{label}{SEP}filters")

    def requested(self, label: str, page: int) -> None:
        """Counted when the shared scheduler queues the page (:meth:`queued`), not here: the
        copies other workers yield of the same first pages are filtered, not requested."""

    def queued(self) -> None:
        self.stats.inc_value("olm/page/requested")

    def read(self, label: str, page: int, *, items: int, total: int | None) -> None:
        self._read(
            keys=[self.key("inflight"), self.key("listings")],
            args=[
                page_field(label, page),
                label,
                items,
                "" if total is None else total,
                self.crawl.worker,
                page,
            ],
        )
        self.stats.inc_value("olm/pages")

    def ended(self, label: str, end: str) -> None:
        self.crawl.server.hset(self.key("listings"), f"{label}{SEP}end", end)
        if end == "max_pages":
            self.stats.inc_value("olm/listing/stopped_at_max_pages")

    def failed(self, label: str, page: int, reason: str, detail: str = "", url: str = "") -> None:
        self._fail(label, page, reason, detail, url, end=True)

    def _fail(
        self, label: str, page: int, reason: str, detail: str, url: str, *, end: bool
    ) -> bool:
        skipped = reason == ROBOTS_REASON
        entry = {"listing": label, "page": page, "reason": reason, "detail": detail, "url": url}
        entry["worker"] = self.crawl.worker
        done = self._failed(
            keys=[self.key("inflight"), self.key("listings"), self.key("failures")],
            args=[
                page_field(label, page),
                label,
                "pages_skipped" if skipped else "pages_failed",
                json.dumps(entry),
                reason if end else "",
            ],
        )
        if not done:
            return False  # already accounted for (by this worker or another)
        if skipped:
            self.stats.inc_value(f"olm/page/skipped/{reason}")
        else:
            self.stats.inc_value(f"olm/page/failed/{reason}")
            self.stats.inc_value("olm/page/failed")
        return True

    # -- closing --------------------------------------------------------------------------------

    def close(self, *, stopped: bool) -> None:
        """The pages this worker still holds fail; the finisher fails lost workers' pages."""
        reason = "unfinished" if stopped else "no_response"
        for label, page, holder in self._inflight():
            if holder == self.crawl.worker:
                self._fail(label, page, reason, "", "", end=not stopped)
        crawl = self.crawl
        crawl.finish(self.result(stopped))
        if crawl.final:
            lost = set(crawl.lost_workers())
            for label, page, holder in self._inflight():
                if holder in lost:
                    self._fail(label, page, "worker_lost", f"held by worker {holder}", "", end=True)
            self.fail_dropped_listings(lost)
        self._final = self.snapshot()
        self._problems = self.crawl_problems()

    def fail_dropped_listings(self, lost: set[str]) -> None:
        """A listing with no end and no page in flight whose last page was read by a lost
        worker: that worker died between reading the page and queueing the next one."""
        server = self.crawl.server
        held = {label for label, _, _ in self._inflight()}
        fields = server.hgetall(self.key("listings"))
        for label in self.listings:
            if label in held or f"{label}{SEP}end".encode() in fields:
                continue
            last = fields.get(f"{label}{SEP}last_read".encode(), b"").decode()
            worker, _, page = last.partition(SEP)
            if worker not in lost:
                continue
            entry = {
                "listing": label,
                "page": int(page) + 1,
                "reason": "worker_lost",
                "detail": f"worker {worker} read page {int(page) + 1} and was lost before "
                "asking for the next",
                "url": "",
                "worker": self.crawl.worker,
            }
            pipe = server.pipeline(transaction=True)
            pipe.rpush(self.key("failures"), json.dumps(entry))
            pipe.hset(self.key("listings"), f"{label}{SEP}end", "worker_lost")
            pipe.execute()

    def result(self, stopped: bool) -> dict[str, Any]:
        """What the other workers learn of this one when it closes."""
        stats = self.stats.get_stats()
        return {
            "stopped": stopped,
            "stop_reason": stats.get("olm/stop_reason"),
            "pages_read": stats.get("olm/pages", 0),
            "callback_errors": stats.get("olm/errors/callback", 0),
            "pipeline_errors": stats.get("olm/errors/pipeline", 0),
            "store_write_failed": stats.get("olm/store/write_failed"),
            "items_kept": sum(v for k, v in stats.items() if k.startswith("olm/store/rows/") and v),
        }

    def crawl_problems(self) -> list[str]:
        """What kept the crawl as a whole from being complete, besides its listings: other
        workers that were lost, stopped early or failed to keep rows."""
        crawl = self.crawl
        state = crawl._state()
        problems = [
            f"worker {worker} stopped answering (killed?): rows it had not written are missing"
            for worker in crawl.lost_workers(state)
        ]
        for worker, result in sorted(state["done"].items()):
            if worker == crawl.worker:
                continue
            if result.get("store_write_failed"):
                problems.append(f"worker {worker} could not write the store")
            elif result.get("stopped"):
                problems.append(
                    f"worker {worker} stopped early ({result.get('stop_reason') or 'shutdown'})"
                )
            errors = result.get("callback_errors", 0) + result.get("pipeline_errors", 0)
            if errors:
                problems.append(f"worker {worker}: {errors} callback or pipeline error(s)")
        return problems

    def problems(self) -> list[str]:
        return list(self._problems)

    # -- the account, from Redis ----------------------------------------------------------------

    def _inflight(self) -> list[tuple[str, int, str]]:
        found = []
        for field, holder in self.crawl.server.hgetall(self.key("inflight")).items():
            label, _, page = field.decode().rpartition(SEP)
            found.append((label, int(page), holder.decode()))
        return found

    def snapshot(self) -> dict[str, Listing]:
        """Every planned listing as the shared account has it now."""
        server = self.crawl.server
        fields = {k.decode(): v.decode() for k, v in server.hgetall(self.key("listings")).items()}
        failures = [json.loads(raw) for raw in server.lrange(self.key("failures"), 0, -1)]
        inflight = self._inflight()
        found: dict[str, Listing] = {}
        for label, planned in self.listings.items():
            listing = Listing(label, dict(planned.filters))
            for counter in COUNTERS:
                setattr(listing, counter, int(fields.get(f"{label}{SEP}{counter}", 0)))
            total = fields.get(f"{label}{SEP}total_announced")
            listing.total_announced = None if total is None else int(total)
            listing.end = fields.get(f"{label}{SEP}end")
            listing.failures = [
                {k: v for k, v in f.items() if k != "listing"}
                for f in failures
                if f.get("listing") == label
            ]
            listing.in_flight = {page for name, page, _ in inflight if name == label}
            found[label] = listing
        return found

    def current(self) -> dict[str, Listing]:
        return self._final if self._final is not None else self.snapshot()

    def __iter__(self):
        return iter(self.current().values())

    def shortfalls(self) -> list[str]:
        return [
            f"{item.label}: {item.items_seen:,} items seen of {item.total_announced:,} announced"
            for item in self.current().values()
            if item.short_of_total
        ]

    def not_read(self) -> list[Listing]:
        return [item for item in self.current().values() if item.outcome not in READ_OUTCOMES]

    def as_records(self) -> list[dict[str, Any]]:
        return [item.as_record() for item in self.current().values()]
