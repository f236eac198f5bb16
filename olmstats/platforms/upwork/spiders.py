"""Upwork: archived job RSS feeds imported file by file, and the GraphQL job search.

    olm import upwork-rss tests/fixtures/upwork/rss_java.xml
    scrapy crawl upwork_rss -a file=tests/fixtures/upwork/rss_java.xml

Each file is one run, dated by the feed's own ``pubDate`` (its snapshot date and observation
time) and named by that date and the file's sha256: importing a file twice is refused.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from scrapy.http import Response

from olmcrawl.base.feeds import ArchivedFeedSpider, FeedSource
from olmcrawl.base.olm_spider import parse_max_pages
from olmcrawl.base.paged import Filters, MalformedPageError, PagedListingSpider, listing_label
from olmstats.errors import InputError
from olmstats.items import JobItem
from olmstats.platforms.upwork import PLATFORM
from olmstats.platforms.upwork.parse import (
    SEARCH_QUERY,
    Feed,
    is_upwork,
    job_from_item,
    job_from_node,
    read_feed,
)


class UpworkRssSpider(ArchivedFeedSpider):
    name = "upwork_rss"
    feed_name = "upwork-rss"
    platform = PLATFORM.name
    custom_settings: ClassVar[dict[str, Any]] = dict(PLATFORM.settings)

    @classmethod
    def read_source(cls, path: Path, data: bytes) -> FeedSource:
        try:
            feed = read_feed(data)
        except ValueError as exc:
            raise InputError(f"{path} is not an Upwork job feed: {exc}") from None
        if not is_upwork(feed):
            raise InputError(f"{path} is an RSS feed, but not Upwork's ({feed.title!r})")
        if feed.fetched_at is None:
            raise InputError(f"{path}: the feed has no date (channel pubDate), so no snapshot")
        return FeedSource(
            file=str(path),
            bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            fetched_at=feed.fetched_at,
            title=feed.title,
        )

    def read_entries(self, data: bytes) -> tuple[list[Any], Feed]:
        try:
            feed = read_feed(data)
        except ValueError as exc:
            raise MalformedPageError("malformed_page", str(exc)) from None
        return feed.items, feed

    def item_from(self, entry: Any, context: Feed, *, observed_at: datetime) -> JobItem:
        return job_from_item(entry, context, observed_at=observed_at, run_id=self.run_id)


class UpworkJobsSpider(PagedListingSpider):
    """Job search through Upwork's GraphQL API, for holders of an approved key.

        UPWORK_ACCESS_TOKEN=… olm crawl upwork_jobs --set UPWORK_QUERY=python

    The OAuth2 access token comes from the environment (``UPWORK_ACCESS_TOKEN``; an optional
    ``UPWORK_TENANT_ID`` selects the organisation); without one the spider stops before any
    request. Pages are ``UPWORK_PAGE_SIZE`` jobs, cursor after cursor, until ``hasNextPage`` is
    false, the announced ``totalCount`` or ``max_pages``. Upwork's terms restrict research and
    scraping uses of the API and caching beyond 24 hours: read them before running this.
    """

    name = "upwork_jobs"
    #: What the offline start test and the live contract test crawl.
    example_arguments: ClassVar[dict[str, str]] = {"query": "python"}
    platform = PLATFORM.name
    custom_settings: ClassVar[dict[str, Any]] = dict(PLATFORM.settings)
    accepted_arguments = frozenset({"query", "max_pages"})
    expects_json = True

    def parse_arguments(
        self, query: str | None = None, max_pages: str | None = None, **extra: str
    ) -> None:
        self.query = query.strip() if query and query.strip() else None
        self.max_pages = parse_max_pages(max_pages)
        self.cursors: dict[tuple[str, int], str] = {}

    def setting_error(self) -> str | None:
        if not self.settings.get("UPWORK_ACCESS_TOKEN"):
            return (
                "upwork_jobs needs UPWORK_ACCESS_TOKEN, an OAuth2 token of an approved Upwork "
                "API key (Upwork's terms restrict research and scraping uses: see the README)"
            )
        if not 1 <= self.page_size <= 100:
            return f"UPWORK_PAGE_SIZE must be 1 to 100, got {self.page_size}"
        return None

    @property
    def base_url(self) -> str:
        return PLATFORM.base_url(self.settings)

    @property
    def page_size(self) -> int:
        return self.settings.getint("UPWORK_PAGE_SIZE")

    def listing_filters(self) -> list[Filters]:
        return [{"query": self.query}]

    async def start_listing(self):
        for request in self.first_pages():
            yield request

    def page_url(self, filters: Filters, page: int) -> str:
        return self.base_url + "/graphql"

    def page_request_options(self, filters: Filters, page: int) -> dict[str, Any]:
        paging: dict[str, Any] = {"first": self.page_size}
        if page:
            paging["after"] = self.cursors[(listing_label(filters), page - 1)]
        job_filter: dict[str, Any] = {"pagination_eq": paging}
        if filters["query"]:
            job_filter["searchExpression_eq"] = filters["query"]
        body = {
            "query": SEARCH_QUERY,
            "variables": {
                "marketPlaceJobFilter": job_filter,
                "searchType": "USER_JOBS_SEARCH",
                "sortAttributes": [{"field": "RECENCY"}],
            },
        }
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.settings.get('UPWORK_ACCESS_TOKEN')}",
        }
        if self.settings.get("UPWORK_TENANT_ID"):
            headers["X-Upwork-API-TenantId"] = self.settings.get("UPWORK_TENANT_ID")
        return {"method": "POST", "body": json.dumps(body), "headers": headers}

    def read_page(self, response: Response) -> tuple[list[Any], int | None, Any]:
        try:
            data = json.loads(response.body)
        except ValueError:
            raise MalformedPageError("malformed_page", "not JSON") from None
        if not isinstance(data, dict):
            raise MalformedPageError("malformed_page", "not a GraphQL answer")
        if data.get("errors"):
            first = data["errors"][0] if isinstance(data["errors"], list) else data["errors"]
            message = first.get("message") if isinstance(first, dict) else first
            raise MalformedPageError("api_error", f"GraphQL error: {message}")
        search = (data.get("data") or {}).get("marketplaceJobPostingsSearch")
        if not isinstance(search, dict) or not isinstance(search.get("edges"), list):
            raise MalformedPageError("malformed_page", "no marketplaceJobPostingsSearch.edges")
        nodes = [e.get("node") if isinstance(e, dict) else None for e in search["edges"]]
        info = search.get("pageInfo") if isinstance(search.get("pageInfo"), dict) else {}
        label, page = response.request.cb_kwargs["label"], response.request.cb_kwargs["page"]
        total = search.get("totalCount")
        total = total if isinstance(total, int) and not isinstance(total, bool) else None
        if info.get("hasNextPage") and info.get("endCursor"):
            self.cursors[(label, page)] = str(info["endCursor"])
        else:  # no next page: this is the end, whatever totalCount says
            total = page * self.page_size + len(nodes)
        return nodes, total, None

    def item_from(
        self, entry: Any, context: Any, *, observed_at: datetime, filters: Filters
    ) -> Any:
        if not isinstance(entry, dict):
            self.crawler.stats.inc_value("olm/drop/malformed_entry")
            return None
        return job_from_node(
            entry, observed_at=observed_at, run_id=self.run_id, query_skill=filters["query"]
        )
