"""`olm gradient`, `olm dispersion` and `olm hiring`: the income gradient of asking rates, how
unequal rates are, and the hiring margin; and the notes `olm summary --net-of-fees` prints."""

from __future__ import annotations

import warnings
from enum import StrEnum
from typing import Annotated

import polars as pl
import typer

from olmstats.cli import display
from olmstats.cli.app import app, pooled_note
from olmstats.cli.options import (
    FormatOption,
    OutputOption,
    PlatformOption,
    StoreOption,
    check_output,
    min_count_option,
    parse_date,
    resolve_store,
    split_values,
)
from olmstats.cli.render import Format, render_table, working_status
from olmstats.errors import StoreError

SinceOption = Annotated[str | None, typer.Option(help="First snapshot date (YYYY-MM-DD).")]
UntilOption = Annotated[str | None, typer.Option(help="Last snapshot date (YYYY-MM-DD).")]


class Grouping(StrEnum):
    country = "country"
    occupation = "occupation"
    platform = "platform"


ByOption = Annotated[Grouping, typer.Option(help="country, occupation or platform.")]


def _ratio(value: float | None, digits: int = 2) -> str:
    return display.number(value, digits)


def _share(value: float | None) -> str:
    return display.MISSING if value is None else f"{100 * value:.1f}%"


def _signed(value: float | None) -> str:
    return display.MISSING if value is None else f"{value:+.1f}%"


# -- gradient ---------------------------------------------------------------------------------


class GradientView(StrEnum):
    estimates = "estimates"
    countries = "countries"
    dropped = "dropped"


def _gradient_estimates(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        "estimator",
        display.with_interval("slope", "conf_low", "conf_high", lambda v: _ratio(v, 3)).alias(
            "elasticity (95% CI)"
        ),
        pl.col("std_error")
        .map_elements(lambda v: _ratio(v, 3), return_dtype=pl.String)
        .alias("std. error"),
        pl.col("r_squared")
        .map_elements(lambda v: _ratio(v, 3), return_dtype=pl.String)
        .alias("R²"),
        "countries",
        "profiles",
        pl.col("reference_year").alias("GDP year"),
    )


def _gradient_countries(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        "country",
        pl.col("country_name").fill_null("").alias("name"),
        pl.col("profiles_with_rate").alias("with rate"),
        display.with_interval("median_rate_usd", "median_low", "median_high", display.money).alias(
            "median (95% CI)"
        ),
        pl.col("gdp_pc_usd")
        .map_elements(display.money, return_dtype=pl.String)
        .alias("GDP per capita"),
        pl.col("gdp_year").alias("year"),
        pl.col("residual").map_elements(lambda v: _ratio(v, 3), return_dtype=pl.String),
    )


@app.command()
def gradient(
    store: StoreOption = None,
    platform: PlatformOption = None,
    year: Annotated[
        int | None,
        typer.Option(help="Year of GDP per capita (default: as `olm earnings`)."),
    ] = None,
    min_count: min_count_option("profiles with a rate") = 30,
    draws: Annotated[int, typer.Option(help="Resamples of the two-step bootstrap.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 20261203,
    view: Annotated[GradientView, typer.Option(help="Which table.")] = GradientView.estimates,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Income gradient: elasticity of the median asking rate with respect to GDP per capita,
    across countries (OLS of logs, HC1 and a two-step bootstrap)."""
    from olmstats.gradients import rate_income_gradient
    from olmstats.reference import ReferenceDataWarning
    from olmstats.store import scan_profiles, store_notes

    check_output(output, fmt)
    window = (parse_date(since, "--since"), parse_date(until, "--until"))
    store = resolve_store(store)
    profiles = scan_profiles(store, platforms=split_values(platform) or None)
    with warnings.catch_warnings(), working_status(fmt, "Fitting the income gradient…"):
        warnings.simplefilter("ignore", ReferenceDataWarning)  # they are in result.notes
        result = rate_income_gradient(
            profiles,
            year=year,
            min_count=min_count,
            draws=draws,
            seed=seed,
            since=window[0],
            until=window[1],
        )
    table, shown = {
        GradientView.estimates: (result.estimates, _gradient_estimates),
        GradientView.countries: (result.countries, _gradient_countries),
        GradientView.dropped: (result.dropped, None),
    }[view]
    render_table(
        table,
        fmt,
        output,
        title=f"Income gradient ({view.value}), GDP per capita {result.year} — {store}",
        notes=[*result.notes, pooled_note(profiles, None), *store_notes(store)],
        display=shown,
        numeric={"countries", "profiles", "with rate", "GDP per capita", "profiles_with_rate"},
    )


# -- dispersion -------------------------------------------------------------------------------


class DispersionView(StrEnum):
    groups = "groups"
    between = "between"


def _dispersion_groups(table: pl.DataFrame) -> pl.DataFrame:
    by = table.columns[1]
    columns = [
        pl.when(pl.col("level") == "pooled")
        .then(pl.lit("all"))
        .otherwise(pl.col(by).fill_null("unknown"))
        .alias(by)
    ]
    if "country_name" in table.columns:
        columns.append(pl.col("country_name").fill_null("").alias("name"))
    return table.select(
        *columns,
        pl.col("profiles_with_rate").alias("with rate"),
        *[
            pl.col(q).map_elements(display.money, return_dtype=pl.String).alias(q)
            for q in ("p10", "p50", "p90")
        ],
        display.with_interval("p90_p10", "p90_p10_low", "p90_p10_high", _ratio).alias(
            "p90/p10 (95% CI)"
        ),
        display.with_interval(
            "gini", "gini_low", "gini_high", lambda v: _ratio(v, 3), alone=display.MISSING
        ).alias("Gini (95% CI)"),
    )


def _dispersion_between(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        "by",
        "groups",
        pl.col("profiles_with_rate").alias("with rate"),
        pl.col("variance_log_rate")
        .map_elements(lambda v: _ratio(v, 3), return_dtype=pl.String)
        .alias("var(log rate)"),
        display.with_interval(
            "between_share", "between_share_low", "between_share_high", _share
        ).alias("between share η² (95% CI)"),
        display.with_interval(
            "between_share_adjusted",
            "between_share_adjusted_low",
            "between_share_adjusted_high",
            _share,
        ).alias("adjusted ω² (95% CI)"),
    )


@app.command()
def dispersion(
    store: StoreOption = None,
    platform: PlatformOption = None,
    by: ByOption = Grouping.country,
    min_count: min_count_option("profiles with a rate") = 10,
    draws: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 20261204,
    view: Annotated[DispersionView, typer.Option(help="Which table.")] = DispersionView.groups,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Dispersion of asking rates: p90/p10 and Gini per group and pooled, and the share of the
    variance of log rates that lies between groups."""
    from olmstats.dispersion import rate_dispersion
    from olmstats.store import scan_profiles, store_notes

    check_output(output, fmt)
    window = (parse_date(since, "--since"), parse_date(until, "--until"))
    store = resolve_store(store)
    profiles = scan_profiles(store, platforms=split_values(platform) or None)
    with working_status(fmt, "Bootstrapping dispersion…"):
        result = rate_dispersion(
            profiles,
            by=by.value,
            min_count=min_count,
            draws=draws,
            seed=seed,
            since=window[0],
            until=window[1],
        )
    table, shown = {
        DispersionView.groups: (result.groups, _dispersion_groups),
        DispersionView.between: (result.between, _dispersion_between),
    }[view]
    render_table(
        table,
        fmt,
        output,
        title=f"Rate dispersion by {by.value} ({view.value}) — {store}",
        notes=[*result.notes, pooled_note(profiles, None), *store_notes(store)],
        display=shown,
        numeric={"with rate", "p10", "p50", "p90", "groups"},
    )


# -- hiring margin ----------------------------------------------------------------------------


def _hiring_display(table: pl.DataFrame) -> pl.DataFrame:
    by = table.columns[1]
    columns = [
        pl.when(pl.col("level") == "pooled")
        .then(pl.lit("all"))
        .otherwise(pl.col(by).fill_null("unknown"))
        .alias(by)
    ]
    if "country_name" in table.columns:
        columns.append(pl.col("country_name").fill_null("").alias("name"))
    return table.select(
        *columns,
        pl.col("profiles"),
        display.with_interval("share_reviewed", "share_low", "share_high", _share).alias(
            "reviewed (95% CI)"
        ),
        pl.col("n_reviewed").alias("rated, reviewed"),
        pl.col("n_unreviewed").alias("rated, unreviewed"),
        pl.col("median_rate_reviewed")
        .map_elements(display.money, return_dtype=pl.String)
        .alias("median, reviewed"),
        pl.col("median_rate_unreviewed")
        .map_elements(display.money, return_dtype=pl.String)
        .alias("median, unreviewed"),
        display.with_interval(
            "rate_gap_percent", "rate_gap_percent_low", "rate_gap_percent_high", _signed
        ).alias("rate gap (95% CI)"),
    )


@app.command()
def hiring(
    store: StoreOption = None,
    platform: PlatformOption = None,
    by: ByOption = Grouping.country,
    min_count: min_count_option("profiles") = 10,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Hiring margin: share of listed profiles with any review (Wilson 95% CI) and the asking-
    rate gap between reviewed and unreviewed profiles (Welch 95% CI)."""
    from olmstats.hiring import hiring_margin
    from olmstats.store import scan_profiles, store_notes

    check_output(output, fmt)
    window = (parse_date(since, "--since"), parse_date(until, "--until"))
    store = resolve_store(store)
    profiles = scan_profiles(store, platforms=split_values(platform) or None)
    result = hiring_margin(
        profiles, by=by.value, min_count=min_count, since=window[0], until=window[1]
    )
    if result.table.is_empty():
        raise StoreError(f"no profiles in {store} show their reviews")
    render_table(
        result.table,
        fmt,
        output,
        title=f"Hiring margin by {by.value} — {store}",
        notes=[*result.notes, pooled_note(profiles, None), *store_notes(store)],
        display=_hiring_display,
        numeric={"profiles", "rated, reviewed", "rated, unreviewed"},
    )


# -- olm summary --net-of-fees ------------------------------------------------------------------


def net_of_fees_notes(profiles: pl.LazyFrame, since, until) -> list[str]:
    """What `olm summary --net-of-fees` says under the table: which fee, from which date and
    source, each platform's rates were netted with."""
    from olmstats.fees import fee_notes, fees_used
    from olmstats.summary import snapshot_window

    return fee_notes(fees_used(snapshot_window(profiles, since, until)))
