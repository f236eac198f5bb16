"""Guru's job listings and freelancer directory, from the HTML pages.

    scrapy crawl guru_jobs -a categories=programming-development -a max_pages=5
    scrapy crawl guru_profiles -a countries=PK,IN -a skills=python,logo-design

Job listings: ``/d/jobs/`` or ``/d/jobs/c/<category>/``, then ``pg/<n>/``. The directory: one
listing per country (``/d/freelancers/l/<country>/``) and one per skill
(``/d/freelancers/skill/<skill>/``), each paged with ``pg/<n>/`` while a next page is linked -
the two URL forms the site documents; the rows say their own country either way. Guru answers
plain HTTP with Incapsula 403 pages: the first one stops the crawl (``blocked_incapsula``) with
the platform's advice (``olm platforms``), and a block page is never read as zero results.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from parsel import Selector
from scrapy.http import Response

from olmcrawl.base.olm_spider import parse_max_pages
from olmcrawl.base.paged import Filters, MalformedPageError, PagedListingSpider
from olmstats import countries as country_table
from olmstats.errors import InputError
from olmstats.platforms.guru import PLATFORM
from olmstats.platforms.guru.parse import (
    freelancer_card,
    job_card,
    job_from_card,
    profile_from_card,
    total_results,
)
from olmstats.platforms.text import slug

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugs(text: str | None, what: str) -> list[str]:
    """ "Programming & Development, logo-design" → ["programming-development", "logo-design"]."""
    if not text:
        return []
    found = []
    for part in text.split(","):
        value = slug(part)
        if not part.strip():
            continue
        if not SLUG.match(value):
            raise InputError(f"invalid Guru {what} {part.strip()!r}")
        if value not in found:
            found.append(value)
    return found


class GuruSpider(PagedListingSpider):
    platform = PLATFORM.name
    custom_settings: ClassVar[dict[str, Any]] = dict(PLATFORM.settings)

    @property
    def base_url(self) -> str:
        return PLATFORM.base_url(self.settings)

    @property
    def page_size(self) -> int:
        return self.settings.getint("GURU_PAGE_SIZE")

    async def start_listing(self):
        for request in self.first_pages():
            yield request

    @staticmethod
    def paged(path: str, page: int) -> str:
        return path + (f"pg/{page + 1}/" if page else "")


class GuruJobsSpider(GuruSpider):
    name = "guru_jobs"
    accepted_arguments = frozenset({"categories", "max_pages"})
    content_marker = b"jobRecord"

    def parse_arguments(
        self, categories: str | None = None, max_pages: str | None = None, **extra: str
    ) -> None:
        self.categories = slugs(categories, "category") or [None]
        self.max_pages = parse_max_pages(max_pages)

    def listing_filters(self) -> list[Filters]:
        return [{"category": c} for c in self.categories]

    def page_url(self, filters: Filters, page: int) -> str:
        category = filters["category"]
        return self.base_url + self.paged("/d/jobs/" + (f"c/{category}/" if category else ""), page)

    def read_page(self, response: Response) -> tuple[list[Any], int | None, Any]:
        cards = Selector(text=response.text).css("div.record.jobRecord[data-gid]")
        if not cards and "jobRecord" not in response.text and "serviceList" not in response.text:
            raise MalformedPageError("malformed_page", "not a Guru job listing page")
        return [job_card(c) for c in cards], total_results(response.text), None

    def item_from(
        self, entry: Any, context: Any, *, observed_at: datetime, filters: Filters
    ) -> Any:
        return job_from_card(
            entry, observed_at=observed_at, run_id=self.run_id, query_skill=filters["category"]
        )


class GuruProfilesSpider(GuruSpider):
    name = "guru_profiles"
    accepted_arguments = frozenset({"countries", "skills", "max_pages"})
    #: It needs an argument: what a first run might give (also the offline start test's).
    example_arguments: ClassVar[dict[str, str]] = {"countries": "PK"}
    content_marker = b"findGuruRecord"

    def parse_arguments(
        self,
        countries: str | None = None,
        skills: str | None = None,
        max_pages: str | None = None,
        **extra: str,
    ) -> None:
        self.country_codes = [] if countries is None else country_table.parse_list(countries)
        self.skill_slugs = slugs(skills, "skill")
        if not self.country_codes and not self.skill_slugs:
            raise InputError("guru_profiles needs countries and/or skills")
        self.max_pages = parse_max_pages(max_pages)

    def listing_filters(self) -> list[Filters]:
        return [{"country": c, "skill": None} for c in self.country_codes] + [
            {"country": None, "skill": s} for s in self.skill_slugs
        ]

    def page_url(self, filters: Filters, page: int) -> str:
        if filters["country"]:
            path = f"/d/freelancers/l/{slug(country_table.countries()[filters['country']].name)}/"
        else:
            path = f"/d/freelancers/skill/{filters['skill']}/"
        return self.base_url + self.paged(path, page)

    def read_page(self, response: Response) -> tuple[list[Any], int | None, Any]:
        selector = Selector(text=response.text)
        cards = selector.css("div.findGuruRecord")
        if (
            not cards
            and "findGuruRecord" not in response.text
            and "module_list" not in response.text
        ):
            raise MalformedPageError("malformed_page", "not a Guru freelancer directory page")
        entries = [freelancer_card(c) for c in cards]
        more = selector.css("li.active + li > a::attr(href)").get()
        page = response.request.cb_kwargs.get("page", 0) if response.request else 0
        # no announced total: the last page is the one without a next link
        total = None if more else page * self.page_size + len(entries)
        return entries, total, None

    def item_from(
        self, entry: Any, context: Any, *, observed_at: datetime, filters: Filters
    ) -> Any:
        return profile_from_card(
            entry,
            observed_at=observed_at,
            run_id=self.run_id,
            query_country=filters["country"],
            query_skill=filters["skill"],
        )
