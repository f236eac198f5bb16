"""The base of every olmstats spider: run identity, arguments, listings and their outcomes.

Arguments are validated when the spider is built; a bad one is reported as a single ERROR line
and the spider closes with reason ``bad_arguments`` before sending any request.

Every paged query is a *listing* (:mod:`olmcrawl.base.listings`): requests made with
:meth:`OlmSpider.listing_request` are counted, their failures after retries arrive in
:meth:`OlmSpider.page_failed` (errback), an exception in their callback in
:meth:`OlmSpider.callback_failed` (``spider_error``), and :meth:`OlmSpider.page_read` decides
whether the listing goes on. Requests the listings depend on (a skill or country list) are
*bootstrap* requests: if one fails, the run fails.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from olmcrawl.base.journal import Journal, ListingDone, Resumed
from olmcrawl.base.listings import CALLBACK_ERROR, ListingBook, failure_reason
from olmcrawl.stopping import stop_crawl
from olmstats import countries as country_table
from olmstats.errors import InputError
from olmstats.store.layout import RUN_ID_PATTERN, check_run_id
from olmstats.store.runs import READ_OUTCOMES

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
LISTING = "olm_listing"
PAGE = "olm_page"
BOOTSTRAP = "olm_bootstrap"


def parse_skill_names(text: str | None) -> list[str]:
    """Split "python, Web Scraping" into names; reject empty lists and odd characters."""
    if text is None:
        return []
    names: list[str] = []
    for part in text.split(","):
        name = part.strip()
        if not name or name.lower() in (n.lower() for n in names):
            continue  # "python,Python" is one listing, not two
        names.append(name)
    for name in names:
        if len(name) > 80 or any(ch in name for ch in "<>{}[]\\\"'"):
            raise InputError(f"invalid skill name {name!r}")
    if not names:
        raise InputError("no skill given: pass names such as python,php")
    return names


def parse_max_pages(text: str | int | None) -> int | None:
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise InputError(f"max_pages must be a whole number, got {text!r}") from None
    if value < 1:
        raise InputError(f"max_pages must be at least 1, got {value}")
    return value


def parse_since(text: str | None, today: date) -> date | None:
    if text is None or text == "":
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise InputError(f"since must be a date like 2026-11-01, got {text!r}") from None
    if value > today:
        raise InputError(f"since {value} is in the future")
    return value


def new_run_id(spider_name: str, started_at: datetime) -> str:
    return f"{started_at:%Y%m%dT%H%M%SZ}-{spider_name}-{secrets.token_hex(3)}"


def short(exc: BaseException, limit: int = 200) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class OlmSpider(scrapy.Spider):
    """Common behaviour: a run id and snapshot date, validated arguments, listing outcomes."""

    platform: str = ""
    #: Arguments this spider accepts (Scrapy passes unknown ``-a`` options too; we refuse them).
    accepted_arguments: frozenset[str] = frozenset({"countries", "skills", "max_pages"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.arguments = {k: v for k, v in kwargs.items() if k not in ("name", "_job")}
        super().__init__(*args, **kwargs)
        self.started_at = datetime.now(UTC)
        self.snapshot_date = self.started_at.date()
        self.run_id = kwargs.get("run_id") or new_run_id(self.name, self.started_at)
        self.argument_error: str | None = None
        self.listings: ListingBook | None = None
        try:
            check_run_id(self.run_id)
            unknown = set(self.arguments) - self.accepted_arguments - {"run_id"}
            if unknown:
                raise InputError(
                    f"unknown argument(s) {sorted(unknown)}; "
                    f"this spider takes {sorted(self.accepted_arguments)}"
                )
            self.parse_arguments(**{k: v for k, v in self.arguments.items() if k != "run_id"})
        except InputError as exc:
            self.argument_error = str(exc)
            if not RUN_ID_PATTERN.match(str(self.run_id)):  # the store must never see it
                self.run_id = new_run_id(self.name, self.started_at)

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        if settings.get("OLM_JOB_DIR"):  # listing checkpoints need items in order
            settings.set("CONCURRENT_ITEMS", 1, priority="spider")
        if settings.get("REDIS_URL"):  # a distributed crawl (olmcrawl.distributed)
            from olmcrawl.distributed.download import DEFAULT_INNER, HANDLER, INNER_HANDLERS

            handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
            inner = {
                scheme: handlers[scheme]
                if handlers.get(scheme) not in (None, HANDLER)
                else DEFAULT_INNER
                for scheme in ("http", "https")
            }
            settings.set(INNER_HANDLERS, inner, priority="spider")
            settings.set(
                "DOWNLOAD_HANDLERS",
                {**settings.getdict("DOWNLOAD_HANDLERS"), "http": HANDLER, "https": HANDLER},
                priority="spider",
            )
            settings.set(
                "SCHEDULER", "olmcrawl.distributed.scheduler.SharedScheduler", priority="spider"
            )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.join_shared_crawl(crawler)
        if spider.shared is not None:
            from olmcrawl.distributed.listings import SharedListingBook

            spider.listings = SharedListingBook(crawler, spider.shared)
        else:
            spider.listings = ListingBook(crawler)
        crawler.signals.connect(spider.callback_failed, signal=signals.spider_error)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        spider.open_journal(crawler.settings.get("OLM_JOB_DIR"))
        return spider

    # -- distributed runs (olmcrawl.distributed) ---------------------------------------------

    def join_shared_crawl(self, crawler: Crawler) -> None:
        """With ``REDIS_URL``, join the shared crawl of this spider, arguments and base URL
        (or start it): the run id and snapshot date become the crawl's. A Redis that does not
        answer is kept in ``shared_error`` and closes the crawl before any request."""
        self.shared: Any = None
        self.shared_error: str | None = None
        settings = crawler.settings
        if not settings.get("REDIS_URL") or self.argument_error:
            return
        if settings.get("OLM_JOB_DIR"):
            self.argument_error = (
                "a distributed crawl (REDIS_URL) keeps its queue in Redis and cannot also be "
                "resumed from a job directory: drop OLM_JOB_DIR"
            )
            return
        if "run_id" in self.arguments:
            self.argument_error = (
                "the workers of a distributed crawl name their own runs: drop run_id"
            )
            return
        from olmcrawl.distributed.shared import SharedCrawl, problem_text, public_url, redis_problem

        try:
            import redis
        except ImportError:
            self.shared_error = redis_problem(settings.get("REDIS_URL"))
            return
        try:
            self.shared = SharedCrawl.join(crawler, self)
        except InputError as exc:
            self.argument_error = str(exc)
        except (redis.RedisError, OSError) as exc:
            self.shared_error = (
                f"cannot reach Redis at {public_url(settings.get('REDIS_URL'))}: "
                f"{problem_text(exc)}"
            )

    # -- resumable runs (olmcrawl.base.journal) ----------------------------------------------

    def open_journal(self, folder: str | None) -> None:
        """With a job directory, resume the unfinished run it holds, or journal a new one."""
        self.journal: Journal | None = Journal(folder) if folder else None
        self.resumed: Resumed | None = None
        if self.journal is None or self.argument_error:
            return
        arguments = {k: v for k, v in self.arguments.items() if k != "run_id"}
        try:
            resumed = self.journal.unfinished(self.name, arguments)
        except InputError as exc:
            self.argument_error = str(exc)
            return
        if resumed is None:
            return
        if self.arguments.get("run_id") not in (None, resumed.run_id):
            self.argument_error = (
                f"the job directory holds unfinished run {resumed.run_id}, "
                f"not {self.arguments['run_id']}"
            )
            return
        self.resumed = resumed
        self.run_id = resumed.run_id
        self.snapshot_date = date.fromisoformat(resumed.snapshot_date)
        self.started_at = datetime.fromisoformat(resumed.started_at)

    def journal_start(self) -> None:
        if self.journal is None:
            return
        if self.resumed is None:
            self.journal.append(
                {
                    "kind": "start",
                    "run_id": self.run_id,
                    "snapshot_date": self.snapshot_date.isoformat(),
                    "started_at": self.started_at.isoformat(),
                    "spider": self.name,
                    "arguments": {k: v for k, v in self.arguments.items() if k != "run_id"},
                }
            )
        else:
            self.journal.append({"kind": "resumed", "at": datetime.now(UTC).isoformat()})
            for record in self.resumed.listings.values():
                self.listings.restore(record)

    def lookups(self) -> dict[str, Any]:
        """What a resumed run must not fetch again (a platform's skill and country lists)."""
        return {}

    def checkpoint_lookups(self) -> None:
        if self.journal is not None and not (self.resumed and self.resumed.lookups):
            found = self.lookups()
            if found:
                self.journal.append({"kind": "lookups", "lookups": found})

    def listing_done(self, label: str) -> bool:
        """Whether a resumed run read *label* before it was killed."""
        return self.resumed is not None and label in self.resumed.listings

    def listing_stored(self, label: str) -> None:
        """The rows of listing *label* are all in the store: journal it as done."""
        if self.journal is not None:
            self.journal.append({"kind": "listing", "record": self.listings[label].as_record()})

    def listing_checkpoint(self, label: str) -> ListingDone | None:
        """The marker to yield after a listing's last items (None without a job directory):
        when it reaches the store stage, the rows before it are flushed and it is journaled."""
        if self.journal is None or self.listings[label].outcome not in READ_OUTCOMES:
            return None
        return ListingDone(label)

    def parse_arguments(
        self,
        countries: str | None = None,
        skills: str | None = None,
        max_pages: str | None = None,
        **extra: str,
    ) -> None:
        self.country_codes = [] if countries is None else country_table.parse_list(countries)
        self.skill_names = parse_skill_names(skills)
        self.max_pages = parse_max_pages(max_pages)

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    @property
    def is_loopback(self) -> bool:
        return urlsplit(self.base_url).hostname in LOOPBACK_HOSTS

    def fail(self, reason: str, message: str) -> CloseSpider:
        """Log *message* as one line and return the CloseSpider to raise."""
        self.logger.error("%s: %s", self.name, message)
        self.crawler.stats.set_value("olm/failure", message)
        return CloseSpider(reason)

    def setting_error(self) -> str | None:
        """What is wrong with this spider's settings (checked before the first request)."""
        return None

    async def start(self) -> AsyncIterator[Any]:
        problem = self.argument_error or self.setting_error()
        if problem:
            raise self.fail("bad_arguments", problem)
        for label, filters in self.planned_listings():
            self.listings.open(label, filters)
        self.journal_start()
        async for request in self.start_listing():
            yield request

    def planned_listings(self) -> list[tuple[str, dict[str, Any]]]:
        """(label, filters) of every listing this run sets out to read."""
        raise NotImplementedError

    async def start_listing(self) -> AsyncIterator[Any]:
        raise NotImplementedError
        yield  # pragma: no cover

    # -- requests and their outcomes ---------------------------------------------------------

    def listing_request(
        self,
        label: str,
        page: int,
        url: str,
        callback: Callable[..., Any],
        *,
        request: dict[str, Any] | None = None,
        **cb_kwargs: Any,
    ) -> scrapy.Request:
        """The request for page *page* (0-based) of listing *label*, counted as requested.

        *request* passes more to scrapy.Request (``method``, ``body``, ``headers``: an API
        that takes POSTed queries)."""
        self.listings.requested(label, page)
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.page_failed,
            cb_kwargs={"label": label, "page": page, **cb_kwargs},
            meta={LISTING: label, PAGE: page},
            **(request or {}),
        )

    def bootstrap_request(
        self, url: str, callback: Callable[..., Any], what: str
    ) -> scrapy.Request:
        """A request every listing depends on (*what*: "the skill list", ...)."""
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.page_failed,
            dont_filter=True,
            meta={BOOTSTRAP: what},
        )

    def page_read(
        self, label: str, page: int, *, items: int, total: int | None, page_size: int
    ) -> bool:
        """Record that *page* was read; True if the listing goes on to the next page."""
        self.listings.read(label, page, items=items, total=total)
        if items == 0:
            self.listings.ended(label, "empty_page")
        elif total is not None and (page + 1) * page_size >= total:
            self.listings.ended(label, "total_count")
        elif self.max_pages is not None and page + 1 >= self.max_pages:
            self.listings.ended(label, "max_pages")
        else:
            return True
        return False

    def listing_page_failed(self, request: scrapy.Request, reason: str, detail: str = "") -> None:
        """Page of *request* failed for good with *reason*; the listing ends there."""
        meta = request.meta
        if BOOTSTRAP in meta:
            stop_crawl(
                self.crawler,
                "bootstrap_failed",
                f"{self.name}: could not read {meta[BOOTSTRAP]} ({reason}"
                + (f": {detail}" if detail else "")
                + f"; {request.url})",
            )
            return
        if LISTING in meta:
            self.listings.failed(meta[LISTING], meta[PAGE], reason, detail, request.url)

    def page_failed(self, failure: Failure) -> None:
        """Errback: a request failed after its retries, or was refused (robots.txt, a stop)."""
        request = failure.request
        reason = failure_reason(failure)
        if reason != "robots_txt":
            self.logger.warning("%s failed: %s", request.url, reason)
        self.listing_page_failed(request, reason, short(failure.value))

    def callback_failed(self, failure: Failure, response: Response, spider: Any) -> None:
        """``spider_error``: the callback raised while reading a page."""
        if spider is not self:
            return
        self.crawler.stats.inc_value("olm/errors/callback")
        self.crawler.stats.inc_value(f"olm/errors/callback/{type(failure.value).__name__}")
        self.listing_page_failed(response.request, CALLBACK_ERROR, short(failure.value))

    def request_dropped(self, request: scrapy.Request, spider: Any) -> None:
        """A request the scheduler refused: its page is lost, and said to be - except, in a
        distributed crawl, a listing page some worker queued first (it is that page's)."""
        if spider is not self:
            return
        if self.listings is not None and self.listings.shared and LISTING in request.meta:
            self.crawler.stats.inc_value("olm/distributed/pages_queued_by_another")
            return
        self.listing_page_failed(request, "dropped")
