"""Checks at the door of every public statistic: frames, columns, dtypes, rates.

A function given a path where it wants a frame, ``None``, a frame that lacks a column or holds
it as the wrong type, or hourly rates that are negative or not finite, raises
:class:`~olmstats.errors.InputError` with one line naming the argument and the problem - never a
raw Polars or NumPy error, never a negative median. DataFrames are accepted and made lazy.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

import polars as pl

from olmstats.errors import InputError

#: What a column must be: "text", "number", "date" or "timestamp".
KINDS = {
    "text": lambda d: d == pl.String,
    "number": lambda d: d.is_numeric(),
    "date": lambda d: d == pl.Date,
    "timestamp": lambda d: isinstance(d, pl.Datetime),
}
KIND_DTYPES = {
    "text": "String",
    "number": "an integer or float",
    "date": "Date",
    "timestamp": "Datetime",
}
COLUMN_KINDS = {
    "platform": "text",
    "snapshot_date": "date",
    "profile_id": "text",
    "job_id": "text",
    "country": "text",
    "employer_country": "text",
    "occupation": "text",
    "hourly_rate_usd": "number",
    "registration_date": "date",
    "reviews": "number",
    "bid_count": "number",
    "budget_min_usd": "number",
    "budget_max_usd": "number",
    "observed_at": "timestamp",
    "posted_at": "timestamp",
    "run_id": "text",
}
#: Columns every profile frame needs: who, where, what rate, which snapshot and observation.
PROFILE_COLUMNS = (
    "platform",
    "snapshot_date",
    "profile_id",
    "country",
    "hourly_rate_usd",
    "occupation",
    "observed_at",
    "run_id",
)
JOB_COLUMNS = (
    "platform",
    "snapshot_date",
    "job_id",
    "employer_country",
    "occupation",
    "observed_at",
    "run_id",
)
RATE_COLUMNS = ("hourly_rate_usd",)
CHECKED = "_olmstats_checked"


def lazy_frame(data: object, argument: str) -> pl.LazyFrame:
    """*data* as a LazyFrame; InputError for anything that is not a Polars frame."""
    if isinstance(data, pl.LazyFrame):
        return data
    if isinstance(data, pl.DataFrame):
        return data.lazy()
    if isinstance(data, str | Path):
        scanner = "scan_jobs" if "job" in argument else "scan_profiles"
        raise InputError(
            f"{argument} must be a Polars LazyFrame or DataFrame, got the path {str(data)!r} "
            f"(read a store with olmstats.{scanner}({str(data)!r}))"
        )
    raise InputError(
        f"{argument} must be a Polars LazyFrame or DataFrame, got {type(data).__name__}"
    )


def checked_frame(
    data: object, argument: str, columns: Iterable[str], *, rates: Iterable[str] = ()
) -> pl.LazyFrame:
    """*data* as a LazyFrame holding *columns* of the right kinds, with valid *rates*.

    The frame returned remembers what was checked, so that a statistic handing it on to
    others (the full country table) does not check the same data again.
    """
    wanted = list(dict.fromkeys(columns))
    checked = getattr(data, CHECKED, frozenset())
    if isinstance(data, pl.LazyFrame) and checked >= {*wanted, *(f"rate:{c}" for c in rates)}:
        return data
    frame = lazy_frame(data, argument)
    try:
        schema = frame.collect_schema()
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{argument} cannot be read: {str(exc).splitlines()[0]}") from None
    missing = [c for c in wanted if c not in schema]
    if missing:
        raise InputError(f"{argument} lacks column(s) {', '.join(missing)}")
    for name in wanted:
        kind = COLUMN_KINDS.get(name)
        if kind and not KINDS[kind](schema[name]):
            raise InputError(
                f"{argument}.{name} must be {kind} ({KIND_DTYPES[kind]}), got {schema[name]}"
            )
    rated = [c for c in rates if c in wanted]
    check_rates(frame, argument, rated)
    with contextlib.suppress(AttributeError):  # remember, where Polars lets us
        setattr(frame, CHECKED, frozenset({*checked, *wanted, *(f"rate:{c}" for c in rated)}))
    return frame


def check_rates(frame: pl.LazyFrame, argument: str, columns: list[str]) -> None:
    """InputError if any of *columns* holds a negative, infinite or NaN value (nulls are fine)."""
    if not columns:
        return
    bad = frame.select(
        [
            ((pl.col(c) < 0) | ~pl.col(c).cast(pl.Float64).is_finite()).sum().alias(c)
            for c in columns
        ]
    ).collect()
    for name in columns:
        count = bad[name].item()
        if count:
            raise InputError(
                f"{argument}.{name} has {count} negative or non-finite value(s): rates must be "
                "zero or more and finite (set unknown rates to null)"
            )


def profiles_input(
    data: object, *extra: str, argument: str = "profiles", rates: bool = True
) -> pl.LazyFrame:
    """Profiles for a statistic; *rates*: whether it uses the rates (then they are checked)."""
    return checked_frame(
        data, argument, (*PROFILE_COLUMNS, *extra), rates=RATE_COLUMNS if rates else ()
    )


def jobs_input(data: object, *extra: str, argument: str = "jobs") -> pl.LazyFrame:
    return checked_frame(data, argument, (*JOB_COLUMNS, *extra))


def check_min_count(value: object, name: str = "min_count") -> int:
    """*value* if it is a whole number of at least 1 (the smallest cell that is shown)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


def check_positive(value: object, name: str) -> float:
    """*value* if it is a finite number above zero (hours a year, say)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value > 0)
    ):
        raise InputError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def check_window(since: object, until: object) -> None:
    """*since* and *until* are dates (or None), *since* not after *until*."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            raise InputError(
                f"{name} must be a datetime.date such as date(2026, 11, 1), got {value!r}"
            )
    if since is not None and until is not None and since > until:
        raise InputError(f"since {since} is after until {until}")
