"""Stage 6: keep the first sighting of each profile or project in a run; count the rest.

A profile listed under several queried skills (or a project under several skills), or a page
that shifted while the crawl paged through it, is seen more than once. Later sightings are
dropped as ``duplicate``; ``query_skill`` keeps the query that found the entity first. In a
distributed crawl the first sighting is the crawl's: a key is kept by the worker that claims it
first in Redis (``<crawl>:seen:<dataset>``), so the crawl stores each entity once, as one run;
a worker then keeps no keys of its own, and its memory does not grow with the items it sees.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from scrapy.crawler import Crawler

from olmcrawl.pipelines.stage import Stage, passes_markers
from olmstats.items import OlmItem, ProfileItem
from olmstats.schema import DATASETS
from olmstats.store.layout import run_part_files


class DeduplicatePipeline(Stage):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: dict[str, set[str]] = {"profiles": set(), "jobs": set()}

    def open_spider(self) -> None:
        """A resumed run has seen what it stored before it was killed."""
        spider = self.crawler.spider
        if getattr(spider, "resumed", None) is None:
            return
        store = Path(self.crawler.settings.get("OLM_STORE"))
        for path in run_part_files(store, spider.run_id):
            dataset = DATASETS[path.relative_to(store).parts[0]]
            key = dataset.column_names[0]
            keys = pl.read_parquet(path, columns=[key], hive_partitioning=False)[key]
            self.seen[dataset.name].update(keys.to_list())

    @passes_markers
    def process_item(self, item: OlmItem) -> OlmItem:
        key = item.profile_id if isinstance(item, ProfileItem) else item.job_id
        shared = getattr(self.crawler.spider, "shared", None)
        if shared is not None:  # a worker of a distributed crawl: the first claim keeps it
            if not shared.claim(item.dataset.name, key):
                raise self.drop(item, "duplicate")
            return item
        seen = self.seen[item.dataset.name]
        if key in seen:
            raise self.drop(item, "duplicate")
        seen.add(key)
        return item
