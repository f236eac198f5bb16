"""The outcome of every listing a crawl sets out to read.

A *listing* is one paged query: a country × skill directory query, a skill's project listing.
For each, the crawl counts pages requested, read, failed after retries (by reason) and skipped
(robots.txt), items seen against the total the platform announced, and how it ended:

- ``read_to_end``: an empty page, the announced total reached, or the last page;
- ``truncated_by_max_pages``: stopped at ``max_pages`` - truncation by choice, not loss;
- ``failed``: a page failed after its retries (the reason is recorded) and the rest was not read;
- ``skipped_by_robots_txt``: robots.txt disallows it;
- ``unfinished``: the crawl stopped (block page, rate limit, store failure, shutdown) first.

Failure reasons (Scrapy stats ``olm/page/failed/<reason>``): ``http_<status>``, ``timeout``,
``connection_lost``, ``connection_refused``, ``dns_error``, ``short_body``, ``malformed_page``,
``api_error``, ``callback_error``, ``redirect_off_host``, ``dropped`` (refused by the scheduler),
``no_response`` (vanished without an answer), ``unfinished`` (the crawl stopped first),
``ignored`` (another middleware refused it), ``download_error_<Exception>`` (anything else), or
the reason the crawl stopped (``blocked_<kind>``, ``rate_limited``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_errors
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

from olmcrawl.stopping import CrawlStopped
from olmstats.store.runs import READ_OUTCOMES, ListingOutcome

ROBOTS_REASON = "robots_txt"
CALLBACK_ERROR = "callback_error"


class OffHostRedirect(IgnoreRequest):
    """A redirect that would leave the platform's host (see StayOnHostMiddleware)."""


def failure_reason(failure: Failure) -> str:
    """The page-failure reason for a request's errback *failure*."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, CrawlStopped):
        return exc.reason
    if isinstance(exc, OffHostRedirect):
        return "redirect_off_host"
    if isinstance(exc, IgnoreRequest):
        return ROBOTS_REASON if "robots.txt" in str(exc) else "ignored"
    if isinstance(exc, DownloadTimeoutError | twisted_errors.TimeoutError):
        return "timeout"
    if isinstance(exc, ResponseDataLossError):
        return "short_body"
    if isinstance(exc, DownloadConnectionRefusedError | twisted_errors.ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, CannotResolveHostError | twisted_errors.DNSLookupError):
        return "dns_error"
    if isinstance(
        exc,
        DownloadFailedError
        | ResponseFailed
        | twisted_errors.ConnectionLost
        | twisted_errors.ConnectionDone
        | twisted_errors.ConnectError,
    ):
        return "connection_lost"
    return f"download_error_{type(exc).__name__}"


@dataclass
class Listing:
    """One paged query and what happened to it."""

    label: str
    filters: dict[str, Any]
    pages_requested: int = 0
    pages_read: int = 0
    pages_failed: int = 0
    pages_skipped: int = 0
    items_seen: int = 0
    total_announced: int | None = None
    end: str | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)
    in_flight: set[int] = field(default_factory=set)

    @property
    def outcome(self) -> str:
        if self.end in ("empty_page", "total_count", "last_page"):
            return ListingOutcome.read_to_end
        if self.end == "max_pages":
            return ListingOutcome.truncated_by_max_pages
        if self.end == ROBOTS_REASON:
            return ListingOutcome.skipped_by_robots_txt
        if self.end is not None:
            return ListingOutcome.failed
        return ListingOutcome.unfinished

    @property
    def short_of_total(self) -> int:
        """Items announced but not seen, for a listing read to its end (0 otherwise)."""
        if self.outcome != ListingOutcome.read_to_end or self.total_announced is None:
            return 0
        return max(0, self.total_announced - self.items_seen)

    def as_record(self) -> dict[str, Any]:
        return {
            "listing": self.label,
            **self.filters,
            "outcome": str(self.outcome),
            "end": self.end,
            "pages_requested": self.pages_requested,
            "pages_read": self.pages_read,
            "pages_failed": self.pages_failed,
            "pages_skipped": self.pages_skipped,
            "items_seen": self.items_seen,
            "total_announced": self.total_announced,
            "short_of_total": self.short_of_total,
            "failures": self.failures,
        }

    def describe(self) -> str:
        """One phrase: what kept this listing from being read to its end."""
        if self.failures:
            last = self.failures[-1]
            return f"{self.label} page {last['page'] + 1}: {last['reason']}"
        return f"{self.label}: {self.outcome}"


class ListingBook:
    """Every listing of a run, by label, with the bookkeeping the page loop calls."""

    #: The account is a distributed crawl's (olmcrawl.distributed.listings), not this run's.
    shared = False

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.listings: dict[str, Listing] = {}

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    def open(self, label: str, filters: dict[str, Any]) -> Listing:
        return self.listings.setdefault(label, Listing(label, filters))

    def __getitem__(self, label: str) -> Listing:
        return self.listings[label]

    def __iter__(self):
        return iter(self.listings.values())

    def __len__(self) -> int:
        return len(self.listings)

    def restore(self, record: dict[str, Any]) -> None:
        """A listing a resumed run read before it was killed, as its journal recorded it."""
        listing = self.listings.get(record["listing"])
        if listing is None:
            return
        listing.pages_requested = record["pages_requested"]
        listing.pages_read = record["pages_read"]
        listing.pages_failed = record["pages_failed"]
        listing.pages_skipped = record["pages_skipped"]
        listing.items_seen = record["items_seen"]
        listing.total_announced = record["total_announced"]
        listing.end = record["end"]
        listing.failures = list(record["failures"])

    def forget(self, label: str) -> None:
        """Drop a planned listing that turned out to be the same query as another."""
        self.listings.pop(label, None)

    def requested(self, label: str, page: int) -> None:
        listing = self.listings[label]
        listing.pages_requested += 1
        listing.in_flight.add(page)
        self.stats.inc_value("olm/page/requested")

    def read(self, label: str, page: int, *, items: int, total: int | None) -> None:
        listing = self.listings[label]
        listing.in_flight.discard(page)
        listing.pages_read += 1
        listing.items_seen += items
        if total is not None:
            listing.total_announced = total
        self.stats.inc_value("olm/pages")

    def ended(self, label: str, end: str) -> None:
        self.listings[label].end = end
        if end == "max_pages":
            self.stats.inc_value("olm/listing/stopped_at_max_pages")

    def failed(self, label: str, page: int, reason: str, detail: str = "", url: str = "") -> None:
        """Page *page* of *label* failed for good: the listing ends here."""
        listing = self.listings[label]
        if page not in listing.in_flight:
            return  # already accounted for
        listing.in_flight.discard(page)
        if reason == ROBOTS_REASON:
            listing.pages_skipped += 1
            self.stats.inc_value(f"olm/page/skipped/{reason}")
        else:
            listing.pages_failed += 1
            self.stats.inc_value(f"olm/page/failed/{reason}")
            self.stats.inc_value("olm/page/failed")
        listing.failures.append({"page": page, "reason": reason, "detail": detail, "url": url})
        listing.end = reason

    def close(self, *, stopped: bool) -> None:
        """At the end of the crawl: pages that never got an answer are failures too.

        ``unfinished`` when the crawl was stopped (the listing stays unfinished), else
        ``no_response``: a request that vanished (filtered by some middleware) - the listing
        failed. Afterwards every page requested was read, failed or skipped.
        """
        reason = "unfinished" if stopped else "no_response"
        for listing in self.listings.values():
            for page in sorted(listing.in_flight):
                listing.failures.append({"page": page, "reason": reason, "detail": "", "url": ""})
                listing.pages_failed += 1
                self.stats.inc_value(f"olm/page/failed/{reason}")
                self.stats.inc_value("olm/page/failed")
                if not stopped:
                    listing.end = reason
            listing.in_flight.clear()

    def problems(self) -> list[str]:
        """What else kept the run from being complete (other workers of a distributed crawl)."""
        return []

    def shortfalls(self) -> list[str]:
        """Listings read to their end that saw fewer items than the platform announced."""
        return [
            f"{item.label}: {item.items_seen:,} items seen of {item.total_announced:,} announced"
            for item in self.listings.values()
            if item.short_of_total
        ]

    def not_read(self) -> list[Listing]:
        return [item for item in self.listings.values() if item.outcome not in READ_OUTCOMES]

    def as_records(self) -> list[dict[str, Any]]:
        return [item.as_record() for item in self.listings.values()]
