"""Stage 6: keep the first sighting of each profile or project in a run; count the rest.

A profile listed under several queried skills (or a project under several skills), or a page
that shifted while the crawl paged through it, is seen more than once. Later sightings are
dropped as ``duplicate``; ``query_skill`` keeps the query that found the entity first.
"""

from __future__ import annotations

from scrapy.crawler import Crawler

from olmcrawl.pipelines.stage import Stage
from olmstats.items import OlmItem, ProfileItem


class DeduplicatePipeline(Stage):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: dict[str, set[str]] = {"profiles": set(), "jobs": set()}

    def process_item(self, item: OlmItem) -> OlmItem:
        key = item.profile_id if isinstance(item, ProfileItem) else item.job_id
        seen = self.seen[item.dataset.name]
        if key in seen:
            raise self.drop(item, "duplicate")
        seen.add(key)
        return item
