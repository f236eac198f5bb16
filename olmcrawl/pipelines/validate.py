"""Stage 1: check types and ranges; coerce what is safely coercible, drop what is not.

Drop reasons (stats ``olm/drop/<reason>``): ``missing_id``, ``invalid_id``,
``missing_country`` (profiles), ``invalid_rate``, ``invalid_job_type``, ``missing_currency``,
``invalid_budget``, ``missing_posted_time``, ``invalid_posted_time`` (the parser could not read it),
``posted_in_future`` (later than the fetch plus
``CLOCK_SKEW_SECONDS``), ``posted_too_early`` (before ``EARLIEST_DATE``). Values of optional
fields that are of the wrong type or outside their documented range (``Column.valid`` in
olmstats.schema) are set to null and counted under ``olm/fix/<what>`` instead (e.g. a
registration date in the future, 50,000 bids), and the platform's 0 for "no rating yet" becomes
null, never a zero rating. Amounts are checked in US$ by the money stage.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from olmcrawl.pipelines.stage import Stage, passes_markers
from olmstats.items import JobItem, OlmItem, ProfileItem
from olmstats.platforms import platform
from olmstats.schema import CLOCK_SKEW_SECONDS, EARLIEST_DATE, JOBS, PROFILES, Dataset

JOB_TYPES = {"fixed", "hourly"}
EARLIEST = datetime.fromisoformat(EARLIEST_DATE).replace(tzinfo=UTC)


def as_int(value: Any) -> int | None:
    """An int from an int, an integral float or a digit string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if digits.isascii() and digits.isdecimal():
            return int(text)
    return None


def as_float(value: Any) -> float | None:
    """A finite float from a number or numeric string; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


TEXT_ID = re.compile(r"^[A-Za-z0-9_~.-]{1,64}$")


def native_id(value: Any, kind: str) -> str | None:
    """A platform id of *kind* as text ("integer": positive whole numbers; "text": letters,
    digits and ``_ ~ . -``), or None when *value* is not one."""
    if kind == "integer":
        number = as_int(value)
        return str(number) if number is not None and number > 0 else None
    text = str(value).strip() if isinstance(value, str | int) else ""
    return text if TEXT_ID.match(text) else None


class ValidatePipeline(Stage):
    @passes_markers
    def process_item(self, item: OlmItem) -> OlmItem:
        if item.native_id is None or item.native_id == "":
            raise self.drop(item, "missing_id")
        kind = platform(item.platform).id_kind
        native = native_id(item.native_id, kind)
        if native is None:
            raise self.drop(item, "invalid_id", repr(item.native_id))
        item.native_id = native
        if isinstance(item, ProfileItem):
            self._profile(item)
        else:
            self._job(item)
        return item

    # -- profiles ----------------------------------------------------------------------------

    def _profile(self, item: ProfileItem) -> None:
        if not item.country_code_raw and not item.country_name_raw:
            raise self.drop(item, "missing_country")
        if item.hourly_rate is not None:
            rate = as_float(item.hourly_rate)
            if rate is None or rate < 0:
                raise self.drop(item, "invalid_rate", repr(item.hourly_rate))
            if rate == 0:
                self.count("fix/zero_rate_is_no_rate")
                rate = None
            item.hourly_rate = rate
        if item.hourly_rate is None:
            self.count("profile/no_rate")
        item.registration_date = self._registration_date(item)
        item.reviews = self._count_field(item.reviews, "reviews", PROFILES)
        item.jobs_completed = self._count_field(item.jobs_completed, "jobs_completed", PROFILES)
        item.jobs_total = self._count_field(item.jobs_total, "jobs_total", PROFILES)
        has_reviews = bool(item.reviews)
        item.rating = self._share(item.rating, "rating") if has_reviews else None
        item.on_time = self._share(item.on_time, "on_time") if has_reviews else None
        item.on_budget = self._share(item.on_budget, "on_budget") if has_reviews else None
        item.completion_rate = (
            self._share(item.completion_rate, "completion_rate") if item.jobs_total else None
        )
        item.earnings_score = as_float(item.earnings_score)

    def _registration_date(self, item: ProfileItem) -> Any:
        when = item.registered_at
        if when is None:
            if "registered_at" in item.unparsed:
                self.count("fix/invalid_registration_date")
            return None
        latest = item.observed_at + timedelta(days=1)
        if not EARLIEST <= when <= latest:
            self.count("fix/invalid_registration_date")
            return None
        return when.date()

    def _count_field(self, value: Any, name: str, dataset: Dataset) -> int | None:
        if value is None:
            return None
        number = as_int(value)
        if number is None or number < 0 or not dataset.column(name).within(number):
            self.count(f"fix/invalid_{name}")
            return None
        return number

    def _share(self, value: Any, name: str) -> float | None:
        if value is None:
            return None
        number = as_float(value)
        if number is None or not PROFILES.column(name).within(number):
            self.count(f"fix/invalid_{name}")
            return None
        return number

    # -- jobs --------------------------------------------------------------------------------

    def _job(self, item: JobItem) -> None:
        if item.job_type not in JOB_TYPES:
            raise self.drop(item, "invalid_job_type", repr(item.job_type))
        if not isinstance(item.currency, str) or len(item.currency.strip()) != 3:
            raise self.drop(item, "missing_currency", repr(item.currency))
        item.currency = item.currency.strip().upper()
        posted = item.posted_at
        if posted is None:
            if "posted_at" in item.unparsed:
                raise self.drop(item, "invalid_posted_time", repr(item.unparsed["posted_at"]))
            raise self.drop(item, "missing_posted_time")
        if posted > item.observed_at + timedelta(seconds=CLOCK_SKEW_SECONDS):
            raise self.drop(item, "posted_in_future", f"{posted} > {item.observed_at}")
        if posted < EARLIEST:
            raise self.drop(item, "posted_too_early", str(posted))
        low, high = as_float(item.budget_min), as_float(item.budget_max)
        if (
            (item.budget_min is not None and low is None)
            or (item.budget_max is not None and high is None)
            or (low is not None and low < 0)
            or (high is not None and high < 0)
            or (low is not None and high is not None and low > high)
        ):
            raise self.drop(item, "invalid_budget", f"{item.budget_min!r}-{item.budget_max!r}")
        item.budget_min, item.budget_max = low, high
        item.bid_count = self._count_field(item.bid_count, "bid_count", JOBS)
        item.bid_avg = as_float(item.bid_avg) if item.bid_count else None
        item.bid_period_days = self._count_field(item.bid_period_days, "bid_period_days", JOBS)
        item.language = item.language if isinstance(item.language, str) else None
        if item.owner_native_id is not None:
            owner = native_id(item.owner_native_id, platform(item.platform).id_kind)
            if owner is None:
                self.count("fix/invalid_owner_id")
            item.owner_native_id = owner
