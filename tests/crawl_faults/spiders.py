"""Real Freelancer spiders with one deliberate bug each (tests of callback and pipeline errors).

- ``faulty_callback``: the directory spider whose callback raises on the 3rd entry of the
  first page of the India listing (after yielding the two before it).
- ``faulty_pipeline``: the directory spider with an extra pipeline stage that raises on the
  5th item it sees.
"""

from __future__ import annotations

from typing import Any, ClassVar

from olmcrawl.settings import ITEM_PIPELINES
from olmstats.platforms.freelancer.spiders import FreelancerProfilesSpider

BROKEN_ENTRY = 2  # 0-based: the 3rd entry
BROKEN_ITEM = 5


class FaultyCallbackSpider(FreelancerProfilesSpider):
    name = "faulty_callback"

    def entry_item(self, entry: dict[str, Any], result: dict[str, Any], **kwargs: Any) -> Any:
        self.seen = getattr(self, "seen", 0)
        if kwargs["country"] == "IN":
            self.seen += 1
            if self.seen == BROKEN_ENTRY + 1:
                raise KeyError("a bug in the parser")
        return super().entry_item(entry, result, **kwargs)


class BrokenStage:
    def __init__(self) -> None:
        self.items = 0

    def process_item(self, item: Any) -> Any:
        self.items += 1
        if self.items == BROKEN_ITEM:
            raise ValueError("a bug in a pipeline stage")
        return item


class FaultyPipelineSpider(FreelancerProfilesSpider):
    name = "faulty_pipeline"
    custom_settings: ClassVar[dict[str, Any]] = {
        "ITEM_PIPELINES": {**ITEM_PIPELINES, "tests.crawl_faults.spiders.BrokenStage": 700}
    }
