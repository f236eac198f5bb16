"""`olm runs` and `olm store check`: what each crawl did, and what is wrong in a store."""

from __future__ import annotations

import sys
from typing import Annotated

import polars as pl
import typer

from olmstats.cli.app import app
from olmstats.cli.options import (
    FormatOption,
    OutputOption,
    StoreOption,
    check_output,
    resolve_store,
)
from olmstats.cli.render import Format, render_table
from olmstats.errors import StoreError

store_app = typer.Typer(help="Look after a store: check it for damage.", no_args_is_help=True)
app.add_typer(store_app, name="store")

RUN_NOTES = (
    "status: complete = every listing read to its end; incomplete = some listing cut short "
    "(problems says which and why); blocked = block page or rate limit; failed = the run could "
    "not do its job; running = not ended (still going, or killed). items written: rows durably "
    "in the store."
)


def runs_display(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        run=pl.col("run_id"),
        spider="spider",
        status=pl.when(pl.col("status") == "complete")
        .then(pl.col("status"))
        .otherwise(pl.col("status").str.to_uppercase()),
        started=pl.col("started_at").str.slice(0, 19).str.replace("T", " "),
        **{
            "items written": "items_kept",
            "dropped": "items_dropped",
            "listings read": pl.format(
                "{}/{}", pl.col("listings") - pl.col("listings_not_read"), pl.col("listings")
            ),
            "origin": pl.when(pl.col("data_origin").str.starts_with("simulated"))
            .then(pl.lit("simulated"))
            .otherwise(pl.col("data_origin").fill_null("unknown")),
            "problems": pl.col("problems").fill_null("").str.slice(0, 160),
        },
    )


@app.command()
def runs(
    store: StoreOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """The crawl runs recorded in a store: status, rows written, listings read, problems."""
    from olmstats.store import read_runs

    check_output(output, fmt)
    store = resolve_store(store)
    table = read_runs(store)
    if table.is_empty():
        raise StoreError(f"no run records in {store}")
    render_table(
        table,
        fmt,
        output,
        title=f"Crawl runs — {store}",
        notes=[RUN_NOTES],
        display=runs_display,
        numeric={"items written", "dropped", "listings read"},
    )


@store_app.command("check")
def check(
    store: StoreOption = None,
    quick: Annotated[
        bool, typer.Option(help="Read only file footers, not every data page.")
    ] = False,
) -> None:
    """List every problem in a store with its path; exit 1 if there is any."""
    from olmstats.store import check_store

    store = resolve_store(store)
    report = check_store(store, deep=not quick)
    for problem in report.problems:
        sys.stdout.write(f"{problem.kind:18} {problem.path}: {problem.message}\n")
    held = ", ".join(
        f"{report.rows[name]:,} {name} rows in {report.files[name]} files" for name in report.files
    )
    summary = f"{store}: {held}; {report.runs} run records"
    if report.ok:
        sys.stderr.write(f"{summary}; no problems\n")
        return
    sys.stderr.write(f"{summary}; {len(report.problems)} problem(s) listed above\n")
    raise typer.Exit(1)
