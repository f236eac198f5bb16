"""Shared logic of the Freelancer.com API spiders: URLs, bootstrap lists, paging, API errors.

Subclasses say which endpoint they list, which detail switches they need, and how to turn one
page into items; this class resolves skill names to ids (``/projects/0.1/jobs/``, once per run)
and country codes to the platform's names (``/common/0.1/countries/``), then pages each listing
with ``limit``/``offset`` until an empty page, ``total_count`` or ``max_pages``.
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

    def api_url(self, path: str, params: Iterable[tuple[str, Any]] = ()) -> str:
        query = urlencode(list(params))
        return f"{self.base_url}/{path}" + (f"?{query}" if query else "")

    # -- bootstrap: skill ids and country names --------------------------------------------------

    async def start_listing(self) -> AsyncIterator[scrapy.Request]:
        self.skills_by_name: dict[str, dict[str, Any]] = {}
        self.country_names: dict[str, str] = {}
        if self.skill_names:
            yield scrapy.Request(
                self.api_url("projects/0.1/jobs/"), callback=self.parse_skill_list, dont_filter=True
            )
        elif self.lists_by_country and self.country_codes:
            yield self.country_list_request()
        else:
            for request in self.first_pages():
                yield request

    def country_list_request(self) -> scrapy.Request:
        return scrapy.Request(
            self.api_url("common/0.1/countries/"),
            callback=self.parse_country_list,
            dont_filter=True,
        )

    def parse_skill_list(self, response: Response) -> Iterator[scrapy.Request]:
        result = self.api_result(response)
        for skill in result if isinstance(result, list) else []:
            for key in (skill.get("name"), skill.get("seo_url")):
                if key:
                    self.skills_by_name.setdefault(str(key).strip().lower(), skill)
        unknown = [n for n in self.skill_names if n.strip().lower() not in self.skills_by_name]
        if unknown:
            known = sorted({s["name"] for s in self.skills_by_name.values()})
            hints = countries.closest_names(unknown[0], known)
            hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
            raise self.fail(
                "unknown_skill", f"unknown skill {unknown[0]!r} on {self.platform}{hint}"
            )
        if self.lists_by_country and self.country_codes:
            yield self.country_list_request()
        else:
            yield from self.first_pages()

    def parse_country_list(self, response: Response) -> Iterator[scrapy.Request]:
        result = self.api_result(response)
        for entry in (result or {}).get("countries", []):
            iso2 = countries.resolve(entry.get("code"), entry.get("name"))
            if iso2 and entry.get("name"):
                self.country_names.setdefault(iso2, entry["name"])
        missing = [c for c in self.country_codes if c not in self.country_names]
        if missing:
            raise self.fail(
                "unknown_country", f"{self.platform} lists no country with code {missing[0]}"
            )
        yield from self.first_pages()

    # -- listing ---------------------------------------------------------------------------------

    def listing_filters(self) -> Iterator[tuple[str | None, str | None]]:
        """(country code, skill name) for every listing to page through."""
        country_list = (self.country_codes or [None]) if self.lists_by_country else [None]
        return itertools.product(country_list, self.skill_names or [None])

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
        return scrapy.Request(
            self.api_url(self.listing_path, params),
            callback=self.parse_page,
            cb_kwargs={"country": country, "skill": skill, "page": page},
        )

    def extra_params(self) -> list[tuple[str, Any]]:
        return []

    def parse_page(
        self, response: Response, country: str | None, skill: str | None, page: int
    ) -> Iterator[Any]:
        result = self.api_result(response) or {}
        observed_at = datetime.now(UTC)
        entries = result.get(self.entries_key) or []
        skill_name = self.skill_display_name(skill)
        for entry in entries:
            yield self.item_from(
                entry, result, observed_at=observed_at, country=country, skill=skill_name
            )
        total = result.get("total_count")
        if page == 0:
            self.listings.append({"country": country, "skill": skill, "total_count": total})
        self.crawler.stats.inc_value("olm/pages")
        more = entries and (total is None or (page + 1) * self.page_size < total)
        if more and (self.max_pages is None or page + 1 < self.max_pages):
            yield self.page_request(country, skill, page + 1)
        elif more:
            self.crawler.stats.inc_value("olm/listing/stopped_at_max_pages")

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
        return self.skills_by_name[skill.strip().lower()]["name"] if skill else None

    # -- API envelope ----------------------------------------------------------------------------

    def api_result(self, response: Response) -> Any:
        """``result`` of a success envelope; stop the spider on an error envelope."""
        try:
            data = response.json()
        except ValueError:
            raise self.fail(
                "unexpected_response", f"expected JSON from {response.url}, got something else"
            ) from None
        if not isinstance(data, dict) or data.get("status") != "success":
            code = data.get("error_code") if isinstance(data, dict) else None
            message = data.get("message") if isinstance(data, dict) else None
            self.crawler.stats.inc_value(f"olm/api_error/{code or 'unknown'}")
            raise self.fail("api_error", f"API error {code}: {message} ({response.url})")
        return data.get("result")
