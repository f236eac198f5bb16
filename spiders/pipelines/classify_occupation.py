"""Stage 4: skills to one of the six Online Labour Index occupation classes.

Uses data/taxonomy (see its SOURCE.md). Counts: ``olm/occupation/unmapped_skill`` for every
skill the table has no decision for (each also under ``olm/occupation/unmapped/<name>``, so the
run record names them), ``olm/occupation/out_of_scope`` for skills deliberately outside the OLI
scope, ``olm/occupation/none`` for items left without a class, and
``olm/occupation/from_query_skill`` when a profile lists no skills and takes the class of the
skill the crawl asked for.
"""

from __future__ import annotations

from scrapy.crawler import Crawler

from olmstats.occupations import Skill, freelancer_skill_map
from spiders.items import OlmItem, ProfileItem
from spiders.pipelines.stage import Stage
from spiders.pipelines.validate import as_int


class ClassifyOccupationPipeline(Stage):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.skill_map = freelancer_skill_map()

    def process_item(self, item: OlmItem) -> OlmItem:
        skills = [
            Skill(as_int(raw.get("id")), str(raw.get("name") or ""), raw.get("category"))
            for raw in item.skills_raw
            if raw.get("name") or raw.get("id") is not None
        ]
        item.skill_ids = [s.id for s in skills if s.id is not None]
        item.skills = [s.name for s in skills if s.id is not None]
        result = self.skill_map.classify(skills)
        for name in result.unmapped:
            self.count("occupation/unmapped_skill")
            self.count(f"occupation/unmapped/{name}")
        if result.out_of_scope:
            self.count("occupation/out_of_scope", len(result.out_of_scope))
        occupation = result.occupation
        if occupation is None and not skills and isinstance(item, ProfileItem) and item.query_skill:
            occupation = self.skill_map.classify([Skill(None, item.query_skill)]).occupation
            if occupation:
                self.count("occupation/from_query_skill")
        if occupation is None:
            self.count("occupation/none")
        item.occupation = occupation
        return item
