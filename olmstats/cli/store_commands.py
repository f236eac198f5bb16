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

store_app = typer.Typer(
    help="Look after a store: check it for damage, see its disk use.", no_args_is_help=True
)
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
        plan=pl.col("plan").fill_null(""),
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
            "vs previous": pl.when(pl.col("items_change").is_not_null())
            .then(pl.format("{}%", (100 * pl.col("items_change")).round(0).cast(pl.Int64)))
            .otherwise(pl.lit("")),
            "flags": pl.col("flags").fill_null("").str.slice(0, 200),
        },
    )


@app.command()
def runs(
    store: StoreOption = None,
    plan: Annotated[str | None, typer.Option(help="Only the runs of this plan.")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when any run shown is flagged.")
    ] = False,
    last: Annotated[
        int | None, typer.Option(help="Only the latest N runs (after --plan).", min=1)
    ] = None,
    max_fall: Annotated[
        float, typer.Option(help="Flag a fall in rows kept by more than this share.")
    ] = 0.5,
    max_drop_share: Annotated[
        float, typer.Option(help="Flag runs dropping more than this share of rows.")
    ] = 0.05,
    max_fix_share: Annotated[
        float, typer.Option(help="Flag more implausible values nulled per row kept.")
    ] = 0.05,
    stale_hours: Annotated[
        float, typer.Option(help="Flag runs still 'running' after this many hours.")
    ] = 24.0,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """The crawl runs recorded in a store: status, rows written, listings read, flags.

    A run is flagged when it did not complete, has been running too long, kept far fewer rows
    than the previous run of the same crawl (plan, spider, arguments), or dropped or nulled a
    large share of its rows (olmstats.monitoring). With --check, any flag exits 1."""
    from olmstats.monitoring import flag_runs
    from olmstats.store import read_runs

    check_output(output, fmt)
    store = resolve_store(store)
    table = read_runs(store)
    if table.is_empty():
        raise StoreError(f"no run records in {store}")
    table = flag_runs(
        table,
        max_fall=max_fall,
        max_drop_share=max_drop_share,
        max_fix_share=max_fix_share,
        stale_hours=stale_hours,
    )
    if plan is not None:
        table = table.filter(pl.col("plan") == plan)
        if table.is_empty():
            raise StoreError(f"no runs of plan {plan!r} in {store}")
    if last is not None:
        table = table.tail(last)
    flagged = table.filter(pl.col("flags").is_not_null())
    notes = [
        RUN_NOTES,
        f"flags: not complete; running over {stale_hours:g} h; rows kept fell by more than "
        f"{max_fall:.0%} against the previous run of the same plan, spider and arguments; over "
        f"{max_drop_share:.0%} of rows dropped; over {max_fix_share:.0%} implausible values "
        "nulled per row kept.",
        f"{flagged.height} of {table.height} run(s) flagged.",
    ]
    render_table(
        table,
        fmt,
        output,
        title=f"Crawl runs — {store}" + (f" (plan {plan})" if plan else ""),
        notes=notes,
        display=runs_display,
        numeric={"items written", "dropped", "listings read", "vs previous"},
    )
    if check and flagged.height:
        raise typer.Exit(1)


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


def _size(column: str) -> pl.Expr:
    value = pl.col(column).cast(pl.Float64)
    return (
        pl.when(value >= 1024**3)
        .then(pl.format("{} GiB", (value / 1024**3).round(2)))
        .when(value >= 1024**2)
        .then(pl.format("{} MiB", (value / 1024**2).round(1)))
        .when(value >= 1024)
        .then(pl.format("{} KiB", (value / 1024).round(1)))
        .otherwise(pl.format("{} B", pl.col(column)))
    )


def usage_display(table: pl.DataFrame) -> pl.DataFrame:
    return table.select(
        "dataset",
        platform=pl.col("platform").fill_null(""),
        month=pl.col("month").fill_null(""),
        files="files",
        rows=pl.col("rows").cast(pl.String).fill_null(""),
        size=_size("bytes"),
    )


@store_app.command("du")
def du(
    store: StoreOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Disk used by a store: by dataset, platform and month, then run records and plans."""
    from olmstats.store.usage import disk_usage

    check_output(output, fmt)
    store = resolve_store(store)
    table = disk_usage(store)
    total = int(table["bytes"].sum())
    render_table(
        table,
        fmt,
        output,
        title=f"Disk use — {store}",
        notes=[
            f"total {_human(total)}"
            + f" in {int(table['files'].sum()):,} files; rows are rows on disk (a profile "
            "crawled twice on one day counts twice here, once in the tables)."
        ],
        display=usage_display,
        numeric={"files", "rows", "size"},
    )


def _human(size: int) -> str:
    return pl.DataFrame({"b": [size]}).select(_size("b"))["b"].item()


@store_app.command("compact")
def compact(
    store: StoreOption = None,
    until: Annotated[
        str | None, typer.Option(help="Compact days up to this one (default: yesterday, UTC).")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Say what would be merged; write nothing.")] = False,
) -> None:
    """Merge each closed day's part files into one file per partition, every row kept.

    Rows are fingerprinted before and after; the old files go only once the new one reads
    back identical. Today's partitions and days a run still marked running writes to are
    left alone."""
    from olmstats.cli.options import parse_date
    from olmstats.store.compaction import compact_store

    store = resolve_store(store)
    report = compact_store(store, until=parse_date(until, "--until"), dry_run=dry_run)
    for p in report.partitions:
        where = f"{p.dataset}/platform={p.platform}/snapshot_date={p.snapshot_date}"
        if p.skipped:
            sys.stdout.write(f"skipped    {where}: {p.skipped}\n")
        elif p.written is None:
            sys.stdout.write(f"would merge {where}: {p.files_before} files, {p.rows:,} rows\n")
        else:
            sys.stdout.write(
                f"merged     {where}: {p.files_before} files into {p.written.name}, "
                f"{p.rows:,} rows (sha256 of sorted row hashes {p.fingerprint[:12]}…)\n"
            )
    done, skipped = len(report.compacted), sum(1 for p in report.partitions if p.skipped)
    verb = "would be compacted (dry run)" if dry_run else "compacted"
    count = len(report.partitions) - skipped if dry_run else done
    sys.stderr.write(
        f"{store}: {count} partition(s) {verb}"
        + (f", {skipped} left as they are" if skipped else "")
        + ("" if report.partitions else "; nothing to compact")
        + "\n"
    )


@app.command("platforms")
def platforms_command(
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """What each platform lets the crawler see, how it is read, its access rules and spiders."""
    from olmstats.platforms import FIELDS, platforms

    check_output(output, fmt)
    spiders = _spiders_by_platform()
    rows = [
        {
            "platform": p.name,
            "name": p.display_name,
            "how": p.method,
            **{what: ("yes" if what in p.collects else "–") for what in FIELDS},
            "spiders": ", ".join(spiders.get(p.name, [])) or "–",
            "base URL setting": p.base_url_setting,
            "money": p.money,
            "access": p.access,
            "parser checked": p.parser_checked,
        }
        for p in platforms().values()
    ]
    details = [
        f"{p.display_name}: money — {p.money}; access — {p.access}; parser checked — "
        f"{p.parser_checked}; extras — "
        + (", ".join(f"{k} ({v})" for k, v in p.extras.items()) or "none")
        + "."
        for p in platforms().values()
    ]
    render_table(
        pl.DataFrame(rows),
        fmt,
        output,
        title="Platforms",
        notes=[
            *details,
            "Each platform is one folder, olmstats/platforms/<name>/; its base URL setting lets "
            "a replay or test server stand in for the site (olm crawl --base-url).",
        ],
        display=_platforms_display,
    )


def _platforms_display(table: pl.DataFrame) -> pl.DataFrame:
    from olmstats.platforms import FIELDS

    collects = pl.concat_str(
        [pl.when(pl.col(f) == "yes").then(pl.lit(f)) for f in FIELDS],
        separator=", ",
        ignore_nulls=True,
    )
    return table.select(
        "platform", "name", "how", collects.alias("collects"), "spiders", "base URL setting"
    )


def _spiders_by_platform() -> dict[str, list[str]]:
    """Spider names per platform, from Scrapy's spider loader (none without Scrapy)."""
    try:
        from scrapy.spiderloader import get_spider_loader

        from olmstats.cli.crawl import project_settings
    except ImportError:
        return {}
    loader = get_spider_loader(project_settings({}))
    found: dict[str, list[str]] = {}
    for name in sorted(loader.list()):
        found.setdefault(getattr(loader.load(name), "platform", ""), []).append(name)
    return found
