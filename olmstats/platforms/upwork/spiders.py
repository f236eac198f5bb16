"""Upwork's archived job RSS feeds, imported file by file.

    olm import upwork-rss tests/fixtures/upwork/rss_java.xml
    scrapy crawl upwork_rss -a file=tests/fixtures/upwork/rss_java.xml

Each file is one run, dated by the feed's own ``pubDate`` (its snapshot date and observation
time) and named by that date and the file's sha256: importing a file twice is refused.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from olmcrawl.base.feeds import ArchivedFeedSpider, FeedSource
from olmcrawl.base.paged import MalformedPageError
from olmstats.errors import InputError
from olmstats.items import JobItem
from olmstats.platforms.upwork import PLATFORM
from olmstats.platforms.upwork.parse import Feed, is_upwork, job_from_item, read_feed


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
