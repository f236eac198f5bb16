"""Write a result table as a terminal table, CSV, Markdown, JSON or Parquet."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from enum import StrEnum
from html import escape as html_escape
from pathlib import Path

import polars as pl

from olmstats.cli.display import money
from olmstats.errors import InputError, io_error_text


class Format(StrEnum):
    table = "table"
    csv = "csv"
    markdown = "markdown"
    json = "json"
    latex = "latex"
    html = "html"
    parquet = "parquet"


def _display_frame(table: pl.DataFrame) -> pl.DataFrame:
    """Strings for people: rates in $ with cents, CI in brackets, suppressed cells as '–'."""
    single_snapshot = (
        table["snapshot_first"].n_unique() == 1
        and (table["snapshot_first"] == table["snapshot_last"]).all()
    )
    rows = []
    for r in table.iter_rows(named=True):
        row = {
            "country": r["country"],
            "name": r["country_name"] or "",
            "profiles": r["profiles"],
            "with rate": r["profiles_with_rate"],
            "p25": money(r["rate_p25_usd"]),
            "median": money(r["rate_median_usd"]),
            "p75": money(r["rate_p75_usd"]),
            "median 95% CI": "–"
            if r["rate_median_ci_low"] is None
            else f"{r['rate_median_ci_low']:,.2f}–{r['rate_median_ci_high']:,.2f}",
            "open projects": r["open_projects"],
            "top occupations": r["top_occupations"] or "–",
        }
        if not single_snapshot:
            first, last = r["snapshot_first"], r["snapshot_last"]
            row["snapshots"] = (
                "–" if first is None else (str(first) if first == last else f"{first}..{last}")
            )
        rows.append(row)
    return pl.DataFrame(rows)


def snapshot_caption(table: pl.DataFrame) -> str:
    first, last = table["snapshot_first"].min(), table["snapshot_last"].max()
    if first is None:
        return "no profiles"
    return f"snapshot {first}" if first == last else f"snapshots {first} to {last}"


def render_summary(
    table: pl.DataFrame, fmt: Format, output: Path | None, *, title: str, notes: list[str]
) -> None:
    """The country summary in *fmt* (people's formats get money, CI and '–' for suppressed)."""
    render_table(
        table,
        fmt,
        output,
        title=f"{title} ({snapshot_caption(table)})",
        notes=notes,
        display=_display_frame,
        numeric={"profiles", "with rate", "p25", "median", "p75", "open projects"},
    )


def render_table(
    table: pl.DataFrame,
    fmt: Format,
    output: Path | None,
    *,
    title: str,
    notes: list[str],
    display: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
    numeric: set[str] | None = None,
) -> None:
    """Write *table* in *fmt* to *output* (stdout when None).

    *display* turns the table into strings for people (terminal and Markdown); CSV, JSON and
    Parquet get the table itself. Notes (definitions, simulated-data warnings) go under the
    terminal and Markdown tables; with CSV, JSON and Parquet they go to stderr, so that the
    data stays machine-readable.
    """
    if fmt is Format.parquet and output is None:
        raise InputError("--format parquet needs --output FILE")
    machine = fmt in (Format.csv, Format.json, Format.parquet)
    shown = display(table) if display else table
    if fmt is Format.parquet:
        buffer = io.BytesIO()  # a table, not a store: built in memory, written by Python, so a
        table.write_parquet(buffer)  # full disk is reported as such
        _write(output, lambda: output.write_bytes(buffer.getvalue()))
        _notes_to_stderr(notes)
        return
    if fmt is Format.csv:
        text = table.write_csv()
    elif fmt is Format.json:
        text = table.write_json() + "\n"
    elif fmt in (Format.latex, Format.html):
        text = _publication_table(shown, fmt, title, notes)
    elif fmt is Format.markdown:
        with pl.Config(
            tbl_formatting="MARKDOWN",
            tbl_hide_column_data_types=True,
            tbl_hide_dataframe_shape=True,
            tbl_rows=-1,
            tbl_cols=-1,
            tbl_width_chars=10_000,
            fmt_str_lengths=200,
        ):
            text = f"**{title}**\n\n{shown}\n\n" + "".join(f"- {note}\n" for note in notes)
    else:
        text = _rich_table(shown, title, notes, numeric or set())
    if output is None:
        sys.stdout.write(text)
    else:
        _write(output, lambda: output.write_text(text, encoding="utf-8"))
    if machine:
        _notes_to_stderr(notes)


def _notes_to_stderr(notes: list[str]) -> None:
    """Notes of machine formats go to stderr (after the data, so an error is the last line)."""
    for note in notes:
        sys.stderr.write(f"note: {note}\n")


def _write(output: Path, write: Callable[[], object]) -> None:
    """Run *write*; a file-system failure is one line naming --output and the reason."""
    try:
        write()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"cannot write --output {output}: {io_error_text(exc)}") from None


def _publication_table(shown: pl.DataFrame, fmt: Format, title: str, notes: list[str]) -> str:
    """LaTeX or a standalone HTML page through great_tables, notes as source notes."""
    from great_tables import GT

    table = GT(shown).tab_header(title=title).sub_missing(missing_text="–")
    for note in notes:
        table = table.tab_source_note(note)
    if fmt is Format.latex:
        return table.as_latex() + "\n"
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
        + html_escape(title)
        + "</title></head><body>\n"
        + table.as_raw_html()
        + "\n</body></html>\n"
    )


def _rich_table(shown: pl.DataFrame, title: str, notes: list[str], numeric: set[str]) -> str:
    from rich.console import Console
    from rich.table import Table

    rich_table = Table(title=title, title_justify="left", header_style="bold")
    for name in shown.columns:
        rich_table.add_column(name, justify="right" if name in numeric else "left")
    for row in shown.iter_rows():
        rich_table.add_row(*("" if v is None else str(v) for v in row))
    buffer = io.StringIO()
    console = Console(file=buffer, width=max(180, Console().width), force_terminal=False)
    console.print(rich_table)
    for note in notes:
        console.print(note, style="dim", soft_wrap=True)
    return buffer.getvalue()


def working_status(fmt: Format, message: str):
    """A spinner on stderr for the terminal table; nothing for machine formats."""
    import contextlib

    if fmt is not Format.table or not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)
