"""Freelancer.com API objects → items. Pure functions over parsed JSON; no cleaning here.

Only the fields the statistics need are read (a whitelist): usernames, display names, avatars,
taglines, descriptions and cities are never touched, so they cannot travel further.
Field names and meanings: shared platform notes, section 1.3, checked against the real
responses in data/replay/freelancer/.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from olmstats.items import JobItem, ProfileItem

PLATFORM = "freelancer"
# Profiles' `hourly_rate` is in US$ whatever the user's primary currency (platform notes 1.3:
# INR-primary users list 20-55, and bpomax maps it to hourlyRateUsd). Recorded in fx_source.
PROFILE_RATE_CURRENCY = "USD"


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def text_id(value: Any) -> Any:
    """An id as text (the API sends integers); anything else is passed on for the pipeline to
    judge."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def epoch(value: Any, name: str, unparsed: dict[str, Any]) -> datetime | None:
    """Unix seconds (as the API sends them) → a UTC datetime; an unreadable value goes into
    *unparsed* under *name*."""
    if value is None:
        return None
    seconds = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.strip().isdecimal():
        seconds = int(value)
    if isinstance(value, float) and value.is_integer():
        seconds = int(value)
    try:
        if seconds is not None and seconds > 0:
            return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        pass
    unparsed[name] = value
    return None


def skills_from(jobs: Any) -> list[dict[str, Any]]:
    """The platform's `jobs` list (skills) → [{id, name, category}] with only those keys."""
    if not isinstance(jobs, list):
        return []
    return [
        {"id": job.get("id"), "name": job.get("name"), "category": _get(job, "category", "name")}
        for job in jobs
        if isinstance(job, dict)
    ]


def profile_from_user(
    user: dict[str, Any],
    *,
    observed_at: datetime,
    run_id: str,
    query_country: str | None = None,
    query_skill: str | None = None,
) -> ProfileItem:
    """A directory (or users endpoint) user object → ProfileItem."""
    history = _get(user, "reputation", "entire_history")
    unparsed: dict[str, Any] = {}
    registered_at = epoch(user.get("registration_date"), "registered_at", unparsed)
    return ProfileItem(
        platform=PLATFORM,
        run_id=run_id,
        observed_at=observed_at,
        native_id=text_id(user.get("id")),
        country_code_raw=_get(user, "location", "country", "code"),
        country_name_raw=_get(user, "location", "country", "name"),
        registered_at=registered_at,
        unparsed=unparsed,
        skills_raw=skills_from(user.get("jobs")),
        hourly_rate=user.get("hourly_rate"),
        hourly_rate_currency=PROFILE_RATE_CURRENCY,
        reviews=_get(history, "reviews"),
        jobs_completed=_get(history, "complete"),
        jobs_total=_get(history, "all"),
        rating=_get(history, "overall"),
        completion_rate=_get(history, "completion_rate"),
        on_time=_get(history, "on_time"),
        on_budget=_get(history, "on_budget"),
        earnings_score=_get(user, "reputation", "earnings_score"),
        query_country=query_country,
        query_skill=query_skill,
    )


def job_from_project(
    project: dict[str, Any],
    owners: dict[str, Any] | None,
    *,
    observed_at: datetime,
    run_id: str,
    query_skill: str | None = None,
) -> JobItem:
    """An active-projects object → JobItem; *owners* is ``result.users`` (keyed by str id)."""
    owner_id = project.get("owner_id")
    owners = owners if isinstance(owners, dict) else {}
    unparsed: dict[str, Any] = {}
    posted = project.get("time_submitted") or project.get("submitdate")
    owner = owners.get(str(owner_id)) if owner_id is not None else None
    return JobItem(
        platform=PLATFORM,
        run_id=run_id,
        observed_at=observed_at,
        native_id=text_id(project.get("id")),
        owner_native_id=text_id(owner_id),
        employer_country_code_raw=_get(owner, "location", "country", "code"),
        employer_country_name_raw=_get(owner, "location", "country", "name"),
        posted_at=epoch(posted, "posted_at", unparsed),
        unparsed=unparsed,
        skills_raw=skills_from(project.get("jobs")),
        job_type=project.get("type"),
        budget_min=_get(project, "budget", "minimum"),
        budget_max=_get(project, "budget", "maximum"),
        currency=_get(project, "currency", "code"),
        fx_usd_per_unit=_get(project, "currency", "exchange_rate"),
        bid_count=_get(project, "bid_stats", "bid_count"),
        bid_avg=_get(project, "bid_stats", "bid_avg"),
        bid_period_days=project.get("bidperiod"),
        language=project.get("language"),
        query_skill=query_skill,
    )
