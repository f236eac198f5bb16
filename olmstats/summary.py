"""The country summary table: supply, asking rates and demand per country.

Definitions (also printed under every table):

- ``profiles``: distinct pseudonymised profiles located in the country, each counted once at
  its most recent observation within the selected snapshots (profiles listed in a directory are
  not all active workers).
- ``rate_*``: asking hourly rates in US$ of those profiles that set a rate; quartiles by linear
  interpolation (type 7); ``rate_median_ci_*`` a distribution-free 95% interval for the median
  (:func:`olmstats.metrics.median_ci`).
- ``open_projects``: distinct open projects whose employer is located in the country.
- ``top_occupations``: the three most common Online Labour Index classes among the country's
  profiles with a class, with their shares.
- Cells resting on fewer than ``min_count`` observations are null (suppressed), not noise:
  rate statistics need ``min_count`` profiles with a rate; occupation shares need ``min_count``
  profiles with a class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import polars as pl

from olmstats import countries as country_table
from olmstats.errors import InputError
from olmstats.inputs import check_min_count, check_window, jobs_input, profiles_input
from olmstats.metrics import suppressed
from olmstats.occupations import occupations
from olmstats.order_statistics import grouped_order_statistics

DEFAULT_MIN_COUNT = 10
TOP_OCCUPATIONS = 3

SUMMARY_COLUMNS = (
    "country",
    "country_name",
    "profiles",
    "profiles_with_rate",
    "rate_p25_usd",
    "rate_median_usd",
    "rate_p75_usd",
    "rate_median_ci_low",
    "rate_median_ci_high",
    "open_projects",
    "top_occupations",
    "snapshot_first",
    "snapshot_last",
    "snapshots",
)

DEFINITIONS = (
    "profiles: distinct profiles at their latest observation; rates: asking US$/hour of "
    "profiles that set one, quartiles by linear interpolation, 95% CI of the median from order "
    "statistics; open_projects: distinct open projects by employers located in the country; "
    "cells from fewer than {min_count} observations suppressed."
)


def rate_columns(min_count: int) -> dict[str, pl.Expr]:
    """The table's profile and rate columns from grouped_order_statistics' ``rows``, ``n``,
    quartiles and median interval, cells under *min_count* rated profiles suppressed."""
    rated = pl.col("n")
    return {
        "profiles": pl.col("rows"),
        "profiles_with_rate": rated,
        "rate_p25_usd": suppressed(pl.col("q0.25"), rated, min_count),
        "rate_median_usd": suppressed(pl.col("q0.5"), rated, min_count),
        "rate_p75_usd": suppressed(pl.col("q0.75"), rated, min_count),
        "rate_median_ci_low": suppressed(pl.col("ci_low"), rated, min_count),
        "rate_median_ci_high": suppressed(pl.col("ci_high"), rated, min_count),
    }


def latest_per(frame: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Each entity's most recent observation (latest snapshot, then fetch time, then run id)."""
    return frame.sort("snapshot_date", "observed_at", "run_id").unique(
        subset=["platform", key], keep="last"
    )


def latest_per_profile(profiles: pl.LazyFrame) -> pl.LazyFrame:
    return latest_per(profiles, "profile_id")


_MAX_RUNS_FOR_WINDOW = 4096  # observed_at in µs × runs must stay inside Int64


def latest_rows(frame: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Each entity's latest observation, lazily, as cheaply as the data allow.

    Within one crawl run every entity is stored once (the deduplicate stage and
    ``write_frame`` guarantee it), so rows from a single run are returned as they are. Rows from
    several runs keep, per entity, the row with the largest (fetch time, run) pair, found with a
    window maximum over one Int64 made of both: the same rows as :func:`latest_per` with half
    its memory on large stores.
    """
    runs = frame.select(pl.col("run_id").unique()).collect()["run_id"].sort()
    if runs.len() <= 1:
        return frame
    if runs.len() > _MAX_RUNS_FOR_WINDOW:
        return latest_per(frame, key)
    recency = pl.col("observed_at").dt.epoch("us") * runs.len() + pl.col("run_id").cast(
        pl.Enum(runs)
    ).to_physical().cast(pl.Int64)
    return frame.filter(recency == recency.max().over("platform", key))


def materialise_latest(frame: pl.LazyFrame, key: str, columns: list[str]) -> pl.DataFrame:
    """The *columns* of each entity's latest observation, collected once."""
    return latest_rows(frame, key).select(columns).collect()


def snapshot_window(frame: pl.LazyFrame, since: date | None, until: date | None) -> pl.LazyFrame:
    if since is not None:
        frame = frame.filter(pl.col("snapshot_date") >= since)
    if until is not None:
        frame = frame.filter(pl.col("snapshot_date") <= until)
    return frame


def _check_filters(countries: Sequence[str] | None, occupation_codes: Sequence[str] | None) -> None:
    known_countries = country_table.countries()
    for code in countries or ():
        if code not in known_countries:
            raise InputError(f"unknown country {code!r}: give ISO 3166-1 alpha-2 codes")
    for code in occupation_codes or ():
        if code not in occupations():
            raise InputError(f"unknown occupation {code!r}: one of {', '.join(occupations())}")


def country_summary(
    profiles: pl.LazyFrame,
    jobs: pl.LazyFrame | None = None,
    *,
    min_count: int = DEFAULT_MIN_COUNT,
    countries: Sequence[str] | None = None,
    occupations_filter: Sequence[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    platform_weights: Mapping[str, float] | None = None,
    draws: int = 2000,
    seed: int = 20261201,
    net_of_fees: bool = False,
) -> pl.DataFrame:
    """One row per country (ISO alpha-2), largest supply first. See the module docstring.

    *profiles* and *jobs* are LazyFrames as returned by :func:`olmstats.scan_profiles` /
    :func:`olmstats.scan_jobs`; *countries* and *occupations_filter* restrict the rows and the
    profiles/jobs counted; *since*/*until* restrict snapshot dates (inclusive).

    *platform_weights* (platform name → positive weight, one for every platform in the data)
    pools platforms as a weighted mixture instead of by counting rows: rate quartiles and
    occupation shares become the mixture's, the median's interval a bootstrap stratified by
    platform with *draws* draws from *seed* (:mod:`olmstats.weights`). Counts stay counts.

    *net_of_fees*: every rate statistic on rates net of each platform's freelancer fee in force
    at the row's snapshot (:func:`olmstats.fees.net_of_fee`, the highest fee each rule allows; a
    rate with no documented fee becomes null). A pre-step only: the table is computed as usual.
    """
    profiles = profiles_input(profiles)
    if net_of_fees:
        from olmstats.fees import net_of_fee

        profiles = net_of_fee(profiles)
    jobs = None if jobs is None else jobs_input(jobs)
    check_min_count(min_count)
    check_window(since, until)
    _check_filters(countries, occupations_filter)
    window = snapshot_window(profiles, since, until)
    if occupations_filter:
        window = window.filter(pl.col("occupation").is_in(list(occupations_filter)))
    if countries:
        window = window.filter(pl.col("country").is_in(list(countries)))
    people_frame = materialise_latest(
        window,
        "profile_id",
        ["platform", "country", "hourly_rate_usd", "occupation", "snapshot_date", "run_id"],
    )
    people = people_frame.lazy()

    if platform_weights is None:
        rates = grouped_order_statistics(
            people, "country", "hourly_rate_usd", keys=list(country_table.countries())
        )
    else:
        from olmstats.weights import check_weights, weighted_group_statistics

        platform_weights = check_weights(
            platform_weights, people_frame["platform"].unique().to_list()
        )
        rates = weighted_group_statistics(
            people_frame, "country", "hourly_rate_usd", platform_weights, draws=draws, seed=seed
        )
    supply = (
        people.group_by("country")
        .agg(
            snapshot_first=pl.col("snapshot_date").min(),
            snapshot_last=pl.col("snapshot_date").max(),
            snapshots=pl.col("snapshot_date").n_unique(),
        )
        .join(rates.lazy(), on="country", how="left")
        .select(
            "country",
            "snapshot_first",
            "snapshot_last",
            "snapshots",
            **rate_columns(min_count),
        )
    )
    top = _top_occupations(people, min_count, platform_weights)
    frames = [supply, top]
    if jobs is not None:
        demand = snapshot_window(jobs, since, until)
        if occupations_filter:
            demand = demand.filter(pl.col("occupation").is_in(list(occupations_filter)))
        demand = demand.filter(pl.col("employer_country").is_not_null())
        if countries:
            demand = demand.filter(pl.col("employer_country").is_in(list(countries)))
        demand = materialise_latest(demand, "job_id", ["employer_country"]).lazy()
        frames.append(
            demand.group_by(country=pl.col("employer_country")).agg(open_projects=pl.len())
        )
    supply_df, top_df, *rest = pl.collect_all(frames)
    table = supply_df.join(top_df, on="country", how="left")
    if rest:
        table = table.join(rest[0], on="country", how="full", coalesce=True)
    else:
        table = table.with_columns(open_projects=pl.lit(None, pl.UInt32))
    names = country_table.frame().select("country", "country_name")
    table = table.join(names, on="country", how="left").with_columns(
        pl.col("profiles", "profiles_with_rate", "open_projects").fill_null(0).cast(pl.Int64),
        pl.col("snapshots").cast(pl.Int64),
    )
    return table.select(SUMMARY_COLUMNS).sort(
        ["profiles", "open_projects", "country"], descending=[True, True, False]
    )


def _top_occupations(
    people: pl.LazyFrame, min_count: int, weights: Mapping[str, float] | None = None
) -> pl.LazyFrame:
    labels = {code: occ.short_label for code, occ in occupations().items()}
    if weights is None:
        counted = (
            people.filter(pl.col("occupation").is_not_null())
            .group_by("country", "occupation")
            .agg(n=pl.len())
            .with_columns(total=pl.col("n").sum().over("country"))
            .with_columns(share=pl.col("n") / pl.col("total"))
        )
    else:
        from olmstats.weights import weighted_shares

        counted = weighted_shares(people, "country", "occupation", weights)
    counted = counted.sort(["country", "share", "occupation"], descending=[False, True, False])
    text = (
        pl.col("occupation").replace_strict(labels, return_dtype=pl.String)
        + pl.lit(" ")
        + (100 * pl.col("share")).round(0).cast(pl.Int64).cast(pl.String)
        + pl.lit("%")
    )
    return counted.group_by("country").agg(
        top_occupations=suppressed(
            text.head(TOP_OCCUPATIONS).str.join(", "), pl.col("total").first(), min_count
        )
    )


PLATFORM_COLUMNS = (
    "platform",
    "platform_name",
    "profiles",
    "profiles_with_rate",
    "rate_p25_usd",
    "rate_median_usd",
    "rate_p75_usd",
    "rate_median_ci_low",
    "rate_median_ci_high",
    "worker_countries",
    "open_projects",
    "employer_countries",
    "snapshot_first",
    "snapshot_last",
)


def platform_summary(
    profiles: pl.LazyFrame | None,
    jobs: pl.LazyFrame | None = None,
    *,
    min_count: int = DEFAULT_MIN_COUNT,
    since: date | None = None,
    until: date | None = None,
) -> pl.DataFrame:
    """One row per platform: its profiles and asking rates (as in :func:`country_summary`),
    how many countries its workers and employers are in, and its open jobs.

    A platform with jobs but no profiles (or the reverse) has its other columns empty. Rates in
    US$; cells resting on fewer than *min_count* observations are null.
    """
    from olmstats.platforms import platforms

    check_min_count(min_count)
    check_window(since, until)
    frames = []
    if profiles is not None:
        people = materialise_latest(
            snapshot_window(profiles_input(profiles), since, until),
            "profile_id",
            ["platform", "country", "hourly_rate_usd", "snapshot_date", "run_id"],
        )
        rates = grouped_order_statistics(people, "platform", "hourly_rate_usd")
        frames.append(
            people.group_by("platform")
            .agg(
                worker_countries=pl.col("country").n_unique(),
                snapshot_first=pl.col("snapshot_date").min(),
                snapshot_last=pl.col("snapshot_date").max(),
            )
            .join(rates, on="platform")
            .select(
                "platform",
                "worker_countries",
                "snapshot_first",
                "snapshot_last",
                **rate_columns(min_count),
            )
        )
    if jobs is not None:
        work = materialise_latest(
            snapshot_window(jobs_input(jobs), since, until),
            "job_id",
            ["platform", "employer_country", "snapshot_date"],
        )
        frames.append(
            work.group_by("platform").agg(
                open_projects=pl.len(),
                employer_countries=pl.col("employer_country").drop_nulls().n_unique(),
                job_first=pl.col("snapshot_date").min(),
                job_last=pl.col("snapshot_date").max(),
            )
        )
    if not frames:
        raise InputError("platform_summary needs profiles or jobs")
    table = frames[0]
    for other in frames[1:]:
        table = table.join(other, on="platform", how="full", coalesce=True)
    for name, dtype in {
        "profiles": pl.Int64,
        "profiles_with_rate": pl.Int64,
        "worker_countries": pl.Int64,
        "open_projects": pl.Int64,
        "employer_countries": pl.Int64,
        "rate_p25_usd": pl.Float64,
        "rate_median_usd": pl.Float64,
        "rate_p75_usd": pl.Float64,
        "rate_median_ci_low": pl.Float64,
        "rate_median_ci_high": pl.Float64,
        "snapshot_first": pl.Date,
        "snapshot_last": pl.Date,
        "job_first": pl.Date,
        "job_last": pl.Date,
    }.items():
        if name not in table.columns:
            table = table.with_columns(pl.lit(None, dtype).alias(name))
    names = {p.name: p.display_name for p in platforms().values()}
    table = table.with_columns(
        platform_name=pl.col("platform").replace_strict(names, default=pl.col("platform")),
        snapshot_first=pl.min_horizontal("snapshot_first", "job_first"),
        snapshot_last=pl.max_horizontal("snapshot_last", "job_last"),
        profiles=pl.col("profiles").fill_null(0).cast(pl.Int64),
        profiles_with_rate=pl.col("profiles_with_rate").fill_null(0).cast(pl.Int64),
        open_projects=pl.col("open_projects").fill_null(0).cast(pl.Int64),
        worker_countries=pl.col("worker_countries").cast(pl.Int64),
        employer_countries=pl.col("employer_countries").cast(pl.Int64),
    )
    return table.select(PLATFORM_COLUMNS).sort("platform")
