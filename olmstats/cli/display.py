"""Tables for people: each result frame turned into short strings (terminal, Markdown, LaTeX,
HTML). Machine formats get the frames themselves. Suppressed or missing cells show as '–'."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

MISSING = "–"


def money(value: float | None) -> str:
    return MISSING if value is None else f"${value:,.2f}"


def number(value: float | None, digits: int = 2) -> str:
    return MISSING if value is None else f"{value:,.{digits}f}"


def percent(value: float | None) -> str:
    return MISSING if value is None else f"{value:+.1f}%"


def with_interval(
    point: str,
    low: str,
    high: str,
    text: Callable[[float | None], str],
    *,
    alone: str | None = None,
) -> pl.Expr:
    """'point [low, high]'; '–' without a point; *alone* (or the point) without an interval."""

    def render(row: dict) -> str:
        if row[point] is None:
            return MISSING
        if row[low] is None:
            return alone if alone is not None else text(row[point])
        return f"{text(row[point])} [{text(row[low])}, {text(row[high])}]"

    return pl.struct(point, low, high).map_elements(render, return_dtype=pl.String)


def index_interval(name: str, digits: int = 2) -> pl.Expr:
    """An earnings index ``name`` with its ``name_low``/``name_high`` interval."""
    return with_interval(name, f"{name}_low", f"{name}_high", lambda v: number(v, digits))


def slopes(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        pl.col(table.columns[0]),
        pl.col("n_obs").alias("profiles"),
        with_interval("percent", "percent_low", "percent_high", percent).alias(
            "rate change (95% CI)"
        ),
        pl.col("unit"),
        pl.coalesce(pl.col("note"), pl.col("vcov")).alias("standard errors / note"),
    )


def effects(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        pl.col(table.columns[0]),
        pl.col("n_obs").alias("profiles"),
        with_interval("total_percent", "total_percent_low", "total_percent_high", percent).alias(
            "total (95% CI)"
        ),
        with_interval("direct_percent", "direct_percent_low", "direct_percent_high", percent).alias(
            "direct (95% CI)"
        ),
        *(
            [
                with_interval(
                    "within_percent", "within_percent_low", "within_percent_high", percent
                ).alias("within-profile (95% CI)")
            ]
            if "within_percent" in table.columns and table["within_percent"].is_not_null().any()
            else []
        ),
        pl.col("unit"),
        pl.coalesce(pl.col("note"), pl.col("vcov")).alias("standard errors / note"),
    )


def curve(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        "band",
        pl.col("n_obs").alias("profiles"),
        with_interval("percent", "percent_low", "percent_high", percent, alone="reference").alias(
            "rate vs reference band (95% CI)"
        ),
    )


def quantiles(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        table.columns[0],
        "band",
        pl.col("n_rates").alias("rates"),
        *[
            pl.col(c).map_elements(money, return_dtype=pl.String).fill_null(MISSING).alias(label)
            for c, label in (
                ("rate_p25_usd", "p25"),
                ("rate_median_usd", "median"),
                ("rate_p75_usd", "p75"),
            )
        ],
        with_interval("rate_median_usd", "median_ci_low", "median_ci_high", money).alias(
            "median (95% CI)"
        ),
    )


def panel(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        table.columns[0],
        "profiles",
        pl.col("profiles_seen_twice_or_more").alias("seen twice+"),
        "exits",
        pl.col("absences_unverified").alias("unverified"),
        "entries",
        pl.coalesce(
            pl.col("note"),
            with_interval("percent_per_year", "percent_low", "percent_high", percent),
        ).alias("within-profile growth per year (95% CI)"),
    )


def shares(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        table.columns[0],
        "profiles",
        *(["censored"] if "censored" in table.columns else []),
        *[
            pl.col(c)
            .map_elements(lambda v: f"{100 * v:.0f}%", return_dtype=pl.String)
            .fill_null(MISSING)
            .alias(c.removeprefix("share_"))
            for c in table.columns
            if c.startswith("share_")
        ],
    )


def earnings(table: pl.DataFrame) -> pl.DataFrame:
    has_median = "median_low" in table.columns
    return table.select(
        table.columns[0],
        pl.col("profiles_with_rate").alias("profiles with rate"),
        *(
            [
                with_interval("median_rate_usd", "median_low", "median_high", money).alias(
                    "median US$/h"
                )
            ]
            if has_median
            else []
        ),
        index_interval("nominal").alias("nominal"),
        index_interval("intl_rate").alias("intl $/h"),
        index_interval("local").alias("local"),
        index_interval("platform", 0).alias("platform"),
        index_interval("adj_local").alias("local, adjusted"),
    )


FULL_NUMERIC = {"profiles", "median", "%/year tenure", "workers/job", "bids/job"}


def full_country_table(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        "country",
        pl.col("country_name").alias("name"),
        pl.col("income_group").str.replace(" income", "").alias("income"),
        "profiles",
        pl.col("rate_median_usd")
        .map_elements(money, return_dtype=pl.String)
        .fill_null(MISSING)
        .alias("median"),
        pl.col("tenure_pct_per_year")
        .map_elements(percent, return_dtype=pl.String)
        .fill_null(MISSING)
        .alias("%/year tenure"),
        pl.col("workers_per_job").round(1).cast(pl.String).fill_null(MISSING).alias("workers/job"),
        pl.col("bids_per_job").round(1).cast(pl.String).fill_null(MISSING).alias("bids/job"),
        index_interval("nominal").alias("nominal"),
        index_interval("intl_rate").alias("intl $/h"),
        index_interval("local").alias("local"),
        index_interval("platform", 0).alias("platform"),
        index_interval("adj_local").alias("local, adjusted"),
    )


def platforms(table: pl.DataFrame) -> pl.DataFrame:
    """The platform summary for people: money, intervals, '–' for suppressed cells."""
    rows = []
    for r in table.iter_rows(named=True):
        low, high = r["rate_median_ci_low"], r["rate_median_ci_high"]
        rows.append(
            {
                "platform": r["platform_name"],
                "profiles": r["profiles"],
                "with rate": r["profiles_with_rate"],
                "p25": money(r["rate_p25_usd"]),
                "median": money(r["rate_median_usd"]),
                "p75": money(r["rate_p75_usd"]),
                "median 95% CI": "–" if low is None else f"{low:,.2f}–{high:,.2f}",
                "worker countries": r["worker_countries"] or "–",
                "open projects": r["open_projects"],
                "employer countries": r["employer_countries"] or "–",
            }
        )
    return pl.DataFrame(rows)
