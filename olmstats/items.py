"""Typed items. Each carries every stored column of its dataset plus a few transient fields.

A platform's parser (``olmstats/platforms/<name>/parse.py``) hands the pipelines typed values,
not the platform's wire format: ids as text, times as UTC datetimes, amounts with their
currency, countries as the platform spelt them (``country_code_raw``/``country_name_raw``), and
skills as ``{id, name, category}``. A value it could not read goes into ``unparsed`` under the
field's name, so that the pipelines count it instead of mistaking it for a missing one. The
pipelines check, convert and complete the rest, and PseudonymisePipeline clears the native ids.
The Parquet stage writes only the dataset's columns, so a transient field never reaches the
store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from olmstats.schema import JOBS, PROFILES, Dataset


@dataclass(slots=True, kw_only=True)
class ProfileItem:
    dataset: ClassVar[Dataset] = PROFILES
    currency_field: ClassVar[str] = "hourly_rate_currency"
    money_fields: ClassVar[tuple[tuple[str, str], ...]] = (("hourly_rate", "hourly_rate_usd"),)

    platform: str
    run_id: str
    observed_at: datetime
    # raw, cleared or converted by the pipelines
    native_id: Any = None
    country_code_raw: Any = None
    country_name_raw: Any = None
    #: When the account was registered, as the parser read it (a UTC datetime).
    registered_at: datetime | None = None
    skills_raw: list[dict[str, Any]] = field(default_factory=list)
    unparsed: dict[str, Any] = field(default_factory=dict)
    # stored columns
    profile_id: str | None = None
    country: str | None = None
    registration_date: date | None = None
    hourly_rate: Any = None
    hourly_rate_currency: str | None = None
    hourly_rate_usd: float | None = None
    fx_usd_per_unit: Any = None
    fx_source: str | None = None
    reviews: Any = None
    jobs_completed: Any = None
    jobs_total: Any = None
    rating: Any = None
    completion_rate: Any = None
    on_time: Any = None
    on_budget: Any = None
    earnings_score: Any = None
    skill_ids: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    occupation: str | None = None
    query_country: str | None = None
    query_skill: str | None = None
    extras: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class JobItem:
    dataset: ClassVar[Dataset] = JOBS
    currency_field: ClassVar[str] = "currency"
    money_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("budget_min", "budget_min_usd"),
        ("budget_max", "budget_max_usd"),
        ("bid_avg", "bid_avg_usd"),
    )

    platform: str
    run_id: str
    observed_at: datetime
    # raw, cleared or converted by the pipelines
    native_id: Any = None
    owner_native_id: Any = None
    employer_country_code_raw: Any = None
    employer_country_name_raw: Any = None
    skills_raw: list[dict[str, Any]] = field(default_factory=list)
    unparsed: dict[str, Any] = field(default_factory=dict)
    # stored columns
    job_id: str | None = None
    employer_id: str | None = None
    employer_country: str | None = None
    job_type: Any = None
    budget_min: Any = None
    budget_max: Any = None
    currency: Any = None
    fx_usd_per_unit: Any = None
    fx_source: str | None = None
    budget_min_usd: float | None = None
    budget_max_usd: float | None = None
    bid_count: Any = None
    bid_avg: Any = None
    bid_avg_usd: float | None = None
    posted_at: datetime | None = None
    bid_period_days: Any = None
    language: Any = None
    skill_ids: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    occupation: str | None = None
    query_skill: str | None = None
    extras: list[dict[str, Any]] = field(default_factory=list)


def extra(key: str, value: float | str | None) -> dict[str, Any]:
    """One entry of the ``extras`` column: a number or a text under *key*."""
    number = (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    )
    text = value if isinstance(value, str) else None
    return {"key": key, "number": number, "text": text}


OlmItem = ProfileItem | JobItem
