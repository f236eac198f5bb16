"""Freelancer.com's spiders: the freelancer directory and active projects, through the API.

    scrapy crawl freelancer_profiles -a countries=PK,IN -a skills=python -a max_pages=5
    scrapy crawl freelancer_jobs -a skills=python,php -a since=2026-11-01 -a max_pages=10

Both resolve skill names to ids (``/projects/0.1/jobs/``, once per run); the directory also
resolves country codes to the platform's names (``/common/0.1/countries/``). Listings page with
``limit``/``offset`` until an empty page, ``total_count`` or ``max_pages``. A page whose envelope
is not what the API promises (not JSON, ``status`` not ``success``, ``result`` null or of the
wrong type, a non-numeric ``total_count``) fails its listing with ``malformed_page`` or
``api_error``; an entry that is not a JSON object is dropped (``olm/drop/malformed_entry``).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import polars as pl
import scrapy
from scrapy.http import Response

from olmcrawl.base.olm_spider import parse_since
from olmcrawl.base.paged import Filters, MalformedPageError, PagedListingSpider, listing_label
from olmstats import countries
from olmstats.items import JobItem, ProfileItem
from olmstats.platforms.freelancer import PLATFORM
from olmstats.platforms.freelancer.parse import job_from_project, profile_from_user

#: One object of the API's JSON (a user, a project, a ``result``).
Entry = dict[str, Any]
#: The API's largest ``limit``: a page never holds more, so offsets step by at most this.
MAX_PAGE_SIZE = 100


class FreelancerApiSpider(PagedListingSpider):
    platform = PLATFORM.name
    custom_settings: ClassVar[dict[str, Any]] = dict(PLATFORM.settings)
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
        return PLATFORM.base_url(self.settings)

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

    def listing_filters(self) -> list[Filters]:
        country_list = (self.country_codes or [None]) if self.lists_by_country else [None]
        return [
            {"country": country, "skill": skill}
            for country, skill in itertools.product(country_list, self.skill_names or [None])
        ]

    # -- bootstrap: skill ids and country names ----------------------------------------------

    async def start_listing(self) -> AsyncIterator[scrapy.Request]:
        self.skills_by_name: dict[str, dict[str, Any]] = {}
        self.country_names: dict[str, str] = {}
        if self.resumed is not None and self.resumed.lookups:  # the lists read before the kill
            self.skills_by_name = self.resumed.lookups.get("skills_by_name", {})
            self.country_names = self.resumed.lookups.get("country_names", {})
            if self.skill_names:
                self.drop_same_skills()
            for request in self.first_pages():
                yield request
            return
        if self.skill_names:
            yield self.bootstrap_request(
                self.api_url("projects/0.1/jobs/"), self.parse_skill_list, "the skill list"
            )
        elif self.lists_by_country and self.country_codes:
            yield self.country_list_request()
        else:
            for request in self.first_pages():
                yield request

    def lookups(self) -> dict[str, Any]:
        return {"skills_by_name": self.skills_by_name, "country_names": self.country_names}

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
                for filters in self.listing_filters():
                    if filters["skill"] == name:
                        self.listings.forget(listing_label(filters))
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

    # -- listing pages -----------------------------------------------------------------------

    def page_url(self, filters: Filters, page: int) -> str:
        params: list[tuple[str, Any]] = []
        if filters["country"]:
            params.append(("countries[]", self.country_names[filters["country"]]))
        if filters["skill"]:
            params.append(("jobs[]", self.skills_by_name[filters["skill"].strip().lower()]["id"]))
        params += [
            *self.extra_params(filters),
            ("limit", self.page_size),
            ("offset", page * self.page_size),
            ("compact", "true"),
            *((switch, "true") for switch in self.detail_switches),
        ]
        return self.api_url(self.listing_path, params)

    def extra_params(self, filters: Filters) -> list[tuple[str, Any]]:
        return []

    def read_page(self, response: Response) -> tuple[list[Any], int | None, Any]:
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
        return entries, total, result

    def item_from(
        self, entry: Any, context: Any, *, observed_at: datetime, filters: Filters
    ) -> Any:
        if not isinstance(entry, dict):
            self.crawler.stats.inc_value("olm/drop/malformed_entry")
            return None
        skill = filters["skill"]
        skill_name = str(self.skills_by_name[skill.strip().lower()]["name"]) if skill else None
        return self.entry_item(
            entry, context, observed_at=observed_at, country=filters["country"], skill=skill_name
        )

    def entry_item(
        self,
        entry: Entry,
        result: Entry,
        *,
        observed_at: datetime,
        country: str | None,
        skill: str | None,
    ) -> Any:
        """One listing entry → item; *skill* is the platform's name of the queried skill."""
        raise NotImplementedError

    # -- API envelope ------------------------------------------------------------------------

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


class FreelancerProfilesSpider(FreelancerApiSpider):
    """The public freelancer directory, by country and skill."""

    name = "freelancer_profiles"
    #: What the offline start test and the live contract test crawl.
    example_arguments: ClassVar[dict[str, str]] = {"countries": "PK"}
    listing_path = "users/0.1/users/directory/"
    entries_key = "users"
    # reputation: reviews, completed jobs, rating, earnings score; country_details: country;
    # jobs: the profile's skills. hourly_rate and registration_date come without asking.
    detail_switches = ("reputation", "country_details", "jobs")
    lists_by_country = True

    def entry_item(
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


#: How far before the newest stored posting a ``since=stored`` crawl starts: jobs the platform
#: shows late (held for review) are still caught; readers count a job once per snapshot.
STORED_OVERLAP = timedelta(hours=1)


class FreelancerJobsSpider(FreelancerApiSpider):
    """Active projects by skill, with each owner's country.

    ``since=YYYY-MM-DD`` lists projects posted from that day (the API's ``from_time``);
    ``since=stored`` from the newest posting the store already holds for each listing (less an
    hour), so that frequent crawls fetch mainly new projects (the flow) cheaply.
    """

    name = "freelancer_jobs"
    #: What the offline start test and the live contract test crawl.
    example_arguments: ClassVar[dict[str, str]] = {"skills": "Python"}
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
        self.since_stored = since == "stored"
        self.since = None if self.since_stored else parse_since(since, self.snapshot_date)
        self.run_notes: list[str] = []

    def extra_params(self, filters: Filters) -> list[tuple[str, Any]]:
        if self.since_stored:
            start = self.stored_start(filters["skill"])
            return [] if start is None else [("from_time", int(start.timestamp()))]
        if self.since is None:
            return []
        return [("from_time", int(datetime.combine(self.since, time(0), UTC).timestamp()))]

    def stored_start(self, skill: str | None) -> datetime | None:
        """For ``since=stored``: the newest posting time this store holds for the listing's
        skill (all jobs: rows crawled without a skill), less :data:`STORED_OVERLAP`; None (read
        everything) when the store holds none. Only rows of runs that completed with every
        listing read to its end count: a run cut short (or by max_pages) must not move the
        start past postings it never read. Computed once per listing, said in the notes."""
        if not hasattr(self, "_stored_starts"):
            from olmstats.store import load_run_records, scan_jobs

            self._stored_starts: dict[str | None, datetime | None] = {}
            store = self.settings.get("OLM_STORE")
            jobs = scan_jobs(store, platforms=[self.platform], missing_ok=True)
            records, _ = load_run_records(store)
            whole = [
                run_id
                for run_id, r in records.items()
                if r.get("status") == "complete"
                and all(
                    isinstance(entry, dict) and entry.get("outcome") == "read_to_end"
                    for entry in r.get("listings") or []
                )
            ]
            self._newest: dict[str | None, datetime] = {}
            if jobs is not None:
                newest = (
                    jobs.filter(pl.col("run_id").is_in(whole))
                    .group_by(skill=pl.col("query_skill").str.to_lowercase())
                    .agg(pl.col("posted_at").max())
                    .collect()
                )
                self._newest = dict(newest.iter_rows())
        key = skill.strip().lower() if skill else None
        if key not in self._stored_starts:
            found = self._newest.get(key)
            start = None if found is None else found - STORED_OVERLAP
            self._stored_starts[key] = start
            self.run_notes.append(
                f"since=stored: listing {skill or 'all jobs'} "
                + (
                    f"from {start.isoformat()} (newest stored posting {found.isoformat()} "
                    f"less {STORED_OVERLAP})"
                    if start
                    else "read in full (no stored posting yet)"
                )
            )
        return self._stored_starts[key]

    def entry_item(
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
