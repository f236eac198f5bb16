"""PeoplePerHour's job listings (read from the state each page embeds) and its directory.

    scrapy crawl peopleperhour_jobs -a categories=design/logo-design,technology-programming

A listing is ``/freelance-jobs`` (every job) or ``/freelance-jobs/<category>[/<subcategory>]``,
paged with ``?page=N`` - the only query robots.txt allows; no other filter is ever sent, and
countries are taken from the rows. Jobs not open for proposals are dropped and counted
(``olm/drop/not_open``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from parsel import Selector
from scrapy.http import Response

from olmcrawl.base.embedded import EmbeddedStateSpider
from olmcrawl.base.olm_spider import parse_max_pages
from olmcrawl.base.paged import Filters, MalformedPageError, PagedListingSpider
from olmstats.errors import InputError
from olmstats.platforms.peopleperhour import PLATFORM
from olmstats.platforms.peopleperhour.parse import (
    STATE,
    card_fields,
    freelancer_card,
    is_open,
    job_from_card,
    job_from_project,
    listing_from_state,
    profile_from_card,
)

CATEGORY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)?$")


def parse_categories(text: str | None) -> list[str | None]:
    """ "design/logo-design, writing-translation" → the two slugs; none → every job."""
    if not text:
        return [None]
    slugs = []
    for part in text.split(","):
        slug = part.strip().strip("/").lower()
        if not slug:
            continue
        if not CATEGORY.match(slug):
            raise InputError(
                f"invalid PeoplePerHour category {part.strip()!r}: give a path such as "
                "design/logo-design (no query strings: robots.txt allows only ?page=N)"
            )
        if slug not in slugs:
            slugs.append(slug)
    if not slugs:
        raise InputError("no category given: pass paths such as design/logo-design")
    return slugs


class CategoryPages:
    """What both PeoplePerHour spiders share: listings by category path under ``root``, paged
    with ``?page=N`` only (robots.txt allows nothing else)."""

    root = ""
    accepted_arguments = frozenset({"categories", "max_pages"})
    platform = PLATFORM.name
    custom_settings: ClassVar[dict[str, Any]] = dict(PLATFORM.settings)
    #: What the offline start test and the live contract test crawl.
    example_arguments: ClassVar[dict[str, str]] = {"categories": "technology-programming"}

    def parse_arguments(
        self, categories: str | None = None, max_pages: str | None = None, **extra: str
    ) -> None:
        self.categories = parse_categories(categories)
        self.max_pages = parse_max_pages(max_pages)

    @property
    def base_url(self) -> str:
        return PLATFORM.base_url(self.settings)

    @property
    def page_size(self) -> int:
        return self.settings.getint("PEOPLEPERHOUR_PAGE_SIZE")

    def listing_filters(self) -> list[Filters]:
        return [{"category": category} for category in self.categories]

    async def start_listing(self) -> Any:
        for request in self.first_pages():
            yield request

    def page_url(self, filters: Filters, page: int) -> str:
        path = self.root + (f"/{filters['category']}" if filters["category"] else "")
        return self.base_url + path + (f"?page={page + 1}" if page else "")


class PeoplePerHourJobsSpider(CategoryPages, EmbeddedStateSpider):
    name = "peopleperhour_jobs"
    root = "/freelance-jobs"
    state_marker = STATE
    content_marker = b"window.PPHReact.initialState"

    def entries_from_state(self, state: Any) -> tuple[list[Any], int | None, Any]:
        try:
            entries, total = listing_from_state(state)
        except ValueError as exc:
            raise MalformedPageError("malformed_page", str(exc)) from None
        return entries, total, "state"

    def entries_from_cards(self, response: Response) -> tuple[list[Any], int | None, Any]:
        cards = Selector(text=response.text).css('[class*="item--container"]')
        if not cards:
            raise MalformedPageError("malformed_page", "neither an embedded state nor job cards")
        return [card_fields(card) for card in cards], None, "cards"

    def item_from(
        self, entry: Any, context: Any, *, observed_at: datetime, filters: Filters
    ) -> Any:
        if not isinstance(entry, dict):
            self.crawler.stats.inc_value("olm/drop/malformed_entry")
            return None
        query = filters["category"]
        if context == "cards":
            return job_from_card(
                entry, observed_at=observed_at, run_id=self.run_id, query_skill=query
            )
        if not is_open(entry):
            self.crawler.stats.inc_value("olm/drop/not_open")
            return None
        return job_from_project(
            entry, observed_at=observed_at, run_id=self.run_id, query_skill=query
        )


class PeoplePerHourProfilesSpider(CategoryPages, PagedListingSpider):
    """The freelancer directory, ``/hire-freelancers[/<category>[/<skill>]]?page=N``.

        scrapy crawl peopleperhour_profiles -a categories=technology-programming

    As for jobs, only clean paths and ``?page=N`` are requested (robots.txt); the directory has
    no country filter a crawler may use, so countries come from the cards. A listing ends at a
    page without cards (the directory announces no total). No recorded directory page exists:
    the cards' structure is the documented one (see parse.py).
    """

    name = "peopleperhour_profiles"
    root = "/hire-freelancers"
    content_marker = b"freelancer-card"

    def read_page(self, response: Response) -> tuple[list[Any], int | None, Any]:
        text = response.text
        cards = Selector(text=text).css('div[class*="freelancer-card"]')
        if not cards and "hire-freelancers" not in text and "freelancer-card" not in text:
            raise MalformedPageError("malformed_page", "not a PeoplePerHour directory page")
        return [freelancer_card(card) for card in cards], None, None

    def item_from(
        self, entry: Any, context: Any, *, observed_at: datetime, filters: Filters
    ) -> Any:
        return profile_from_card(
            entry, observed_at=observed_at, run_id=self.run_id, query_skill=filters["category"]
        )
