"""Checks at the door of every public statistic: frames, columns, dtypes, rates.

A function given a path where it wants a frame, ``None``, a frame that lacks a column or holds
it as the wrong type, or hourly rates that are negative or not finite, raises
:class:`~olmstats.errors.InputError` with one line naming the argument and the problem - never a
raw Polars or NumPy error, never a negative median. DataFrames are accepted and made lazy;
pandas DataFrames are converted.

**Anyone's data.** The columns a store adds to every row - ``platform``, ``profile_id`` /
``job_id``, ``observed_at``, ``run_id`` - are provenance, not statistics: a frame without them is
taken as one row per profile (or job) observed once, and they are filled in here (this is the
one preparation layer; statistics never require them). ``snapshot_date`` may be given as an
integer ``year`` column instead (taken as 1 July of that year), ``registration_date`` as
``tenure_years`` (years on the platform at the snapshot). What a statistic does need -
a country, a US$ hourly rate, a registration date - is named with what to pass instead when it
is missing.
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
    "query_country": "text",
    "query_skill": "text",
    "hourly_rate_usd": "number",
    "median_rate_usd": "number",
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


#: The dtype of a column of each kind added as nulls.
NULL_DTYPES = {
    "text": pl.String(),
    "number": pl.Float64(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us", "UTC"),
}
#: Provenance a store adds; filled in for a frame of one's own (one row per entity, once).
PROVENANCE = ("platform", "profile_id", "job_id", "observed_at", "run_id")
#: Label of rows that did not come from a store.
OWN_DATA = "own_data"
#: What to pass instead, for columns a statistic needs and a frame lacks.
COLUMN_HINTS = {
    "country": "ISO 3166-1 alpha-2 country codes (String), e.g. PK",
    "hourly_rate_usd": "the hourly rate in US$ (a number); rename yours, e.g. "
    ".rename({'rate': 'hourly_rate_usd'})",
    "snapshot_date": "the date the rates were observed (Date), or an integer year column",
    "occupation": "an occupation code per row (String; null where unknown), see olm occupations",
    "registration_date": "the date each profile registered (Date), or tenure_years (a number)",
    "employer_country": "the employer's ISO alpha-2 country (String; null where unknown)",
    "reviews": "the number of reviews (a number)",
    "bid_count": "the number of bids (a number)",
    "posted_at": "when each project was posted (Datetime, UTC)",
}


def lazy_frame(data: object, argument: str) -> pl.LazyFrame:
    """*data* as a LazyFrame; InputError for anything that is not a Polars or pandas frame."""
    if isinstance(data, pl.LazyFrame):
        return data
    if isinstance(data, pl.DataFrame):
        return data.lazy()
    if type(data).__module__.startswith("pandas") and type(data).__name__ == "DataFrame":
        try:
            return pl.from_pandas(data).lazy()
        except Exception as exc:  # pyarrow/pandas conversion errors vary by version
            raise InputError(
                f"{argument} (a pandas DataFrame) cannot be converted: {exc}"
            ) from None
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
    data: object,
    argument: str,
    columns: Iterable[str],
    *,
    rates: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> pl.LazyFrame:
    """*data* as a LazyFrame holding *columns* of the right kinds, with valid *rates*;
    *optional* columns (among *columns*) a frame lacks are added as nulls of their kind.

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
    frame, schema = _with_provenance(frame, schema, wanted)
    absent = [c for c in optional if c not in schema]
    if absent:
        frame = frame.with_columns(
            pl.lit(None, dtype=NULL_DTYPES[COLUMN_KINDS[c]]).alias(c) for c in absent
        )
        schema = frame.collect_schema()
    missing = [c for c in wanted if c not in schema]
    if missing:
        hint = COLUMN_HINTS.get(missing[0])
        raise InputError(
            f"{argument} lacks column(s) {', '.join(missing)}"
            + (f": pass {missing[0]} as {hint}" if hint else "")
        )
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


def _with_provenance(
    frame: pl.LazyFrame, schema: pl.Schema, wanted: list[str]
) -> tuple[pl.LazyFrame, pl.Schema]:
    """Fill the store's provenance columns a frame of one's own lacks (module docstring)."""
    fill: dict[str, pl.Expr] = {}
    if (
        "snapshot_date" in wanted
        and "snapshot_date" not in schema
        and "year" in schema
        and schema["year"].is_integer()
    ):
        fill["snapshot_date"] = pl.date(pl.col("year"), 7, 1)
    if (
        "registration_date" in wanted
        and "registration_date" not in schema
        and "tenure_years" in schema
        and schema["tenure_years"].is_numeric()
    ):  # tenure given in years: the registration date it implies at the snapshot
        snapshot = fill.get("snapshot_date", pl.col("snapshot_date"))
        fill["registration_date"] = snapshot - pl.duration(
            days=(pl.col("tenure_years") * 365.25).round(0).cast(pl.Int64)
        )
    for name in PROVENANCE:
        if name in wanted and name not in schema:
            if name in ("profile_id", "job_id"):
                fill[name] = pl.int_range(pl.len(), dtype=pl.UInt32).cast(pl.String)
            elif name == "observed_at":
                fill[name] = pl.lit(datetime(1970, 1, 1), pl.Datetime("us", "UTC"))
            else:
                fill[name] = pl.lit(OWN_DATA)
    if not fill:
        return frame, schema
    frame = frame.with_columns(**fill)
    return frame, frame.collect_schema()


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
    data: object,
    *extra: str,
    argument: str = "profiles",
    rates: bool = True,
    optional: Iterable[str] = ("occupation",),
) -> pl.LazyFrame:
    """Profiles for a statistic; *rates*: whether it uses the rates (then they are checked);
    *optional*: columns it can do without (added as nulls when absent)."""
    return checked_frame(
        data,
        argument,
        (*PROFILE_COLUMNS, *extra, *optional),
        rates=RATE_COLUMNS if rates else (),
        optional=optional,
    )


def jobs_input(data: object, *extra: str, argument: str = "jobs") -> pl.LazyFrame:
    return checked_frame(data, argument, (*JOB_COLUMNS, *extra))


def check_min_count(value: object, name: str = "min_count") -> int:
    """*value* if it is a whole number of at least 1 (the smallest cell that is shown)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


def check_bootstrap(draws: object, seed: object, minimum: int = 100) -> None:
    """InputError unless *draws* is a whole number of at least *minimum* and *seed* a whole
    number (the two settings every bootstrap states)."""
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < minimum:
        raise InputError(f"draws must be a whole number of at least {minimum}, got {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"seed must be a whole number, got {seed!r}")


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
