"""Archived feeds: a platform's files read from disk, one run per file, dated by the file.

A feed spider takes one argument, ``file``: the path of an archived feed. When the spider is
built it reads the file's header (:meth:`ArchivedFeedSpider.read_source`: is it this
platform's feed, and when was it fetched?) and takes the feed's own date as the run's snapshot
date and observation time - not the import date - and the file's sha256 as part of its run id,
so importing the same file twice is refused as a reused run id instead of adding rows. The file
is then read through Scrapy (``file://``) like any page, its entries through the same pipelines
as a crawl's, and the run record lists the source (path, size, sha256, feed date, title).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from olmcrawl.base.olm_spider import OlmSpider
from olmcrawl.base.paged import Filters, MalformedPageError
from olmstats.errors import InputError


@dataclass(frozen=True)
class FeedSource:
    """What an archived feed says about itself."""

    file: str
    bytes: int
    sha256: str
    fetched_at: datetime  # the feed's own date (UTC)
    title: str


class ArchivedFeedSpider(OlmSpider):
    """One archived feed file → the items of its entries."""

    accepted_arguments = frozenset({"file"})
    #: The data comes from the platform, by way of a file somebody archived.
    data_origin = "platform (archived file)"
    #: The name `olm import <feed> FILE…` knows this spider by.
    feed_name: str = ""

    @classmethod
    def read_source(cls, path: Path, data: bytes) -> FeedSource:
        """The feed's header; InputError if *data* is not this platform's feed or has no date."""
        raise NotImplementedError

    def read_entries(self, data: bytes) -> tuple[list[Any], Any]:
        """(entries, context for item_from); MalformedPageError when the body does not parse."""
        raise NotImplementedError

    def item_from(self, entry: Any, context: Any, *, observed_at: datetime) -> Any:
        raise NotImplementedError

    @classmethod
    def run_id_for(cls, source: FeedSource) -> str:
        """The run id of importing *source*: its feed date and its sha256, so never twice."""
        return f"{source.fetched_at:%Y%m%dT%H%M%SZ}-{cls.name}-{source.sha256[:12]}"

    @classmethod
    def source_of(cls, file: str) -> FeedSource:
        """Read and check *file* (a one-line InputError for every way it can be wrong)."""
        path = Path(file)
        if not path.is_file():
            raise InputError(f"{file}: no such file")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{file}: cannot read it ({exc.strerror})") from None
        return cls.read_source(path, data)

    def parse_arguments(self, file: str | None = None, **extra: str) -> None:
        if not file:
            raise InputError(f"{self.name} needs file=<path of an archived feed>")
        self.source = self.source_of(file)
        self.sources = [{**asdict(self.source), "fetched_at": self.source.fetched_at.isoformat()}]
        self.snapshot_date = self.source.fetched_at.date()
        if "run_id" not in self.arguments:
            self.run_id = self.run_id_for(self.source)
        self.max_pages = None

    @property
    def base_url(self) -> str:
        return "file://"

    @property
    def is_loopback(self) -> bool:
        return True  # no host is contacted

    @property
    def label(self) -> str:
        return f"file={Path(self.source.file).name}"

    def planned_listings(self) -> list[tuple[str, Filters]]:
        return [(self.label, {"file": self.source.file})]

    async def start_listing(self) -> AsyncIterator[scrapy.Request]:
        yield self.listing_request(
            self.label, 0, Path(self.source.file).resolve().as_uri(), self.parse_feed
        )

    def parse_feed(self, response: Response, label: str, page: int) -> Any:
        if hashlib.sha256(response.body).hexdigest() != self.source.sha256:
            self.listing_page_failed(
                response.request, "malformed_page", "the file changed since the run started"
            )
            return
        try:
            entries, context = self.read_entries(response.body)
        except MalformedPageError as exc:
            self.listing_page_failed(response.request, exc.reason, str(exc))
            return
        for entry in entries:
            item = self.item_from(entry, context, observed_at=self.source.fetched_at)
            if item is not None:
                yield item
        self.page_read(
            label, page, items=len(entries), total=len(entries), page_size=max(len(entries), 1)
        )
