"""What every pipeline stage shares: the crawler, and drops counted under olm/drop/<reason>."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Self, TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from olmcrawl.base.journal import ListingDone
from olmstats.items import OlmItem

StageT = TypeVar("StageT", bound="Stage")


def passes_markers(
    process_item: Callable[[StageT, OlmItem], OlmItem],
) -> Callable[[StageT, Any], Any]:
    """A stage's process_item that hands a listing checkpoint (not an item) on untouched."""

    @functools.wraps(process_item)
    def wrapper(self: StageT, item: Any) -> Any:
        if isinstance(item, ListingDone):
            return item
        return process_item(self, item)

    return wrapper


class Stage:
    """Base class of the pipeline stages (one stage per file in this folder)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def drop(self, item: OlmItem, reason: str, detail: str = "") -> DropItem:
        """Count the drop and return the DropItem to raise."""
        self.stats.inc_value(f"olm/drop/{reason}")
        self.stats.inc_value(f"olm/drop_by_dataset/{item.dataset.name}/{reason}")
        return DropItem(f"{item.dataset.name} dropped ({reason}){': ' + detail if detail else ''}")

    def count(self, key: str, value: int = 1) -> None:
        self.stats.inc_value(f"olm/{key}", value)
