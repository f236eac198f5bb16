"""The paged-listing engine every platform's listing spiders share.

A listing is one set of *filters* (``{"country": "IN", "skill": "Python"}``) paged from page 0
until an empty page, the announced total, or ``max_pages``. A subclass says how to build a
page's URL, how to read a page (its entries, the announced total, whatever context the entries
need), and how to turn one entry into an item; this class plans the listings, requests the pages,
records each page's outcome and decides whether the listing goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response

from olmcrawl.base.olm_spider import OlmSpider

Filters = dict[str, Any]


class MalformedPageError(Exception):
    """A page that is not what the platform promises; *reason* is the page-failure reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def listing_label(filters: Filters) -> str:
    """``country=IN skill=Python``; ``all`` for an unfiltered listing."""
    return " ".join(f"{key}={value}" for key, value in filters.items() if value) or "all"


class PagedListingSpider(OlmSpider):
    """A spider whose work is a set of paged listings."""

    @property
    def page_size(self) -> int:
        """Entries per page (the step of the announced total)."""
        raise NotImplementedError

    def listing_filters(self) -> list[Filters]:
        """The filters of every listing this run sets out to read."""
        raise NotImplementedError

    def page_url(self, filters: Filters, page: int) -> str:
        raise NotImplementedError

    def read_page(self, response: Response) -> tuple[list[Any], int | None, Any]:
        """(entries, announced total or None, context for item_from); MalformedPageError if
        the page is not a listing page."""
        raise NotImplementedError

    def item_from(
        self, entry: Any, context: Any, *, observed_at: datetime, filters: Filters
    ) -> Any:
        """One entry → an item, or None to skip it (counted by the subclass)."""
        raise NotImplementedError

    # -- the engine ------------------------------------------------------------------------

    def planned_listings(self) -> list[tuple[str, Filters]]:
        return [(listing_label(f), f) for f in self.listing_filters()]

    def first_pages(self) -> Iterator[scrapy.Request]:
        self.checkpoint_lookups()
        for filters in self.listing_filters():
            label = listing_label(filters)
            if label in self.listings.listings and not self.listing_done(label):
                yield self.page_request(filters, 0)

    def page_request(self, filters: Filters, page: int) -> scrapy.Request:
        return self.listing_request(
            listing_label(filters),
            page,
            self.page_url(filters, page),
            self.parse_page,
            request=self.page_request_options(filters, page),
            filters=filters,
        )

    def page_request_options(self, filters: Filters, page: int) -> dict[str, Any]:
        """More for the page's scrapy.Request (method, body, headers); nothing for a GET."""
        return {}

    def parse_page(
        self, response: Response, label: str, page: int, filters: Filters
    ) -> Iterator[Any]:
        try:
            entries, total, context = self.read_page(response)
        except MalformedPageError as exc:
            self.listing_page_failed(response.request, exc.reason, str(exc))
            return
        observed_at = datetime.now(UTC)
        for entry in entries:
            item = self.item_from(entry, context, observed_at=observed_at, filters=filters)
            if item is not None:
                yield item
        if self.page_read(label, page, items=len(entries), total=total, page_size=self.page_size):
            yield self.page_request(filters, page + 1)
        else:
            checkpoint = self.listing_checkpoint(label)
            if checkpoint is not None:
                yield checkpoint
