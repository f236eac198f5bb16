"""Reusable statistics as Polars expression factories (work in ``select``, ``agg`` and ``over``).

Quantiles use linear interpolation between order statistics (Hyndman & Fan type 7: R's
default, NumPy's ``linear``, DuckDB's ``quantile_cont``).

The median's confidence interval is distribution-free: the order statistics x(r) and x(s) with
r = n/2 - z·√n/2 and s = 1 + n/2 + z·√n/2 rounded to the nearest integers (1-based ranks;
Campbell & Gardner, BMJ 1988;296:1454-6, the normal approximation to the Binomial(n, 1/2)
ranks). It needs no assumption about the shape of the rate distribution; a test checks its
coverage on simulated data. Below 10 observations the cell is suppressed anyway.
"""

from __future__ import annotations

from statistics import NormalDist

import polars as pl

QUANTILE_METHOD = "linear"


def quantile(column: str, q: float) -> pl.Expr:
    """The *q* quantile of *column* (type 7), nulls ignored."""
    return pl.col(column).quantile(q, interpolation=QUANTILE_METHOD)


def _order_statistic(column: str, rank: pl.Expr, n: pl.Expr) -> pl.Expr:
    """x(rank), 1-based, among the non-null values of *column*; null when there are none.

    Sorts within the group: ``quantile`` cannot take a per-group probability (Polars evaluates
    an expression argument over the whole frame, not per group).
    """
    index = (rank.clip(1, n.clip(lower_bound=1)) - 1).cast(pl.Int64)
    return pl.col(column).drop_nulls().sort().get(index, null_on_oob=True)


def median_ci(column: str, level: float = 0.95) -> tuple[pl.Expr, pl.Expr]:
    """(low, high) bounds of the distribution-free confidence interval for the median."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    n = pl.col(column).count().cast(pl.Float64)
    half_width = z * n.sqrt() / 2
    low = _order_statistic(column, (n / 2 - half_width).round(), n)
    high = _order_statistic(column, (1 + n / 2 + half_width).round(), n)
    return low, high


def suppressed(value: pl.Expr, n: pl.Expr, min_count: int) -> pl.Expr:
    """*value* where the cell rests on at least *min_count* observations, null elsewhere."""
    return pl.when(n >= min_count).then(value).otherwise(None)


def share(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator > 0).then(numerator / denominator)
