"""Freelancer.com public directory: freelancer profiles by country and skill.

scrapy crawl freelancer_profiles -a countries=PK,IN -a skills=python -a max_pages=5
"""

from __future__ import annotations

from datetime import datetime

from spiders.base.freelancer_api import Entry, FreelancerApiSpider
from spiders.items import ProfileItem
from spiders.parsers.freelancer import profile_from_user


class FreelancerProfilesSpider(FreelancerApiSpider):
    name = "freelancer_profiles"
    listing_path = "users/0.1/users/directory/"
    entries_key = "users"
    # reputation: reviews, completed jobs, rating, earnings score; country_details: country;
    # jobs: the profile's skills. hourly_rate and registration_date come without asking.
    detail_switches = ("reputation", "country_details", "jobs")
    lists_by_country = True

    def item_from(
        self,
        entry: Entry,
        result: Entry,
        *,
        observed_at: datetime,
        country: str | None,
        skill: str | None,
    ) -> ProfileItem:
        return profile_from_user(
            entry,
            observed_at=observed_at,
            run_id=self.run_id,
            query_country=country,
            query_skill=skill,
        )
