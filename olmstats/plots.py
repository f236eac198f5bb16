"""Figures (matplotlib, drawn without a screen).

Every plot is written to exactly the path given, in the format its extension names
(:func:`check_plot_path` refuses a name without a format matplotlib can write, a folder, or a
folder that does not exist, before anything is computed).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from olmstats.errors import InputError, io_error_text
from olmstats.paths import check_output_path

MAX_LINES = 6


def plot_formats() -> list[str]:
    """File extensions matplotlib can write here (png, pdf, svg, ...)."""
    from matplotlib.backend_bases import FigureCanvasBase

    return sorted(FigureCanvasBase.get_supported_filetypes())


def check_plot_path(path: Path, option: str = "--plot") -> Path:
    """*path* if matplotlib can write its format (from the extension) and the folder exists."""
    check_output_path(path, option)
    extension = path.suffix.lower().lstrip(".")
    formats = plot_formats()
    if extension not in formats:
        what = f"format .{extension}" if extension else "no file extension"
        raise InputError(
            f"{option} {path} has {what}; end the name in one of: .{', .'.join(formats)}"
        )
    return path


def _save(
    figure: object, path: Path, caption: str, note: str | None, *, fontsize: float, margin: float
) -> Path:
    """Caption (and note) under the axes, tight layout, write *path*, free the figure."""
    import matplotlib.pyplot as plt

    figure.text(
        0.01, 0.005, caption + (f"\n{note}" if note else ""), fontsize=fontsize, va="bottom"
    )
    figure.tight_layout(rect=(0, margin, 1, 1))
    check_plot_path(path)
    try:
        figure.savefig(path, format=path.suffix.lower().lstrip("."))
    except OSError as exc:
        raise InputError(f"cannot write --plot {path}: {io_error_text(exc)}") from None
    finally:
        plt.close(figure)
    return path


def plot_rate_by_experience(
    quantiles: pl.DataFrame,
    path: Path,
    *,
    group: str,
    bands: list[str],
    title: str,
    note: str | None = None,
) -> Path:
    """Median asking rate per experience band, one line per group (the largest *MAX_LINES*),
    with the median's 95% interval as a band. *quantiles* is ``progression.rate_quantiles``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    shown = quantiles.drop_nulls("rate_median_usd")
    if shown.is_empty():
        raise InputError("nothing to plot: every cell is suppressed (too few profiles)")
    largest = (
        shown.group_by(group)
        .agg(pl.col("n_rates").sum())
        .sort("n_rates", descending=True)[group]
        .head(MAX_LINES)
        .to_list()
    )
    figure, axes = plt.subplots(figsize=(8, 5), dpi=120)
    position = {band: i for i, band in enumerate(bands)}
    for name in largest:
        rows = shown.filter(pl.col(group) == name).sort(
            pl.col("band").replace_strict(position, return_dtype=pl.Int64)
        )
        x = [position[b] for b in rows["band"]]
        (line,) = axes.plot(x, rows["rate_median_usd"], marker="o", label=f"{name}")
        axes.fill_between(
            x,
            rows["median_ci_low"],
            rows["median_ci_high"],
            alpha=0.2,
            color=line.get_color(),
            linewidth=0,
        )
    axes.set_xticks(range(len(bands)), bands)
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:g}"))
    axes.yaxis.set_minor_formatter(
        FuncFormatter(lambda v, _: f"${v:g}" if v in (2, 3, 5, 7, 15, 20, 30, 50, 70) else "")
    )
    axes.set_ylabel("median asking rate, US$/hour (log scale)")
    axes.set_xlabel("experience band")
    axes.set_title(title, fontsize=10)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(title=group, fontsize=8)
    return _save(
        figure,
        path,
        "Lines: medians; shaded: 95% distribution-free interval of the median.",
        note,
        fontsize=7,
        margin=0.06,
    )


INCOME_COLOURS = {
    "Low income": "#b2182b",
    "Lower middle income": "#ef8a62",
    "Upper middle income": "#67a9cf",
    "High income": "#2166ac",
}


def plot_ranked_index(
    table: pl.DataFrame,
    path: Path,
    *,
    index: str,
    title: str,
    label: str,
    note: str | None = None,
    limit: int = 40,
) -> Path:
    """Horizontal bars of *index* per country, highest first, with 95% interval whiskers,
    coloured by World Bank income group. *table* has country, income_group, index, _low, _high.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    shown = table.drop_nulls(index).sort(index, descending=True).head(limit)
    if shown.is_empty():
        raise InputError(f"nothing to plot: no country has a value for {index}")
    height = max(3.0, 0.22 * shown.height + 1.5)
    figure, axes = plt.subplots(figsize=(7.5, height), dpi=120)
    y = list(range(shown.height))[::-1]
    colours = [INCOME_COLOURS.get(g or "", "#999999") for g in shown["income_group"]]
    values = shown[index].to_numpy()
    low = values - shown[f"{index}_low"].fill_null(pl.Series(values)).to_numpy()
    high = shown[f"{index}_high"].fill_null(pl.Series(values)).to_numpy() - values
    axes.barh(
        y, values, color=colours, xerr=[low, high], error_kw={"elinewidth": 0.8, "capsize": 2}
    )
    axes.set_yticks(y, shown["country"].to_list(), fontsize=7)
    axes.set_xlabel(label)
    axes.set_title(title, fontsize=10)
    axes.grid(True, axis="x", alpha=0.3)
    present = [g for g in INCOME_COLOURS if g in set(shown["income_group"].to_list())]
    axes.legend(
        handles=[Patch(color=INCOME_COLOURS[g], label=g) for g in present],
        fontsize=7,
        loc="lower right",
    )
    return _save(
        figure,
        path,
        "Bars: point estimates; whiskers: 95% intervals.",
        note,
        fontsize=6.5,
        margin=0.04,
    )
