"""Freelancer.com's public API, replayed from a simulated market plus real recorded responses.

Serves the four endpoints the spiders use, in the platform's JSON shape::

    GET /api/projects/0.1/jobs/                 the skill list
    GET /api/common/0.1/countries/              country names and codes
    GET /api/users/0.1/users/directory/         freelancer directory (countries[], jobs[])
    GET /api/projects/0.1/projects/active/      active projects (jobs[], from_time, owners)

It behaves like the API where the spiders depend on it: ``limit`` (at most 100) and ``offset``
paging with ``total_count``; detail switches decide which parts of an object are sent (ask for
``reputation`` and you get reputation; ask for nothing and you do not); ``compact=true`` drops
null fields. Objects carry the personal fields the platform shows (usernames, display names,
avatars, taglines, cities, descriptions) so that tests can prove none of them is stored.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from olmstats import countries as country_table
from olmstats.occupations import label as occupation_label
from olmstats.paths import data_file
from olmstats.replay.server import Reply
from olmstats.simulate import SimulatedMarket, currency_object, local_currency

MAX_LIMIT = 100
DEFAULT_LIMIT = 10
RECORDED_DIRECTORY_SKILL = 69  # WordPress: the query the recorded directory answer was for

# Which detail switch releases which key of a user object (directory: bare names; project
# owners: the same names prefixed with "user_").
USER_SWITCHES: dict[str, tuple[str, ...]] = {
    "reputation": ("reputation",),
    "location": ("country_details", "location_details"),
    "jobs": ("jobs",),
    "profile_description": ("profile_description",),
    "status": ("status",),
    "avatar": ("avatar",),
}
PROJECT_SWITCHES: dict[str, tuple[str, ...]] = {
    "jobs": ("job_details",),
    "description": ("full_description",),
    "upgrades": ("upgrade_details",),
    "location": ("location_details",),
}
DIRECTORY_ALWAYS_SENT = ("avatar",)  # the directory shows avatars without asking


def strip_nulls(value: Any) -> Any:
    """What ``compact=true`` does: drop null fields at every depth."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return any(v.lower() in ("true", "1") for v in query.get(name, ()))


def _select(
    obj: dict[str, Any],
    switches: dict[str, tuple[str, ...]],
    query: dict[str, list[str]],
    prefix: str = "",
    always: Iterable[str] = (),
) -> dict[str, Any]:
    keep_always = set(always)
    out = {}
    for key, value in obj.items():
        needs = switches.get(key)
        if (
            needs
            and key not in keep_always
            and not any(_flag(query, prefix + switch) for switch in needs)
        ):
            continue
        out[key] = value
    return out


@dataclass(slots=True)
class _Listed:
    country: str | None
    skills: frozenset[int]
    obj: dict[str, Any]
    time: int = 0
    owner: int | None = None


class FreelancerReplay:
    """Request handler logic for a replay of one simulated market (thread-safe, read-only)."""

    def __init__(self, market: SimulatedMarket, *, recorded: bool = True) -> None:
        self.origin = market.origin
        self.seed = market.parameters.seed
        self.countries = [c.iso2 for c in market.parameters.countries]
        self._skills = {
            row["skill_id"]: {
                "id": row["skill_id"],
                "name": row["skill_name"],
                "category": {"id": row["category_id"], "name": row["category_name"]},
                "seo_url": row["skill_name"].lower().replace(" ", "_"),
                "local": row["category_name"] == "Local Jobs & Services",
            }
            for row in market.skills.iter_rows(named=True)
        }
        self._countries = country_table.countries()
        self._users: list[_Listed] = [
            self._user(row) for row in market.profiles.iter_rows(named=True)
        ]
        self._owners: dict[int, dict[str, Any]] = {
            row["native_id"]: self._employer(row) for row in market.employers.iter_rows(named=True)
        }
        self._projects: list[_Listed] = [
            self._project(row) for row in market.jobs.iter_rows(named=True)
        ]
        self.recorded_user_ids: set[int] = set()
        self.recorded_project_ids: set[int] = set()
        if recorded:
            self._add_recorded()
        # Deterministic orders: the directory by a hash of the id, projects newest first.
        self._users.sort(key=lambda u: hashlib.md5(str(u.obj["id"]).encode()).digest())
        self._projects.sort(key=lambda p: (-p.time, p.obj["id"]))
        # The users one directory query matches, kept: a crawl asks the same query page after
        # page, and scanning every user for each page makes large replays (soak runs) slow.
        self._directory_matches: dict[tuple[frozenset, frozenset], list[_Listed]] = {}

    # -- rendering simulated rows --------------------------------------------------------------

    def _country_object(self, iso2: str) -> dict[str, Any]:
        lower = iso2.lower()
        return {
            "name": self._countries[iso2].name,
            "code": lower,
            "flag_url": f"/img/flags/png/{lower}.png",
            "highres_flag_url": f"/img/flags/highres_png/{lower}.png",
        }

    def _user(self, row: dict[str, Any]) -> _Listed:
        uid = row["native_id"]
        reviews = row["reviews"]
        history = {
            "overall": row["rating"],
            "on_budget": row["on_budget"],
            "on_time": row["on_time"],
            "positive": 1.0 if reviews else 0.0,
            "all": row["jobs_total"],
            "reviews": reviews,
            "incomplete_reviews": 0,
            "complete": row["jobs_completed"],
            "incomplete": row["jobs_total"] - row["jobs_completed"],
            "completion_rate": (
                row["jobs_completed"] / row["jobs_total"] if row["jobs_total"] else 0.0
            ),
            "user_id": uid,
        }
        rate = row["hourly_rate_usd"]
        label = occupation_label(row["occupation"]) or "freelance"
        obj = {
            "id": uid,
            "username": row["username"],
            "display_name": row["display_name"],
            "public_name": row["display_name"],
            "role": "freelancer",
            "chosen_role": "freelancer",
            "avatar": f"/ppic/{uid % 997:03d}/logo/{uid}/profile_logo_{uid}.jpg",
            "tagline": f"{label} by {row['username']}",
            "hourly_rate": None if rate is None or math.isnan(rate) else rate,
            "registration_date": row["registration_time"],
            "primary_currency": currency_object(local_currency(row["country"])),
            "location": {"country": self._country_object(row["country"]), "city": row["city"]},
            "jobs": [self._skills[s] for s in row["skill_ids"]],
            "reputation": {
                "entire_history": history,
                "last3months": None,
                "last12months": None,
                "earnings_score": row["earnings_score"],
                "job_history": {"count_other": 0, "job_counts": []},
                "role": "freelancer",
                "user_id": uid,
            },
            "profile_description": (
                f"Hello, I am {row['display_name']} ({row['username']}) from {row['city']}. "
                f"{label} since {2026 - int(row['tenure_years'])}."
            ),
            "status": {"payment_verified": bool(reviews), "email_verified": True},
        }
        return _Listed(row["country"], frozenset(row["skill_ids"]), obj)

    def _employer(self, row: dict[str, Any]) -> dict[str, Any]:
        uid = row["native_id"]
        return {
            "id": uid,
            "username": row["username"],
            "display_name": row["display_name"],
            "public_name": row["display_name"],
            "role": "employer",
            "chosen_role": "employer",
            "avatar": f"/ppic/{uid % 997:03d}/logo/{uid}/profile_logo_{uid}.jpg",
            "registration_date": row["registration_time"],
            "primary_currency": currency_object(local_currency(row["country"])),
            "location": {"country": self._country_object(row["country"]), "city": row["city"]},
            "status": {"payment_verified": True, "email_verified": True},
        }

    def _project(self, row: dict[str, Any]) -> _Listed:
        skills = [self._skills[s] for s in row["skill_ids"]]
        pid = row["native_id"]
        hourly = row["job_type"] == "hourly"
        title = f"{skills[0]['name']} work needed"
        obj = {
            "id": pid,
            "owner_id": row["owner_id"],
            "title": title,
            "status": "active",
            "seo_url": f"{skills[0]['seo_url']}/{title.lower().replace(' ', '-')}-{pid}",
            "currency": currency_object(row["currency"]),
            "description": f"{title}. Full brief follows.",
            "preview_description": f"{title}.",
            "jobs": skills,
            "submitdate": row["time_submitted"],
            "type": row["job_type"],
            "bidperiod": 7,
            "budget": {"minimum": row["budget_min"], "maximum": row["budget_max"]},
            "hourly_project_info": (
                {"commitment": {"hours": 40, "interval": "week"}, "duration_enum": "unspecified"}
                if hourly
                else None
            ),
            "bid_stats": {"bid_count": row["bid_count"], "bid_avg": row["bid_avg"]},
            "time_submitted": row["time_submitted"],
            "time_updated": row["time_submitted"],
            "upgrades": {"featured": False, "sealed": False, "nonpublic": False, "NDA": False},
            "language": "en",
            "frontend_project_status": "open",
            "hidebids": False,
            "location": {"country": {"name": None, "code": None}},
            "pool_ids": ["freelancer"],
        }
        return _Listed(
            None, frozenset(row["skill_ids"]), obj, row["time_submitted"], row["owner_id"]
        )

    # -- real recorded responses ---------------------------------------------------------------

    def _add_recorded(self) -> None:
        folder = data_file("replay", "freelancer")
        directory = json.loads(
            (folder / "users_directory_wordpress_2026-09-27_trimmed.json").read_text()
        )
        for user in directory["result"]["users"]:
            iso2 = country_table.resolve(
                user["location"]["country"].get("code"), user["location"]["country"].get("name")
            )
            self._users.append(_Listed(iso2, frozenset({RECORDED_DIRECTORY_SKILL}), user))
            self.recorded_user_ids.add(user["id"])
        active = json.loads((folder / "projects_active_python_2022-03-20_full.json").read_text())
        merged = json.loads((folder / "projects_with_owner_2021-09_app_merged.json").read_text())
        for project in active["result"]["projects"]:
            self._add_recorded_project(project)
        for project in merged:
            project = dict(project)
            owner = project.pop("client")
            self._owners[owner["id"]] = owner
            self._add_recorded_project(project)

    def _add_recorded_project(self, project: dict[str, Any]) -> None:
        skills = frozenset(j["id"] for j in project.get("jobs") or ())
        for job in project.get("jobs") or ():
            self._skills.setdefault(job["id"], job)
        self._projects.append(
            _Listed(None, skills, project, project["time_submitted"], project.get("owner_id"))
        )
        self.recorded_project_ids.add(project["id"])

    def demo_crawls(self) -> list[tuple[str, dict[str, str]]]:
        """What ``olm demo`` crawls from this replay: every country's directory, all projects."""
        return [
            ("freelancer_profiles", {"countries": ",".join(self.countries)}),
            ("freelancer_jobs", {}),
        ]

    # -- request handling ----------------------------------------------------------------------

    def handle(self, path: str, query: dict[str, list[str]]) -> Reply:
        routes = {
            "/api/projects/0.1/jobs/": self._jobs,
            "/api/common/0.1/countries/": self._country_list,
            "/api/users/0.1/users/directory/": self._directory,
            "/api/projects/0.1/projects/active/": self._active_projects,
        }
        route = routes.get(path if path.endswith("/") else path + "/")
        if route is None:
            return self._error(404, "NotFoundException", f"no such endpoint: {path}")
        try:
            result = route(query)
        except ValueError as exc:
            return self._error(400, "InvalidParameter", str(exc))
        if _flag(query, "compact"):
            result = strip_nulls(result)
        body = {
            "status": "success",
            "result": result,
            "request_id": hashlib.md5(repr(sorted(query.items())).encode()).hexdigest(),
        }
        return Reply(200, json.dumps(body).encode())

    def _error(self, status: int, code: str, message: str) -> Reply:
        body = {
            "status": "error",
            "message": message,
            "error_code": code,
            "request_id": hashlib.md5(message.encode()).hexdigest(),
        }
        return Reply(status, json.dumps(body).encode())

    @staticmethod
    def _paging(query: dict[str, list[str]]) -> tuple[int, int]:
        try:
            limit = int(query.get("limit", [DEFAULT_LIMIT])[0])
            offset = int(query.get("offset", [0])[0])
        except ValueError as exc:
            raise ValueError("limit and offset must be integers") from exc
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        return min(limit, MAX_LIMIT), offset

    @staticmethod
    def _skill_filter(query: dict[str, list[str]]) -> set[int]:
        try:
            return {int(v) for v in query.get("jobs[]", ())}
        except ValueError as exc:
            raise ValueError("jobs[] must be skill ids") from exc

    def _jobs(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        return sorted(self._skills.values(), key=lambda s: s["id"])

    def _country_list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        return {
            "countries": [
                {
                    "name": c.name,
                    "code": c.iso2.lower(),
                    "iso3": c.iso3,
                    "seo_url": c.name.lower().replace(" ", "-"),
                    "sanction": False,
                }
                for c in self._countries.values()
            ]
        }

    def _directory(self, query: dict[str, list[str]]) -> dict[str, Any]:
        limit, offset = self._paging(query)
        wanted_countries = {country_table.from_name(n) for n in query.get("countries[]", ())}
        if None in wanted_countries:
            raise ValueError("countries[] must be country names")
        wanted_skills = self._skill_filter(query)
        key = (frozenset(wanted_countries), frozenset(wanted_skills))
        matches = self._directory_matches.get(key)
        if matches is None:
            matches = self._directory_matches[key] = [
                u
                for u in self._users
                if (not wanted_countries or u.country in wanted_countries)
                and (not wanted_skills or u.skills & wanted_skills)
            ]
        page = matches[offset : offset + limit]
        users = [_select(u.obj, USER_SWITCHES, query, always=DIRECTORY_ALWAYS_SENT) for u in page]
        return {"users": users, "total_count": len(matches)}

    def _active_projects(self, query: dict[str, list[str]]) -> dict[str, Any]:
        limit, offset = self._paging(query)
        wanted_skills = self._skill_filter(query)
        try:
            from_time = int(query.get("from_time", [0])[0])
        except ValueError as exc:
            raise ValueError("from_time must be a unix time in seconds") from exc
        matches = [
            p
            for p in self._projects
            if p.time >= from_time and (not wanted_skills or p.skills & wanted_skills)
        ]
        page = matches[offset : offset + limit]
        projects = [_select(p.obj, PROJECT_SWITCHES, query) for p in page]
        users = None
        if _flag(query, "user_details"):
            users = {
                str(p.owner): _select(self._owners[p.owner], USER_SWITCHES, query, prefix="user_")
                for p in page
                if p.owner in self._owners
            }
        return {
            "projects": projects,
            "users": users,
            "selected_bids": None,
            "total_count": len(matches),
        }

    def served_profiles(
        self, countries: Iterable[str] | None = None, skills: Iterable[int] | None = None
    ) -> list[dict[str, Any]]:
        """The full user objects a directory crawl over *countries* × *skills* would see."""
        wanted_c = set(countries or ())
        wanted_s = set(skills or ())
        return [
            u.obj
            for u in self._users
            if (not wanted_c or u.country in wanted_c) and (not wanted_s or u.skills & wanted_s)
        ]

    def served_projects(
        self, skills: Iterable[int] | None = None, from_time: int = 0
    ) -> list[dict[str, Any]]:
        wanted_s = set(skills or ())
        return [
            p.obj
            for p in self._projects
            if p.time >= from_time and (not wanted_s or p.skills & wanted_s)
        ]

    def owner(self, native_id: int) -> dict[str, Any] | None:
        return self._owners.get(native_id)
