"""Freelancer.com active projects by skill, with each owner's country.

scrapy crawl freelancer_jobs -a skills=python,php -a since=2026-11-01 -a max_pages=10
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from spiders.base.freelancer_api import Entry, FreelancerApiSpider
from spiders.base.olm_spider import parse_since
from spiders.items import JobItem
from spiders.parsers.freelancer import job_from_project


class FreelancerJobsSpider(FreelancerApiSpider):
    name = "freelancer_jobs"
    listing_path = "projects/0.1/projects/active/"
    entries_key = "projects"
    # job_details: each project's skills; user_details + user_country_details: the owner's
    # country in result.users. Nothing about owners beyond that is asked for.
    detail_switches = ("job_details", "user_details", "user_country_details")
    accepted_arguments = frozenset({"skills", "max_pages", "since"})

    def parse_arguments(
        self,
        skills: str | None = None,
        max_pages: str | None = None,
        since: str | None = None,
        **extra: str,
    ) -> None:
        super().parse_arguments(skills=skills, max_pages=max_pages)
        self.since = parse_since(since, self.snapshot_date)

    def extra_params(self) -> list[tuple[str, Any]]:
        if self.since is None:
            return []
        return [("from_time", int(datetime.combine(self.since, time(0), UTC).timestamp()))]

    def item_from(
        self,
        entry: Entry,
        result: Entry,
        *,
        observed_at: datetime,
        country: str | None,
        skill: str | None,
    ) -> JobItem:
        return job_from_project(
            entry,
            result.get("users"),
            observed_at=observed_at,
            run_id=self.run_id,
            query_skill=skill,
        )
