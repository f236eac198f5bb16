"""The hiring margin: how many listed profiles have ever been reviewed, and what a review is
worth in asking rates.

Per group (country by default) and pooled, over profiles whose platform shows review counts
(each profile at its latest observation):

- ``share_reviewed``: the share of listed profiles with at least one review, with a Wilson 95%
  interval (Wilson 1927; good coverage for small n and shares near 0 or 1, unlike the Wald
  interval). A review needs a completed, paid project, so this is a lower bound of the share
  ever hired (not every client leaves a review) and an upper bound of the share working now.
- ``log_rate_gap``: mean log asking rate of reviewed profiles minus that of profiles without a
  review (with a rate), with a Welch standard error and t-interval (unequal variances,
  Welch-Satterthwaite degrees of freedom); ``rate_gap_percent`` = 100·(exp(gap) − 1), the
  geometric-mean rate of the reviewed relative to the unreviewed, its interval the transformed
  one. Medians of both sides are shown for description.

The gap is a cross-sectional difference, not the effect of a review: reviewed profiles are older,
may have raised their rates after being hired, or were hired because they asked less. Cells are
suppressed (null, never zero): the share when fewer than ``min_count`` profiles show their
reviews, the gap when either side has fewer than ``min_count`` profiles with a rate.

Example
-------
>>> import olmstats
>>> olmstats.hiring_margin(olmstats.scan_profiles("store")).table  # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl
from scipy import stats

from olmstats import countries as country_table
from olmstats.errors import InputError
from olmstats.inputs import check_min_count, check_window, profiles_input
from olmstats.summary import materialise_latest, snapshot_window

GROUPINGS = ("country", "occupation", "platform")
DEFAULT_MIN_COUNT = 10
Z95 = 1.959963984540054


@dataclass(frozen=True)
class HiringResult:
    """``table``: one row per group plus a pooled row (``level``), see the module docstring;
    ``notes``: definitions, caveats and the profiles left out."""

    table: pl.DataFrame
    notes: list[str] = field(default_factory=list)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial share *successes* / *n* (NaN, NaN for n = 0)."""
    if n <= 0:
        return float("nan"), float("nan")
    p = successes / n
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def welch_difference(
    mean_a: float, var_a: float, n_a: int, mean_b: float, var_b: float, n_b: int
) -> tuple[float, float, float, float, float]:
    """(difference a − b, its standard error, degrees of freedom, 95% low, 95% high) of two
    means with unequal variances (Welch-Satterthwaite); variances are the sample (n − 1) ones."""
    se_a, se_b = var_a / n_a, var_b / n_b
    se = math.sqrt(se_a + se_b)
    denominator = se_a**2 / (n_a - 1) + se_b**2 / (n_b - 1)
    df = (se_a + se_b) ** 2 / denominator if denominator > 0 else float("inf")
    t = float(stats.t.ppf(0.975, df)) if math.isfinite(df) else Z95
    difference = mean_a - mean_b
    return difference, se, df, difference - t * se, difference + t * se


def _sides(frame: pl.LazyFrame | pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    reviewed = pl.col("reviews") > 0
    rated = pl.col("log_rate").is_not_null()
    aggregates = [
        pl.len().alias("profiles"),
        pl.col("reviews").is_not_null().sum().alias("reviews_shown"),
        reviewed.fill_null(False).sum().alias("reviewed"),
        (reviewed & rated).fill_null(False).sum().alias("n_reviewed"),
        (~reviewed & rated).fill_null(False).sum().alias("n_unreviewed"),
        pl.col("log_rate").filter(reviewed).mean().alias("mean_reviewed"),
        pl.col("log_rate").filter(~reviewed).mean().alias("mean_unreviewed"),
        pl.col("log_rate").filter(reviewed).var().alias("var_reviewed"),
        pl.col("log_rate").filter(~reviewed).var().alias("var_unreviewed"),
        pl.col("rate").filter(reviewed).median().alias("median_rate_reviewed"),
        pl.col("rate").filter(~reviewed).median().alias("median_rate_unreviewed"),
    ]
    lazy = frame.lazy()
    grouped = lazy.group_by(keys).agg(aggregates) if keys else lazy.select(aggregates)
    return grouped.collect()


def hiring_margin(
    profiles: pl.LazyFrame | pl.DataFrame,
    by: str = "country",
    *,
    min_count: int = DEFAULT_MIN_COUNT,
    since: date | None = None,
    until: date | None = None,
) -> HiringResult:
    """Share of listed profiles with any review and the asking-rate gap it goes with.

    Parameters
    ----------
    profiles
        Profiles as :func:`olmstats.scan_profiles` returns them, with ``reviews``.
    by
        ``"country"`` (default), ``"occupation"`` or ``"platform"``.
    min_count
        Smallest cell shown: profiles showing reviews (share), profiles with a rate on each side
        (gap).

    Returns
    -------
    HiringResult
        ``table``: share_reviewed (0-1) with ``share_low``/``share_high``; n of each side;
        ``log_rate_gap`` (log points) with ``_se``, ``_low``, ``_high``; ``rate_gap_percent``
        (%) with its interval; median rates (US$/hour) of both sides. ``notes``.
    """
    if by not in GROUPINGS:
        raise InputError(f"by must be one of {', '.join(GROUPINGS)}, got {by!r}")
    profiles = profiles_input(profiles, "reviews")
    check_min_count(min_count)
    check_window(since, until)
    people = materialise_latest(
        snapshot_window(profiles, since, until),
        "profile_id",
        [*dict.fromkeys(["platform", by, "hourly_rate_usd", "reviews", "snapshot_date", "run_id"])],
    )
    hidden = people.filter(pl.col("reviews").is_null())
    shown = people.filter(pl.col("reviews").is_not_null())
    if shown.is_empty():
        raise InputError("no profile shows its reviews: the hiring margin cannot be measured")
    rate = pl.col("hourly_rate_usd")
    shown = shown.with_columns(
        rate=pl.when(rate > 0).then(rate), log_rate=pl.when(rate > 0).then(rate.log())
    )
    pooled = _sides(shown, []).with_columns(level=pl.lit("pooled"), **{by: pl.lit(None, pl.String)})
    grouped = _sides(shown, [by]).with_columns(
        level=pl.when(pl.col(by).is_null()).then(pl.lit(f"{by} unknown")).otherwise(pl.lit(by))
    )
    rows = pl.concat([pooled.select(grouped.columns), grouped]).to_dicts()
    out = [_cells(r, min_count) for r in rows]
    table = pl.DataFrame(out, schema=_SCHEMA | {by: pl.String}, infer_schema_length=None)
    table = pl.concat(
        [
            table.filter(pl.col("level") == "pooled"),
            table.filter(pl.col("level") != "pooled").sort(
                ["profiles", by], descending=[True, False], nulls_last=True
            ),
        ]
    ).select("level", by, *[c for c in _SCHEMA if c != "level"])
    if by == "country":
        names = country_table.frame().select("country", "country_name")
        table = table.join(names, on="country", how="left", maintain_order="left").select(
            "level", "country", "country_name", pl.exclude("level", "country", "country_name")
        )
    notes = _notes(by, min_count, hidden, table)
    return HiringResult(table, notes)


_SCHEMA = {
    "level": pl.String,
    "profiles": pl.Int64,
    "reviewed": pl.Int64,
    "share_reviewed": pl.Float64,
    "share_low": pl.Float64,
    "share_high": pl.Float64,
    "n_reviewed": pl.Int64,
    "n_unreviewed": pl.Int64,
    "median_rate_reviewed": pl.Float64,
    "median_rate_unreviewed": pl.Float64,
    "log_rate_gap": pl.Float64,
    "log_rate_gap_se": pl.Float64,
    "log_rate_gap_low": pl.Float64,
    "log_rate_gap_high": pl.Float64,
    "rate_gap_percent": pl.Float64,
    "rate_gap_percent_low": pl.Float64,
    "rate_gap_percent_high": pl.Float64,
}


def _cells(r: dict, min_count: int) -> dict:
    """One table row from a group's aggregates, small cells suppressed."""
    n = int(r["reviews_shown"])
    out = {key: r.get(key) for key in r if key not in ("reviews_shown",)}
    out["profiles"] = n
    share_ok = n >= min_count
    if share_ok:
        low, high = wilson_interval(int(r["reviewed"]), n)
        out.update(share_reviewed=r["reviewed"] / n, share_low=low, share_high=high)
    else:
        out.update(reviewed=None, share_reviewed=None, share_low=None, share_high=None)
    n1, n0 = int(r["n_reviewed"]), int(r["n_unreviewed"])
    gap_ok = min(n1, n0) >= max(min_count, 2)
    if gap_ok:
        gap, se, _df, low, high = welch_difference(
            r["mean_reviewed"], r["var_reviewed"], n1, r["mean_unreviewed"], r["var_unreviewed"], n0
        )
        out.update(
            log_rate_gap=gap,
            log_rate_gap_se=se,
            log_rate_gap_low=low,
            log_rate_gap_high=high,
            rate_gap_percent=100 * math.expm1(gap),
            rate_gap_percent_low=100 * math.expm1(low),
            rate_gap_percent_high=100 * math.expm1(high),
        )
    else:
        for key in ("log_rate_gap", "log_rate_gap_se", "log_rate_gap_low", "log_rate_gap_high"):
            out[key] = None
        for key in ("rate_gap_percent", "rate_gap_percent_low", "rate_gap_percent_high"):
            out[key] = None
    for side, count in (("reviewed", n1), ("unreviewed", n0)):
        if count < min_count:
            out[f"median_rate_{side}"] = None
    for key in ("mean_reviewed", "mean_unreviewed", "var_reviewed", "var_unreviewed"):
        out.pop(key, None)
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in out.items()}


def _notes(by: str, min_count: int, hidden: pl.DataFrame, table: pl.DataFrame) -> list[str]:
    from olmstats.platforms import platforms

    known = platforms()
    notes = [
        "share_reviewed: listed profiles with 1+ reviews ÷ listed profiles showing reviews, "
        "Wilson 95% interval; a lower bound of the share ever hired (not every project is "
        "reviewed), each profile at its latest observation.",
        "log_rate_gap: mean log asking rate (US$/hour) of reviewed minus unreviewed profiles "
        "with a rate, Welch standard error and t-interval; rate_gap_percent = "
        "100·(exp(gap) − 1), the ratio of geometric means. A cross-sectional difference, not "
        "the effect of a review (tenure, selection and rate changes after hiring all enter).",
        f"Cells suppressed: the share below {min_count} profiles showing reviews, the gap and "
        f"a side's median below {min_count} profiles with a rate on either side.",
    ]
    if hidden.height:
        counts = hidden.group_by("platform").agg(pl.len()).sort("platform")
        listed = ", ".join(
            f"{known[p].display_name if p in known else p} {n:,}" for p, n in counts.iter_rows()
        )
        notes.append(f"Left out, review counts not shown by the platform: {listed} profiles.")
    return notes
