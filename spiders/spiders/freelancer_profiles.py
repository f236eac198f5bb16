"""Freelancer.com public directory: freelancer profiles by country and skill.

scrapy crawl freelancer_profiles -a countries=PK,IN -a skills=python,"graphic design" -a max_pages=5
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from spiders.base.freelancer_api import FreelancerApiSpider
from spiders.items import ProfileItem
from spiders.parsers.freelancer import profile_from_user


class FreelancerProfilesSpider(FreelancerApiSpider):
    name = "freelancer_profiles"
    listing_path = "users/0.1/users/directory/"
    # reputation: reviews, completed jobs, rating, earnings score; country_details: country;
    # jobs: the profile's skills. hourly_rate and registration_date come without asking.
    detail_switches = ("reputation", "country_details", "jobs")
    lists_by_country = True

    def page_entries(self, result: dict[str, Any]) -> list[dict[str, Any]]:
        return result.get("users") or []

    def parse_entries(
        self,
        result: dict[str, Any],
        entries: list[dict[str, Any]],
        *,
        observed_at: datetime,
        country: str | None,
        skill: str | None,
    ) -> Iterator[ProfileItem]:
        skill_name = self.skill_display_name(skill)
        for user in entries:
            yield profile_from_user(
                user,
                observed_at=observed_at,
                run_id=self.run_id,
                query_country=country,
                query_skill=skill_name,
            )
