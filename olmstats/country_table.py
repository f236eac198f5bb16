"""The full country table economists cite: supply, rates, progression, competition, earnings.

One row per country with, next to the country summary (profiles, rate quartiles and median
interval, open projects, top occupations, snapshots), its World Bank region and income group:

- ``tenure_pct_per_year`` (+ interval): the rate's progression with tenure within the country
  (``progression.rate_progression(by="country")``; suppressed under 30 profiles);
- ``workers_per_job`` and ``bids_per_job``: the crowding the country's workers face, i.e. the
  platform-wide workers per open job and mean bids per open job in each occupation, averaged
  over the country's occupation mix (latest snapshot);
- every relative-earnings index with its interval (``earnings.relative_earnings``), raw and
  composition-adjusted, and the reference year used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from olmstats import competition, earnings, progression
from olmstats.errors import InputError
from olmstats.inputs import (
    check_min_count,
    check_positive,
    check_window,
    jobs_input,
    profiles_input,
)
from olmstats.summary import country_summary, materialise_latest, snapshot_window

EARNINGS_COLUMNS = [c for name in earnings.INDICES for c in (name, f"{name}_low", f"{name}_high")]
ADJUSTED_COLUMNS = [f"adj_{c}" for c in EARNINGS_COLUMNS]
#: The columns of the profiles the table's parts read.
LATEST_COLUMNS = [*earnings.COLUMNS_READ, "reviews"]


@dataclass(frozen=True)
class CountryTable:
    table: pl.DataFrame
    notes: list[str] = field(default_factory=list)


def crowding(profiles: pl.LazyFrame, jobs: pl.LazyFrame) -> pl.DataFrame:
    """Per worker country: platform-wide workers per open job and mean bids per open job in
    each occupation, weighted by the country's occupation mix (latest snapshot of each)."""
    mix = competition.workers_per_job(profiles, jobs, by_country=True, min_count=1)
    per_occupation = mix.group_by("occupation").agg(  # all countries' workers per open job
        workers_per_job=pl.col("workers").sum() / pl.col("open_projects").first()
    )
    bids = competition.bids_per_job(jobs, min_count=1).select("occupation", "mean_bids")
    mix = mix.select("country", "occupation", "workers")
    return (
        mix.join(per_occupation, on="occupation", how="left")
        .join(bids, on="occupation", how="left")
        .with_columns(weight=pl.col("workers") / pl.col("workers").sum().over("country"))
        .group_by("country")
        .agg(
            workers_per_job=(pl.col("weight") * pl.col("workers_per_job")).sum()
            / pl.col("weight").filter(pl.col("workers_per_job").is_not_null()).sum(),
            bids_per_job=(pl.col("weight") * pl.col("mean_bids")).sum()
            / pl.col("weight").filter(pl.col("mean_bids").is_not_null()).sum(),
        )
    )


def full_country_table(
    profiles: pl.LazyFrame,
    jobs: pl.LazyFrame | None = None,
    *,
    min_count: int = 10,
    year: int | None = None,
    hours: float = earnings.DEFAULT_HOURS,
    draws: int = earnings.DEFAULT_DRAWS,
    seed: int = earnings.DEFAULT_SEED,
    since: date | None = None,
    until: date | None = None,
    platform_weights: Mapping[str, float] | None = None,
) -> CountryTable:
    """One row per country: see the module docstring. Notes define every column.

    With *platform_weights*, the rate columns and every relative-earnings index use the
    weighted mixture of platforms (as :func:`olmstats.summary.country_summary` and
    :func:`olmstats.earnings.relative_earnings` do, one seed for both: one median, one
    interval), the tenure gradient is weighted least squares, and the competition columns pool
    rows (said in the notes).

    *since*/*until* (inclusive snapshot dates) restrict every column: rates, tenure gradient,
    crowding (its latest snapshot is the window's) and indices.
    """
    profiles = profiles_input(profiles, "registration_date", "reviews")
    jobs = None if jobs is None else jobs_input(jobs, "bid_count")
    check_min_count(min_count)
    check_positive(hours, "hours")
    check_window(since, until)
    # Each profile once, at its latest observation in the window, read from the store once and
    # handed to every part (which then finds nothing left to deduplicate). Without provenance
    # columns the parts take these rows as one observation per profile, which they now are.
    profiles = materialise_latest(
        snapshot_window(profiles, since, until), "profile_id", LATEST_COLUMNS
    ).lazy()
    if jobs is not None:
        jobs = snapshot_window(jobs, since, until)
    summary = country_summary(
        profiles,
        jobs,
        min_count=min_count,
        since=since,
        until=until,
        platform_weights=platform_weights,
        seed=seed,
    )
    dated = profiles.select(pl.col("registration_date").is_not_null().any()).collect().item()
    if dated:
        slopes = progression.rate_progression(
            profiles, by="country", platform_weights=platform_weights
        ).select(
            "country",
            tenure_pct_per_year="percent",
            tenure_pct_low="percent_low",
            tenure_pct_high="percent_high",
        )
    else:  # e.g. a platform whose directory shows no registration date
        slopes = pl.DataFrame(
            schema={
                "country": pl.String,
                **dict.fromkeys(
                    ["tenure_pct_per_year", "tenure_pct_low", "tenure_pct_high"], pl.Float64
                ),
            }
        )
    earned = earnings.relative_earnings(
        profiles,
        year=year,
        hours=hours,
        min_count=min_count,
        draws=draws,
        seed=seed,
        since=since,
        until=until,
        platform_weights=platform_weights,
    )
    indices = earned.countries.select(
        "country",
        "region",
        "income_group",
        *EARNINGS_COLUMNS,
        *ADJUSTED_COLUMNS,
        "reference_year",
        *earnings.YEAR_COLUMNS,
    )
    table = summary.join(slopes, on="country", how="left", maintain_order="left").join(
        indices, on="country", how="left", maintain_order="left"
    )
    notes = [
        "tenure_pct_per_year: % change of the asking rate per year of tenure within the country "
        "(occupation fixed effects, reviews held fixed: the direct gradient, HC1; under 30 "
        "profiles suppressed); a cross-sectional gradient among listed profiles (survivors; "
        "tenure also marks the entry cohort), not a career (olm progression shows the total "
        "beside it)."
        if dated
        else "tenure_pct_per_year: empty - no profile here has a registration date (the "
        "platforms selected do not show one; see `olm platforms`).",
    ]
    if jobs is not None:
        table = table.join(
            crowding(profiles, jobs), on="country", how="left", maintain_order="left"
        )
        notes.append(
            "workers_per_job, bids_per_job: platform-wide workers per open job and "
            "mean bids per open job in each occupation, weighted by the country's "
            "occupation mix (latest snapshot). " + competition.COUNTED
        )
    else:
        table = table.with_columns(
            workers_per_job=pl.lit(None, pl.Float64), bids_per_job=pl.lit(None, pl.Float64)
        )
    if platform_weights is not None:
        notes.append(
            "Platform weights apply to the rates, the indices and the occupation shares (weighted "
            "mixtures) and to tenure_pct_per_year (weighted least squares); workers_per_job and "
            "bids_per_job pool rows: a ratio of counts is not a mixture of platforms."
        )
    if table.is_empty():
        raise InputError("no profiles match")
    return CountryTable(table, notes + earned.notes)
