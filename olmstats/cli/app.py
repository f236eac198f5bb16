"""`olm`: crawl, summarise and demo from the terminal."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from olmstats.cli import display
from olmstats.cli.options import (
    FormatOption,
    OutputOption,
    PlatformOption,
    StoreOption,
    WeightOption,
    check_output,
    check_plot,
    finite_positive,
    min_count_option,
    parse_date,
    resolve_store,
    split_values,
)
from olmstats.cli.render import Format, working_status
from olmstats.errors import InputError, StoreError

app = typer.Typer(
    name="olm",
    help="Measure online freelance labour markets: crawl platforms, print country tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")


# -- summary ----------------------------------------------------------------------------------


@app.command()
def summary(
    store: StoreOption = None,
    platform: PlatformOption = None,
    weight: WeightOption = None,
    seed: Annotated[
        int, typer.Option(help="With --weight: seed of the median's bootstrap.")
    ] = 20261201,
    by: Annotated[str, typer.Option("--by", help="country or platform.")] = "country",
    country: Annotated[
        list[str] | None,
        typer.Option("--country", "-c", help="ISO alpha-2 codes, comma separated or repeated."),
    ] = None,
    occupation: Annotated[
        list[str] | None,
        typer.Option("--occupation", "-o", help="Occupation codes (see `olm occupations`)."),
    ] = None,
    min_count: min_count_option() = 10,
    since: Annotated[str | None, typer.Option(help="First snapshot date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Last snapshot date (YYYY-MM-DD).")] = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="The full table: + progression, competition, relative earnings."
        ),
    ] = False,
    year: Annotated[int | None, typer.Option(help="With --full: reference-data year.")] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="With --full: ranked bar chart of --index (PNG).")
    ] = None,
    index: Annotated[
        str, typer.Option(help="With --plot: nominal, intl_rate, local or platform.")
    ] = "local",
    net_of_fees: Annotated[
        bool,
        typer.Option(
            "--net-of-fees",
            help="Rates net of the service fee each platform charges workers (see the notes).",
        ),
    ] = False,
) -> None:
    """Country table: profiles, asking rates (median, quartiles, CI), open projects, occupations.

    With --full, also the rate's progression with tenure, workers and bids per job, and every
    relative-earnings index with its interval, region and income group."""
    from olmstats import countries as country_table
    from olmstats.cli.render import render_summary
    from olmstats.store import scan_jobs, scan_profiles, store_notes
    from olmstats.summary import DEFINITIONS, country_summary
    from olmstats.weights import parse_weights

    codes = country_table.parse_list(",".join(split_values(country))) if country else None
    window = (parse_date(since, "--since"), parse_date(until, "--until"))
    if (plot or year) and not full:
        raise InputError("--plot and --year need --full")
    if index not in INDEX_LABELS:
        raise InputError(f"--index must be one of {', '.join(INDEX_LABELS)}")
    check_output(output, fmt)
    check_plot(plot)
    if by not in ("country", "platform"):
        raise InputError(f"--by must be country or platform, got {by!r}")
    if net_of_fees and (full or by == "platform"):
        raise InputError("--net-of-fees goes with the country table only (not --full or --by)")
    weights = parse_weights(weight or [])
    if weights and by == "platform":
        raise InputError("--weight pools platforms: it does not go with --by platform")
    store = resolve_store(store)
    chosen = split_values(platform) or None
    if by == "platform":
        _platform_summary(store, chosen, min_count, window, fmt, output)
        return
    profiles = scan_profiles(store, platforms=chosen)
    if full:
        _full_summary(
            store,
            profiles,
            chosen,
            min_count=min_count,
            codes=codes,
            window=window,
            year=year,
            fmt=fmt,
            output=output,
            plot=plot,
            index=index,
            weights=weights or None,
            seed=seed,
        )
        return
    jobs = scan_jobs(store, platforms=chosen, missing_ok=True)
    with working_status(fmt, "Computing the country summary…"):
        table = country_summary(
            profiles,
            jobs,
            min_count=min_count,
            countries=codes,
            occupations_filter=split_values(occupation) or None,
            since=window[0],
            until=window[1],
            platform_weights=weights or None,
            seed=seed,
            net_of_fees=net_of_fees,
        )
    if table.is_empty():
        raise StoreError(f"no profiles in {store} match these filters")
    definitions = DEFINITIONS.format(min_count=min_count)
    fee_lines: list[str] = []
    if net_of_fees:
        from olmstats.cli.extras import net_of_fees_notes

        definitions = definitions.replace("asking US$/hour", "asking US$/hour net of fees")
        fee_lines = net_of_fees_notes(profiles, *window)
    if weights:
        definitions = definitions.replace(
            "quartiles by linear interpolation, 95% CI of the median from order statistics",
            "quartiles and the median's 95% CI of the weighted mixture (next line)",
        )
    notes = [definitions, *fee_lines, pooled_note(profiles, jobs, weights, seed)]
    if jobs is None:
        notes.append("No jobs in this store: open_projects is 0 everywhere.")
    notes += store_notes(store)
    title = f"Country summary — {store}"
    render_summary(table, fmt, output, title=title, notes=notes)


def _platform_summary(
    store: Path,
    chosen: list[str] | None,
    min_count: int,
    window: tuple[date | None, date | None],
    fmt: Format,
    output: Path | None,
) -> None:
    from olmstats.cli.render import render_table
    from olmstats.store import scan_jobs, scan_profiles, store_notes
    from olmstats.summary import platform_summary

    profiles = scan_profiles(store, platforms=chosen, missing_ok=True)
    jobs = scan_jobs(store, platforms=chosen, missing_ok=True)
    if profiles is None and jobs is None:
        raise StoreError(f"store {store} has no profiles or jobs")
    table = platform_summary(profiles, jobs, min_count=min_count, since=window[0], until=window[1])
    notes = [
        "One row per platform, each counted on its own (no pooling): profiles at their latest "
        f"observation, asking US$/hour quartiles and the median's 95% CI, countries of workers "
        f"and of employers, open jobs; cells from fewer than {min_count} observations "
        "suppressed.",
        *store_notes(store),
    ]
    render_table(
        table,
        fmt,
        output,
        title=f"Platform summary — {store}",
        notes=notes,
        display=display.platforms,
        numeric={
            "profiles",
            "with rate",
            "p25",
            "median",
            "p75",
            "worker countries",
            "open projects",
        },
    )


def pooled_note(
    profiles: pl.LazyFrame,
    jobs: pl.LazyFrame | None,
    weights: dict[str, float] | None = None,
    seed: int | None = None,
) -> str:
    """Which platforms a table pools, for which dataset, and how (rows, or the given weights)."""
    from olmstats.platforms import platforms

    known = platforms()

    def names(frame: pl.LazyFrame | None) -> list[str]:
        if frame is None:
            return []
        found = frame.select(pl.col("platform").unique()).collect()["platform"].sort()
        return [known[p].display_name if p in known else p for p in found]

    people, work = names(profiles), names(jobs)
    where = f"Platforms: profiles from {', '.join(people) or 'none'}"
    if jobs is not None:
        where += f"; jobs from {', '.join(work) or 'none'}"
    if not weights:
        return (
            where + "; pooled by counting rows (each platform's listings as they are, unweighted)."
        )
    given = ", ".join(
        f"{known[p].display_name if p in known else p} {w:g}" for p, w in weights.items()
    )
    return (
        f"{where}; profiles pooled as a weighted mixture ({given}; renormalised within each "
        "country over the platforms present): rate quartiles are the mixture's (inverted CDF), "
        f"the median's 95% CI a bootstrap stratified by platform (2,000 draws, seed {seed}), "
        "occupation shares mixed alike; profiles and open_projects count rows."
    )


def _full_summary(
    store: Path,
    profiles: pl.LazyFrame,
    chosen: list[str] | None,
    *,
    min_count: int,
    codes: list[str] | None,
    window: tuple[date | None, date | None],
    year: int | None,
    fmt: Format,
    output: Path | None,
    plot: Path | None,
    index: str,
    weights: dict[str, float] | None,
    seed: int,
) -> None:
    import warnings

    from olmstats.cli.render import render_table, snapshot_caption
    from olmstats.country_table import full_country_table
    from olmstats.reference import ReferenceDataWarning
    from olmstats.store import scan_jobs, store_notes
    from olmstats.summary import DEFINITIONS

    jobs = scan_jobs(store, platforms=chosen, missing_ok=True)
    with warnings.catch_warnings(), working_status(fmt, "Computing the full country table…"):
        warnings.simplefilter("ignore", ReferenceDataWarning)  # they are in result.notes
        result = full_country_table(
            profiles,
            jobs,
            min_count=min_count,
            year=year,
            since=window[0],
            until=window[1],
            platform_weights=weights,
            seed=seed,
        )
    table = result.table
    if codes:
        table = table.filter(pl.col("country").is_in(codes))
    if table.is_empty():
        raise StoreError(f"no profiles in {store} match these filters")
    provenance = store_notes(store)
    notes = [
        DEFINITIONS.format(min_count=min_count),
        pooled_note(profiles, jobs, weights, seed),
        *result.notes,
        *provenance,
    ]
    render_table(
        table,
        fmt,
        output,
        title=f"Country table — {store} ({snapshot_caption(table)})",
        notes=notes,
        display=display.full_country_table,
        numeric=display.FULL_NUMERIC,
    )
    if plot is not None:
        from olmstats.plots import plot_ranked_index

        plot_ranked_index(
            table,
            plot,
            index=index,
            label=INDEX_LABELS[index],
            title=f"{index} index — {store}",
            note=_first_simulated(provenance),
        )
        _stderr(f"plot written to {plot}")


# -- progression -------------------------------------------------------------------------------


class View(StrEnum):
    slopes = "slopes"
    curve = "curve"
    quantiles = "quantiles"
    panel = "panel"
    trajectories = "trajectories"


@app.command()
def progression(
    store: StoreOption = None,
    platform: PlatformOption = None,
    by: Annotated[str | None, typer.Option(help="country or occupation (default: pooled)")] = None,
    experience: Annotated[str, typer.Option(help="tenure or reviews")] = "tenure",
    view: Annotated[View, typer.Option(help="Which table to print.")] = View.slopes,
    min_count: min_count_option("profiles") = 30,
    weight: WeightOption = None,
    window_months: Annotated[
        float,
        typer.Option(
            "--window-months",
            help="For --view trajectories: months a profile must be observed to be classified.",
        ),
    ] = 12.0,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Also draw median rate by experience band per group (PNG)."),
    ] = None,
) -> None:
    """Hourly-rate progression: slopes, band curves, quantiles, panel growth, trajectories."""
    from olmstats import progression as prog
    from olmstats.cli.render import render_table
    from olmstats.store import listing_outcomes, scan_profiles, store_notes
    from olmstats.weights import parse_weights

    finite_positive(window_months, "--window-months")
    weights = parse_weights(weight or []) or None
    if weights and view is not View.slopes:
        raise InputError("--weight goes with --view slopes (the weighted least-squares slopes)")

    exp = prog.experience_measure(experience)
    prog.grouping(by)
    check_output(output, fmt)
    check_plot(plot)
    store = resolve_store(store)
    profiles = scan_profiles(store, platforms=split_values(platform) or None)
    group_label = by or "group"
    with working_status(fmt, "Estimating…"):
        if view is View.slopes:
            table = prog.progression_effects(
                profiles,
                by=by,
                experience=experience,
                min_count=min_count,
                platform_weights=weights,
            )
            other = "reviews" if exp.name == "tenure" else "tenure"
            table = _with_within_profile(table, profiles, by, exp.name, min_count, store)
            formatter, about = (
                display.effects,
                (
                    f"OLS of log asking rate (US$) on {exp.name} within country and occupation, "
                    f"% = 100(e^b − 1): total (the {other} that come with {exp.name} not held "
                    f"fixed) and direct ({other} held fixed), on the same profiles. "
                    + prog.SURVIVORSHIP_CAVEAT
                ),
            )
        elif view is View.curve:
            table = prog.rate_curve(profiles, experience=experience, min_count=min_count)
            clusters = table["n_clusters"][0]
            formatter, about = (
                display.curve,
                (
                    f"Rate difference of each {exp.name} band from the first, within country and "
                    + (
                        f"occupation, clustered by country ({clusters} clusters; intervals: "
                        f"{table['inference'][0]})."
                        if clusters is not None
                        else "occupation (one country: HC1)."
                    )
                ),
            )
        elif view is View.quantiles:
            table = prog.rate_quantiles(
                profiles, by=by, experience=experience, min_count=min(min_count, 10)
            )
            formatter, about = (
                display.quantiles,
                (
                    "Asking rates per experience band: quartiles (type 7) and the median's "
                    "distribution-free 95% interval; cells under the minimum count suppressed."
                ),
            )
        elif view is View.panel:
            table = prog.panel_growth(
                profiles, by=by, min_count=min_count, listings=listing_outcomes(store)
            )
            formatter, about = (
                display.panel,
                (
                    "Within-profile growth of the asking rate per year (profile fixed effects, "
                    "clustered by profile); exits: absent from a later crawl that read the "
                    "listing which had found them to its end; unverified: absent, but that "
                    "listing was not read to its end later (a page lost, max_pages), so not "
                    "counted as gone."
                ),
            )
        else:
            table = prog.trajectory_shares(
                prog.career_trajectories(
                    profiles, listings=listing_outcomes(store), window_months=window_months
                ),
                by=by or "country",
                min_count=min(min_count, 10),
            )
            formatter, about = display.shares, prog.TRAJECTORY_RULES
            group_label = by or "country"
    notes = [about, _weighted_slopes_note(profiles, weights), *store_notes(store)]
    if "inference" in table.columns and (table["inference"] == "wild bootstrap (WCR)").any():
        notes.insert(1, prog.INFERENCE_RULE)
    title = f"Rate progression ({view.value}, {exp.name}) by {group_label} — {store}"
    render_table(
        table,
        fmt,
        output,
        title=title,
        notes=notes,
        display=formatter,
        numeric={"profiles", "rates", "seen twice+", "exits", "unverified", "entries", "censored"},
    )
    if plot is not None:
        from olmstats.plots import plot_rate_by_experience

        quantiles = prog.rate_quantiles(profiles, by=by, experience=experience)
        bands = list(prog.TENURE_LABELS if exp.name == "tenure" else prog.REVIEW_LABELS)
        plot_rate_by_experience(
            quantiles,
            plot,
            group=quantiles.columns[0],
            bands=bands,
            title=f"Median asking rate by {exp.name} — {store}",
            note=_first_simulated(notes),
        )
        _stderr(f"plot written to {plot}")


# -- competition and earnings ----------------------------------------------------------------


class CompetitionView(StrEnum):
    workers = "workers"
    workers_by_country = "workers-by-country"
    bids = "bids"
    shares = "shares"
    new_projects = "new-projects"


class Index(StrEnum):
    nominal = "nominal"
    intl_rate = "intl_rate"
    local = "local"
    platform = "platform"


class Level(StrEnum):
    country = "country"
    region = "region"
    income_group = "income_group"


INDEX_LABELS = {
    "nominal": "annual platform earnings ÷ GDP per capita (current US$)",
    "intl_rate": "median rate in international $ an hour (private-consumption PPP)",
    "local": "monthly platform earnings ÷ local mean monthly earnings of employees (ILO)",
    "platform": "country median rate ÷ platform median × 100",
}


@app.command()
def competition(
    store: StoreOption = None,
    platform: PlatformOption = None,
    view: Annotated[CompetitionView, typer.Option(help="Which table.")] = CompetitionView.workers,
    by: Annotated[
        str,
        typer.Option(
            help="For --view bids: occupation, budget_band or employer_country; for --view "
            "new-projects: occupation and/or employer_country (comma-separated)."
        ),
    ] = "occupation",
    snapshots: Annotated[str, typer.Option(help="latest or all (averaged).")] = "latest",
    min_count: min_count_option() = 10,
    since: Annotated[
        str | None, typer.Option(help="For --view new-projects: first posting day (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="For --view new-projects: last posting day (YYYY-MM-DD).")
    ] = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Competition: workers per open project, bids per project, supply and demand shares by
    country, and new projects per day (the flow the Online Labour Index counts)."""
    from olmstats import competition as comp
    from olmstats.cli.render import render_table
    from olmstats.store import scan_jobs, scan_profiles, store_notes

    check_output(output, fmt)
    if (since or until) and view is not CompetitionView.new_projects:
        raise InputError("--since and --until go with --view new-projects")
    store = resolve_store(store)
    chosen = split_values(platform) or None
    profiles = scan_profiles(store, platforms=chosen)
    jobs = scan_jobs(store, platforms=chosen)
    if view is CompetitionView.workers:
        table = comp.workers_per_job(profiles, jobs, snapshots=snapshots, min_count=min_count)
        about = "Workers per open job, by occupation (platform-wide)."
    elif view is CompetitionView.workers_by_country:
        table = comp.workers_per_job(
            profiles, jobs, by_country=True, snapshots=snapshots, min_count=min_count
        )
        about = "Each worker country's profiles per open job in the occupation (global demand)."
    elif view is CompetitionView.bids:
        table = comp.bids_per_job(jobs, by=by, snapshots=snapshots, min_count=min_count)
        about = f"Bids per open project by {by}; budget bands use the middle of the US$ budget."
    elif view is CompetitionView.shares:
        table = comp.supply_demand_shares(profiles, jobs)
        about = (
            "Shares of workers (where workers are) and of open projects (where employers are), "
            "per snapshot; open projects are a stock - the Online Labour Index's shares are of "
            "new projects (--view new-projects)."
        )
    else:
        flow = comp.new_projects(
            jobs,
            since=parse_date(since, "--since"),
            until=parse_date(until, "--until"),
            by=split_values([by]),
        )
        table, about = flow.table, " ".join(flow.notes)
    notes = [about, comp.COUNTED, pooled_note(profiles, jobs), *store_notes(store)]
    render_table(
        table.with_columns(pl.col(pl.Float64).round(4)),
        fmt,
        output,
        title=f"Competition ({view.value}) — {store}",
        notes=notes,
        numeric=set(table.columns)
        - {"occupation", "country", "budget_band", "employer_country", "posted_on"},
    )


def _with_within_profile(
    table: pl.DataFrame,
    profiles: pl.LazyFrame,
    by: str | None,
    experience: str,
    min_count: int,
    store: Path,
) -> pl.DataFrame:
    """Beside the cross-sectional tenure gradients, the within-profile growth per year where the
    store holds the same profiles at two snapshots or more (null columns otherwise)."""
    from olmstats import progression as prog
    from olmstats.store import listing_outcomes

    columns = ["within_percent", "within_percent_low", "within_percent_high"]
    snapshots = profiles.select(pl.col("snapshot_date").n_unique()).collect().item()
    if experience != "tenure" or snapshots < 2:
        return table.with_columns(pl.lit(None, pl.Float64).alias(c) for c in columns)
    key = table.columns[0]
    within = prog.panel_growth(
        profiles, by=by, min_count=min_count, listings=listing_outcomes(store)
    ).select(
        pl.col(key),
        within_percent="percent_per_year",
        within_percent_low="percent_low",
        within_percent_high="percent_high",
    )
    return table.join(within, on=key, how="left", maintain_order="left")


def _weighted_slopes_note(profiles: pl.LazyFrame, weights: dict[str, float] | None) -> str:
    """Which platforms the slopes pool, and how: rows, or weighted least squares."""
    if not weights:
        return pooled_note(profiles, None)
    given = ", ".join(f"{p} {w:g}" for p, w in weights.items())
    return (
        pooled_note(profiles, None).split(";")[0]
        + f"; weighted least squares, each platform's profiles carrying its weight ({given}; "
        "renormalised over the platforms in each fit)."
    )


def _first_simulated(notes: list[str]) -> str | None:
    """The first simulated-data warning among *notes* (plots carry it under the axes)."""
    return next((n for n in notes if n.startswith("SIMULATED DATA")), None)


@app.command()
def earnings(
    store: StoreOption = None,
    platform: PlatformOption = None,
    level: Annotated[Level, typer.Option(help="country, region or income_group")] = Level.country,
    year: Annotated[
        int | None,
        typer.Option(
            help="Reference year of every index (default: the snapshot year, or the last year "
            "every series is published for)."
        ),
    ] = None,
    hours: Annotated[float, typer.Option(help="Working hours a year.")] = 2000.0,
    draws: Annotated[
        int, typer.Option(min=1, help="Bootstrap draws for regional and income-group intervals.")
    ] = 2000,
    min_count: min_count_option("rates") = 10,
    index: Annotated[Index, typer.Option(help="Index for --plot.")] = Index.local,
    adjusted: Annotated[bool, typer.Option(help="Plot the composition-adjusted index.")] = False,
    weight: WeightOption = None,
    seed: Annotated[
        int, typer.Option(help="Seed of the bootstraps (weighted medians, weighted groups).")
    ] = 20261125,
    group_weights: Annotated[
        str | None,
        typer.Option(
            "--group-weights",
            help="Weights of countries in regions and income groups: labour_force, or a CSV "
            "file with columns country,weight (default: profiles pooled as crawled).",
        ),
    ] = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Ranked bar chart of --index with intervals (PNG)."),
    ] = None,
) -> None:
    """Relative earnings: online rates against GDP per capita, PPP and local wages."""
    import warnings

    from olmstats.cli.render import render_table
    from olmstats.earnings import relative_earnings
    from olmstats.reference import ReferenceDataWarning
    from olmstats.store import scan_profiles, store_notes

    finite_positive(hours, "--hours")
    check_output(output, fmt)
    check_plot(plot)
    store = resolve_store(store)
    weights = _read_group_weights(group_weights)
    from olmstats.weights import parse_weights

    platform_weights = parse_weights(weight or []) or None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReferenceDataWarning)  # they are in result.notes
        with working_status(fmt, "Computing indices and intervals…"):
            profiles = scan_profiles(store, platforms=split_values(platform) or None)
            result = relative_earnings(
                profiles,
                year=year,
                hours=hours,
                draws=draws,
                min_count=min_count,
                group_weights=weights,
                platform_weights=platform_weights,
                seed=seed,
            )
    table = {
        Level.country: result.countries,
        Level.region: result.regions,
        Level.income_group: result.income_groups,
    }[level]
    notes = [
        *result.notes,
        pooled_note(profiles, None, platform_weights, seed),
        *store_notes(store),
    ]

    render_table(
        table,
        fmt,
        output,
        title=f"Relative earnings ({level.value}), reference year {result.year} — {store}",
        notes=notes,
        display=display.earnings,
        numeric={"profiles with rate"},
    )
    if plot is not None:
        from olmstats.plots import plot_ranked_index

        name = f"adj_{index.value}" if adjusted else index.value
        plot_ranked_index(
            result.countries,
            plot,
            index=name,
            title=f"{'Composition-adjusted ' if adjusted else ''}{index.value} "
            f"index, reference year {result.year} — {store}",
            label=INDEX_LABELS[index.value],
            note=_first_simulated(notes),
        )
        _stderr(f"plot written to {plot}")


def _read_group_weights(text: str | None):
    """``--group-weights``: None, "labour_force", or a CSV file of country,weight."""
    if text is None or text == "labour_force":
        return text
    path = Path(text)
    if not path.is_file():
        raise InputError(f"--group-weights: {text} is neither labour_force nor a CSV file")
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.PolarsError as error:
        raise InputError(f"--group-weights: cannot read {path}: {error}") from None
    if not {"country", "weight"} <= set(frame.columns):
        raise InputError(f"--group-weights: {path} needs the columns country,weight")
    weights = frame.select("country", pl.col("weight").cast(pl.Float64, strict=False))
    bad = frame.filter(weights["weight"].is_null())["country"].to_list()
    if bad:
        raise InputError(f"--group-weights: {path}: weight of {bad[0]} is not a number")
    return weights


# -- reference data ------------------------------------------------------------------------------

reference_app = typer.Typer(
    help="Reference data: WDI series, World Bank groups, ILO earnings.", no_args_is_help=True
)
app.add_typer(reference_app, name="reference")


@reference_app.command("list")
def reference_list() -> None:
    """The reference files in use, with their vintages."""
    from olmstats.reference import vintage_table

    with pl.Config(
        tbl_rows=-1, fmt_str_lengths=70, tbl_width_chars=220, tbl_hide_dataframe_shape=True
    ):
        print(vintage_table().drop("file"))


@reference_app.command("update")
def reference_update(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", help="Where to write (default: OLM_REFERENCE_DIR or ~/.local/share/olmstats)"
        ),
    ] = None,
) -> None:
    """Download the WDI series from the World Bank API as new dated files (old ones kept)."""
    from olmstats.reference import user_reference_dir
    from olmstats.reference_update import OfflineError, update

    target = directory or user_reference_dir()
    try:
        written = update(target)
    except OfflineError as exc:
        _stderr(f"olm: error: {exc}")
        raise typer.Exit(1) from None
    for path in written:
        _stderr(f"wrote {path}")


# -- small reference commands -------------------------------------------------------------------


@app.command()
def schema(dataset: Annotated[str, typer.Argument(help="profiles or jobs")] = "profiles") -> None:
    """Print a dataset's columns: dtype, unit, nullability, meaning."""
    from olmstats.schema import DATASETS, describe

    if dataset not in DATASETS:
        raise InputError(f"unknown dataset {dataset!r}: profiles or jobs")
    with __import__("polars").Config(
        tbl_rows=-1, fmt_str_lengths=120, tbl_width_chars=200, tbl_hide_dataframe_shape=True
    ):
        print(describe(DATASETS[dataset]))


@app.command("occupations")
def occupation_list() -> None:
    """The six Online Labour Index occupation codes."""
    from olmstats.occupations import occupations

    for code, occ in occupations().items():
        print(f"{code:24} {occ.label}")


# The commands in their own modules register themselves on `app`.
from olmstats.cli import crawling, extras, plan_commands, store_commands  # noqa: E402, F401
