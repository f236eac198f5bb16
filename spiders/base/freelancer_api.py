"""Shared logic of the Freelancer.com API spiders: URLs, bootstrap lists, paging, API envelopes.

Subclasses say which endpoint they list, which detail switches they need, and how to turn one
entry into an item; this class resolves skill names to ids (``/projects/0.1/jobs/``, once per
run) and country codes to the platform's names (``/common/0.1/countries/``), then pages each
listing with ``limit``/``offset`` until an empty page, ``total_count`` or ``max_pages``.

A page whose envelope is not what the API promises (not JSON, ``status`` not ``success``,
``result`` null or of the wrong type, a non-numeric ``total_count``) fails its listing with
reason ``malformed_page`` or ``api_error``; the other listings go on. An entry that is not a JSON
object is dropped and counted (``olm/drop/malformed_entry``).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from olmstats import countries
from spiders.base.olm_spider import OlmSpider

#: One object of the API's JSON (a user, a project, a ``result``).
Entry = dict[str, Any]
#: The API's largest ``limit``: a page never holds more, so offsets step by at most this.
MAX_PAGE_SIZE = 100


class MalformedPageError(Exception):
    """A page that is not what the API promises; *reason* is the page-failure reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def listing_label(country: str | None, skill: str | None) -> str:
    parts = [f"country={country}" if country else "", f"skill={skill}" if skill else ""]
    return " ".join(p for p in parts if p) or "all"


class FreelancerApiSpider(OlmSpider):
    platform = "freelancer"
    #: An HTML answer from the API is a block or login page (BlockDetectionMiddleware).
    expects_json = True
    #: Path of the listing endpoint under the API root, e.g. "users/0.1/users/directory/".
    listing_path: str = ""
    #: Detail switches sent with every listing request (only what the parser reads).
    detail_switches: tuple[str, ...] = ()
    #: Key of the listed objects in ``result`` ("users", "projects").
    entries_key: str = ""
    #: Whether listings are split by country (the directory) or not (projects).
    lists_by_country: bool = False

    @property
    def base_url(self) -> str:
        return self.settings.get("FREELANCER_API_URL").rstrip("/")

    @property
    def page_size(self) -> int:
        return self.settings.getint("FREELANCER_PAGE_SIZE")

    def setting_error(self) -> str | None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            return (
                f"FREELANCER_PAGE_SIZE must be 1 to {MAX_PAGE_SIZE} (the API's largest limit; "
                f"a larger one would skip items), got {self.page_size}"
            )
        return None

    def api_url(self, path: str, params: Iterable[tuple[str, Any]] = ()) -> str:
        query = urlencode(list(params))
        return f"{self.base_url}/{path}" + (f"?{query}" if query else "")

    # -- bootstrap: skill ids and country names --------------------------------------------------

    def listing_filters(self) -> Iterator[tuple[str | None, str | None]]:
        """(country code, skill name) for every listing to page through."""
        country_list = (self.country_codes or [None]) if self.lists_by_country else [None]
        return itertools.product(country_list, self.skill_names or [None])

    def planned_listings(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (listing_label(country, skill), {"country": country, "skill": skill})
            for country, skill in self.listing_filters()
        ]

    async def start_listing(self) -> AsyncIterator[scrapy.Request]:
        self.skills_by_name: dict[str, dict[str, Any]] = {}
        self.country_names: dict[str, str] = {}
        if self.skill_names:
            yield self.bootstrap_request(
                self.api_url("projects/0.1/jobs/"), self.parse_skill_list, "the skill list"
            )
        elif self.lists_by_country and self.country_codes:
            yield self.country_list_request()
        else:
            for request in self.first_pages():
                yield request

    def country_list_request(self) -> scrapy.Request:
        return self.bootstrap_request(
            self.api_url("common/0.1/countries/"), self.parse_country_list, "the country list"
        )

    def bootstrap_result(self, response: Response, expected: type) -> Any:
        try:
            result = self.api_result(response)
        except MalformedPageError as exc:
            self.listing_page_failed(response.request, exc.reason, str(exc))
            return None
        if not isinstance(result, expected):
            self.listing_page_failed(
                response.request,
                "malformed_page",
                f"result is {type(result).__name__}, expected {expected.__name__}",
            )
            return None
        return result

    def parse_skill_list(self, response: Response) -> Iterator[scrapy.Request]:
        result = self.bootstrap_result(response, list)
        if result is None:
            return
        for skill in result:
            if not isinstance(skill, dict):
                continue
            for key in (skill.get("name"), skill.get("seo_url")):
                if key and skill.get("id") is not None:
                    self.skills_by_name.setdefault(str(key).strip().lower(), skill)
        unknown = [n for n in self.skill_names if n.strip().lower() not in self.skills_by_name]
        if unknown:
            known = sorted({str(s["name"]) for s in self.skills_by_name.values()})
            hints = countries.closest_names(unknown[0], known)
            hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
            raise self.fail(
                "unknown_skill", f"unknown skill {unknown[0]!r} on {self.platform}{hint}"
            )
        self.drop_same_skills()
        if self.lists_by_country and self.country_codes:
            yield self.country_list_request()
        else:
            yield from self.first_pages()

    def drop_same_skills(self) -> None:
        """Names that resolve to one skill ("Web Scraping", "web_scraping") are one listing."""
        seen: set[Any] = set()
        kept = []
        for name in self.skill_names:
            skill_id = self.skills_by_name[name.strip().lower()]["id"]
            if skill_id in seen:
                self.crawler.stats.inc_value("olm/listing/same_skill_named_twice")
                for country in (self.country_codes or [None]) if self.lists_by_country else [None]:
                    self.listings.forget(listing_label(country, name))
                continue
            seen.add(skill_id)
            kept.append(name)
        self.skill_names = kept

    def parse_country_list(self, response: Response) -> Iterator[scrapy.Request]:
        result = self.bootstrap_result(response, dict)
        if result is None:
            return
        entries = result.get("countries")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            iso2 = countries.resolve(entry.get("code"), entry.get("name"))
            if iso2 and isinstance(entry.get("name"), str):
                self.country_names.setdefault(iso2, entry["name"])
        missing = [c for c in self.country_codes if c not in self.country_names]
        if missing:
            raise self.fail(
                "unknown_country", f"{self.platform} lists no country with code {missing[0]}"
            )
        yield from self.first_pages()

    # -- listing ---------------------------------------------------------------------------------

    def first_pages(self) -> Iterator[scrapy.Request]:
        for country, skill in self.listing_filters():
            yield self.page_request(country, skill, page=0)

    def filter_params(self, country: str | None, skill: str | None) -> list[tuple[str, Any]]:
        params: list[tuple[str, Any]] = []
        if country:
            params.append(("countries[]", self.country_names[country]))
        if skill:
            params.append(("jobs[]", self.skills_by_name[skill.strip().lower()]["id"]))
        return params

    def page_request(self, country: str | None, skill: str | None, page: int) -> scrapy.Request:
        params = [
            *self.filter_params(country, skill),
            *self.extra_params(),
            ("limit", self.page_size),
            ("offset", page * self.page_size),
            ("compact", "true"),
            *((switch, "true") for switch in self.detail_switches),
        ]
        return self.listing_request(
            listing_label(country, skill),
            page,
            self.api_url(self.listing_path, params),
            self.parse_page,
            country=country,
            skill=skill,
        )

    def extra_params(self) -> list[tuple[str, Any]]:
        return []

    def page_entries(self, response: Response) -> tuple[dict[str, Any], list[Any], int | None]:
        """(result, entries, total_count) of a listing page; MalformedPageError if it is not one."""
        result = self.api_result(response)
        if not isinstance(result, dict):
            raise MalformedPageError(
                "malformed_page", f"result is {type(result).__name__}, expected an object"
            )
        entries = result.get(self.entries_key)
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise MalformedPageError(
                "malformed_page",
                f"result.{self.entries_key} is {type(entries).__name__}, expected a list",
            )
        total = result.get("total_count")
        if total is not None and (isinstance(total, bool) or not isinstance(total, int)):
            raise MalformedPageError("malformed_page", f"total_count is {total!r}, not a count")
        return result, entries, total

    def parse_page(
        self,
        response: Response,
        label: str,
        page: int,
        country: str | None,
        skill: str | None,
    ) -> Iterator[Any]:
        try:
            result, entries, total = self.page_entries(response)
        except MalformedPageError as exc:
            self.listing_page_failed(response.request, exc.reason, str(exc))
            return
        observed_at = datetime.now(UTC)
        skill_name = self.skill_display_name(skill)
        for entry in entries:
            if not isinstance(entry, dict):
                self.crawler.stats.inc_value("olm/drop/malformed_entry")
                continue
            yield self.item_from(
                entry, result, observed_at=observed_at, country=country, skill=skill_name
            )
        if self.page_read(label, page, items=len(entries), total=total, page_size=self.page_size):
            yield self.page_request(country, skill, page + 1)

    def item_from(
        self,
        entry: dict[str, Any],
        result: dict[str, Any],
        *,
        observed_at: datetime,
        country: str | None,
        skill: str | None,
    ) -> Any:
        """One listing entry → item; *skill* is the platform's name of the queried skill."""
        raise NotImplementedError

    def skill_display_name(self, skill: str | None) -> str | None:
        return str(self.skills_by_name[skill.strip().lower()]["name"]) if skill else None

    # -- API envelope ----------------------------------------------------------------------------

    def api_result(self, response: Response) -> Any:
        """``result`` of a success envelope; MalformedPageError for anything else."""
        if not response.body.strip():
            raise MalformedPageError("malformed_page", "empty body")
        try:
            data = response.json()
        except (ValueError, AttributeError):
            raise MalformedPageError("malformed_page", "not JSON") from None
        if not isinstance(data, dict):
            raise MalformedPageError(
                "malformed_page", f"JSON {type(data).__name__}, not an envelope"
            )
        if data.get("status") != "success":
            code = data.get("error_code")
            self.crawler.stats.inc_value(f"olm/api_error/{code or 'unknown'}")
            raise MalformedPageError("api_error", f"API error {code}: {data.get('message')}")
        return data.get("result")
