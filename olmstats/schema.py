"""The store's datasets: one documented schema each, shared by the spiders and the library.

A store is a folder of append-only, hive-partitioned Parquet datasets::

    <store>/profiles/platform=<platform>/snapshot_date=<YYYY-MM-DD>/part-<run_id>-<seq>.parquet
    <store>/jobs/platform=<platform>/snapshot_date=<YYYY-MM-DD>/part-<run_id>-<seq>.parquet
    <store>/runs/<run_id>.json

``platform`` and ``snapshot_date`` (the UTC date the crawl started) live in the folder names,
not inside the files. Every column is listed here with its dtype, unit and nullability; the
Parquet writer refuses rows that do not fit, and ``scan_profiles`` / ``scan_jobs`` return
exactly these columns plus the two partition columns.

Counting rule: readers (``olmstats.store.scan``) return one row per entity per snapshot -
per (``platform``, ``profile_id`` or ``job_id``, ``snapshot_date``) the latest observation - and
take only part files the writer made, so repeated runs, re-crawls and stray copies change no
count.

Nothing here identifies a person: people appear only as keyed pseudonyms
(:mod:`olmstats.pseudonym`); names, usernames, avatars, descriptions and cities are never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

SCHEMA_VERSION = 2
#: What changed, version by version (readers convert older files as they read them):
#: 1 → 2: ``skill_ids`` became text (every platform's ids, whatever their form), and ``extras``
#: (platform-specific values, typed) was added.
SCHEMA_HISTORY = {
    1: "first schema (2026-11)",
    2: "skill ids as text; extras column; job exchange rates may be null",
}

# Plausible ranges (Column.valid); the numbers are documented in `olm schema` and the README.
MAX_HOURLY_USD = 1_000.0  # US$ per hour: an asking rate or hourly budget above it is implausible
MAX_BUDGET_USD = 1_000_000.0  # US$: a fixed-price budget or mean bid above it is implausible
MAX_COUNT = 1_000_000  # reviews or projects over a profile's history
MAX_BIDS = 10_000  # bids on one project
#: Earliest plausible date for a registration or a posted project (the oldest platforms
#: merged into today's, e.g. Elance, opened in 1999).
EARLIEST_DATE = "1999-01-01"
#: How far in the future of the fetch time a platform timestamp may lie (clock skew), seconds.
CLOCK_SKEW_SECONDS = 600

PARTITION_COLUMNS: dict[str, pl.DataType] = {
    "platform": pl.String(),
    "snapshot_date": pl.Date(),
}


@dataclass(frozen=True, slots=True)
class Column:
    """One stored column: name, Polars dtype, unit, whether it may be null, meaning, and the
    range of plausible values (``valid``: inclusive, in the column's unit; None = unbounded).

    The pipelines enforce ``valid``: a value outside it is set to null (counted under
    ``olm/fix/<column>``) or, for a required column, the row is dropped (``olm/drop/<reason>``).
    """

    name: str
    dtype: pl.DataType
    unit: str
    nullable: bool
    description: str
    valid: tuple[float | None, float | None] | None = None
    #: The plausibility rule in words, where it is not a fixed range.
    valid_note: str = ""

    def within(self, value: float | None) -> bool:
        """Whether *value* (not None) lies in the plausible range."""
        if self.valid is None or value is None:
            return True
        low, high = self.valid
        return (low is None or value >= low) and (high is None or value <= high)


@dataclass(frozen=True, slots=True)
class Dataset:
    """A stored dataset: its folder name, its columns and what one row is."""

    name: str
    row: str
    columns: tuple[Column, ...]

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.nullable)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_UTC = pl.Datetime("us", "UTC")
_SKILL_IDS = pl.List(pl.String())
#: One platform-specific value: its key (listed in the platform's descriptor) and a number or a
#: text.
EXTRA = pl.Struct({"key": pl.String(), "number": pl.Float64(), "text": pl.String()})
_SKILLS = pl.List(pl.String())

_SKILL_NAMES = Column("skills", _SKILLS, "skill names", False, "Names of skill_ids, same order.")
_OCCUPATION = Column(
    "occupation",
    pl.String(),
    "olmstats.occupations code",
    True,
    "Online Labour Index class from the skills (data/taxonomy); null if none maps.",
)
_EXTRAS = Column(
    "extras",
    pl.List(EXTRA),
    "key / number or text",
    False,
    "Platform-specific values (keys and units in the platform's descriptor, `olm platforms`); "
    "empty when the platform has none.",
)
_OBSERVED_AT = Column("observed_at", _UTC, "UTC timestamp", False, "When the page was fetched.")
_RUN_ID = Column(
    "run_id", pl.String(), "run id", False, "The crawl that wrote the row (runs/<run_id>.json)."
)

PROFILES = Dataset(
    name="profiles",
    row="one freelancer profile as listed in the platform's public directory on one crawl",
    columns=(
        Column(
            "profile_id",
            pl.String(),
            "HMAC-SHA256/128 hex",
            False,
            "Keyed pseudonym of the platform and the user's id (olmstats.pseudonym).",
        ),
        Column(
            "country",
            pl.String(),
            "ISO 3166-1 alpha-2",
            False,
            "Country the profile gives as its location (Namibia is 'NA').",
        ),
        Column(
            "registration_date",
            pl.Date(),
            "date (UTC)",
            True,
            "Date the account was registered.",
            valid_note="1999-01-01 to fetch date + 1 day",
        ),
        Column(
            "hourly_rate",
            pl.Float64(),
            "currency units per hour",
            True,
            "Hourly rate the profile asks, as listed; null when the profile sets none.",
        ),
        Column("hourly_rate_currency", pl.String(), "ISO 4217", True, "Currency of hourly_rate."),
        Column(
            "hourly_rate_usd",
            pl.Float64(),
            "US$ per hour",
            True,
            "hourly_rate converted to US dollars with fx_usd_per_unit.",
            valid=(0.01, MAX_HOURLY_USD),
        ),
        Column(
            "fx_usd_per_unit",
            pl.Float64(),
            "US$ per currency unit",
            True,
            "Exchange rate used for hourly_rate_usd.",
        ),
        Column(
            "fx_source",
            pl.String(),
            "label",
            True,
            "Where fx_usd_per_unit came from (olmstats.money: identity, platform:<field>, "
            "ecb:<date>, wdi:<year>).",
        ),
        Column(
            "reviews",
            pl.Int64(),
            "count",
            True,
            "Reviews received over the profile's entire history.",
            valid=(0, MAX_COUNT),
        ),
        Column(
            "jobs_completed",
            pl.Int64(),
            "count",
            True,
            "Projects completed over the entire history.",
            valid=(0, MAX_COUNT),
        ),
        Column(
            "jobs_total",
            pl.Int64(),
            "count",
            True,
            "Projects worked on over the entire history (completed and not).",
            valid=(0, MAX_COUNT),
        ),
        Column(
            "rating",
            pl.Float64(),
            "stars, 0-5",
            True,
            "Mean review rating over the entire history; null when there are no reviews.",
            valid=(0, 5),
        ),
        Column(
            "completion_rate",
            pl.Float64(),
            "share, 0-1",
            True,
            "Share of projects completed.",
            valid=(0, 1),
        ),
        Column(
            "on_time",
            pl.Float64(),
            "share, 0-1",
            True,
            "Share of reviews rating on-time delivery.",
            valid=(0, 1),
        ),
        Column(
            "on_budget",
            pl.Float64(),
            "share, 0-1",
            True,
            "Share of reviews rating on-budget delivery.",
            valid=(0, 1),
        ),
        Column(
            "earnings_score",
            pl.Float64(),
            "platform score",
            True,
            "The platform's earnings score (reputation.earnings_score).",
        ),
        Column(
            "skill_ids",
            _SKILL_IDS,
            "platform skill ids (text)",
            False,
            "Skills the profile lists (empty when the platform did not send them).",
        ),
        _SKILL_NAMES,
        _OCCUPATION,
        Column(
            "query_country",
            pl.String(),
            "ISO 3166-1 alpha-2",
            True,
            "Country filter of the directory query that found the profile.",
        ),
        Column(
            "query_skill",
            pl.String(),
            "skill name",
            True,
            "Skill filter of the directory query that first found the profile in this run.",
        ),
        _EXTRAS,
        _OBSERVED_AT,
        _RUN_ID,
    ),
)

JOBS = Dataset(
    name="jobs",
    row="one open project (job listing) as listed on one crawl",
    columns=(
        Column(
            "job_id",
            pl.String(),
            "HMAC-SHA256/128 hex",
            False,
            "Keyed pseudonym of the platform and the project's id.",
        ),
        Column(
            "employer_id",
            pl.String(),
            "HMAC-SHA256/128 hex",
            True,
            "Keyed pseudonym of the project owner (same key space as profile_id).",
        ),
        Column(
            "employer_country",
            pl.String(),
            "ISO 3166-1 alpha-2",
            True,
            "Owner's country; null when the platform did not send the owner.",
        ),
        Column(
            "job_type", pl.String(), "'fixed' | 'hourly'", False, "Fixed-price or hourly project."
        ),
        Column(
            "budget_min",
            pl.Float64(),
            "currency units (per hour if hourly)",
            True,
            "Lower end of the budget, as listed.",
        ),
        Column(
            "budget_max",
            pl.Float64(),
            "currency units (per hour if hourly)",
            True,
            "Upper end of the budget, as listed.",
        ),
        Column("currency", pl.String(), "ISO 4217", False, "Currency of budget and bid_avg."),
        Column(
            "fx_usd_per_unit",
            pl.Float64(),
            "US$ per currency unit",
            True,
            "Exchange rate used for the *_usd columns; null when no source had the currency.",
            valid_note="a platform's rate within ×3 of the reference rate of its day",
        ),
        Column(
            "fx_source",
            pl.String(),
            "label",
            True,
            "Where fx_usd_per_unit came from (olmstats.money: identity, platform:<field>, "
            "ecb:<date>, wdi:<year>).",
        ),
        Column(
            "budget_min_usd",
            pl.Float64(),
            "US$ (per hour if hourly)",
            True,
            "budget_min in US$ (hourly amounts above MAX_HOURLY_USD are implausible too).",
            valid=(0, MAX_BUDGET_USD),
        ),
        Column(
            "budget_max_usd",
            pl.Float64(),
            "US$ (per hour if hourly)",
            True,
            "budget_max in US$ (hourly amounts above MAX_HOURLY_USD are implausible too).",
            valid=(0, MAX_BUDGET_USD),
        ),
        Column(
            "bid_count",
            pl.Int64(),
            "count",
            True,
            "Bids received when observed.",
            valid=(0, MAX_BIDS),
        ),
        Column(
            "bid_avg",
            pl.Float64(),
            "currency units (per hour if hourly)",
            True,
            "Mean bid; null when there are no bids.",
        ),
        Column(
            "bid_avg_usd",
            pl.Float64(),
            "US$ (per hour if hourly)",
            True,
            "bid_avg in US$.",
            valid=(0, MAX_BUDGET_USD),
        ),
        Column(
            "posted_at",
            _UTC,
            "UTC timestamp",
            False,
            "When the project was submitted.",
            valid_note="1999-01-01 to fetch time + 10 min",
        ),
        Column(
            "bid_period_days",
            pl.Int64(),
            "days",
            True,
            "Days the project accepts bids.",
            valid=(0, 365),
        ),
        Column("language", pl.String(), "language code", True, "Language of the listing."),
        Column(
            "skill_ids",
            _SKILL_IDS,
            "platform skill ids (text)",
            False,
            "Skills the project asks for.",
        ),
        _SKILL_NAMES,
        _OCCUPATION,
        Column(
            "query_skill",
            pl.String(),
            "skill name",
            True,
            "Skill filter of the listing query that first found the project in this run.",
        ),
        _EXTRAS,
        _OBSERVED_AT,
        _RUN_ID,
    ),
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (PROFILES, JOBS)}


def schema_of_version(dataset: Dataset, version: int) -> pl.Schema:
    """The columns and dtypes files of *dataset* had at schema *version*."""
    if version == SCHEMA_VERSION:
        return dataset.polars_schema
    if version == 1:
        return pl.Schema(
            {
                c.name: pl.List(pl.Int64()) if c.name == "skill_ids" else c.dtype
                for c in dataset.columns
                if c.name != "extras"
            }
        )
    raise ValueError(f"no schema version {version} (known: {sorted(SCHEMA_HISTORY)})")


def upgrade(frame: pl.LazyFrame, version: int) -> pl.LazyFrame:
    """Rows of a file written at schema *version*, converted to the current schema."""
    if version == SCHEMA_VERSION:
        return frame
    if version == 1:
        return frame.with_columns(
            skill_ids=pl.col("skill_ids").cast(pl.List(pl.String())),
            extras=pl.lit([], pl.List(EXTRA)),
        )
    raise ValueError(f"no schema version {version}")


def describe(dataset: Dataset) -> pl.DataFrame:
    """The schema as a table (name, dtype, unit, nullable, description), partitions included."""
    rows = [
        {
            "name": name,
            "dtype": str(dtype),
            "unit": "partition",
            "nullable": False,
            "description": "Folder partition: "
            + ("platform name" if name == "platform" else "UTC date the crawl started"),
            "valid": "",
        }
        for name, dtype in PARTITION_COLUMNS.items()
    ]
    rows += [
        {
            "name": c.name,
            "dtype": str(c.dtype),
            "unit": c.unit,
            "nullable": c.nullable,
            "description": c.description,
            "valid": c.valid_note or _range(c.valid),
        }
        for c in dataset.columns
    ]
    return pl.DataFrame(rows)


def _range(valid: tuple[float | None, float | None] | None) -> str:
    if valid is None:
        return ""
    low, high = ("" if v is None else f"{v:,.2f}".rstrip("0").rstrip(".") for v in valid)
    return f"{low}–{high}"
