"""Figures (matplotlib, drawn without a screen)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

MAX_LINES = 6


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
        from olmstats.errors import InputError

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
    caption = "Lines: medians; shaded: 95% distribution-free interval of the median."
    if note:
        caption += f"\n{note}"
    figure.text(0.01, 0.01, caption, fontsize=7, va="bottom")
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    figure.savefig(path)
    plt.close(figure)
    return path
