"""Stage 4: skills to one of the six Online Labour Index occupation classes.

Uses the item's platform's table in data/taxonomy (see its SOURCE.md). Counts:
``olm/occupation/unmapped_skill`` for every skill the table has no decision for (each also under
``olm/occupation/unmapped/<name>``, so the run record names them), ``olm/occupation/out_of_scope``
for skills deliberately outside the OLI scope, ``olm/occupation/none`` for items left without a
class, and ``olm/occupation/from_query_skill`` when a profile lists no skills and takes the class
of the skill the crawl asked for.
"""

from __future__ import annotations

from olmcrawl.pipelines.stage import Stage, passes_markers
from olmstats.items import OlmItem, ProfileItem
from olmstats.occupations import Skill, skill_map


def skill_id(value: object) -> str | None:
    """A platform skill id as text (``13`` → ``"13"``); None when there is none."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    return text or None


class ClassifyOccupationPipeline(Stage):
    @passes_markers
    def process_item(self, item: OlmItem) -> OlmItem:
        mapping = skill_map(item.platform)
        skills = [
            Skill(skill_id(raw.get("id")), str(raw.get("name") or ""), raw.get("category"))
            for raw in item.skills_raw
            if raw.get("name") or raw.get("id") is not None or raw.get("category")
        ]
        listed = [s for s in skills if s.id is not None]
        item.skill_ids = [s.id for s in listed]
        item.skills = [s.name for s in listed]
        result = mapping.classify(skills)
        for name in result.unmapped:
            self.count("occupation/unmapped_skill")
            self.count(f"occupation/unmapped/{name}")
        if result.out_of_scope:
            self.count("occupation/out_of_scope", len(result.out_of_scope))
        occupation = result.occupation
        if occupation is None and not skills and isinstance(item, ProfileItem) and item.query_skill:
            occupation = mapping.classify([Skill(None, item.query_skill)]).occupation
            if occupation:
                self.count("occupation/from_query_skill")
        if occupation is None:
            self.count("occupation/none")
        item.occupation = occupation
        return item
