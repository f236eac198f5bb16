"""The fast grouped order statistics equal Polars' own quantiles and the order-statistic CI."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from olmstats.metrics import median_ci, quantile
from olmstats.order_statistics import grouped_order_statistics


@pytest.fixture
def data() -> pl.DataFrame:
    rng = np.random.default_rng(11)
    n = 50_000
    values = np.where(rng.random(n) < 0.1, np.nan, np.round(rng.lognormal(2, 1, n), 2))
    frame = pl.DataFrame({"g": rng.integers(0, 40, n).astype(str), "x": values})
    frame = frame.with_columns(pl.col("x").fill_nan(None))
    only_nulls = pl.DataFrame({"g": ["empty"] * 3, "x": [None, None, None]}, schema=frame.schema)
    return pl.concat([frame, only_nulls])


def reference(frame: pl.DataFrame) -> pl.DataFrame:
    low, high = median_ci("x")
    return (
        frame.group_by("g")
        .agg(
            rows=pl.len().cast(pl.Int64),
            n=pl.col("x").count().cast(pl.Int64),
            **{
                "q0.25": quantile("x", 0.25),
                "q0.5": quantile("x", 0.5),
                "q0.75": quantile("x", 0.75),
            },
            ci_low=low,
            ci_high=high,
        )
        .sort("g")
    )


def test_equals_polars_quantiles_and_ci(data):
    ours = grouped_order_statistics(data, "g", "x").sort("g")
    assert ours.equals(reference(data))
    empty = ours.filter(pl.col("g") == "empty").row(0, named=True)
    assert (empty["rows"], empty["n"], empty["q0.5"], empty["ci_low"]) == (3, 0, None, None)


def test_lazy_input_known_keys_and_fallback(data):
    lazy = grouped_order_statistics(
        data.lazy(), "g", "x", keys=sorted(set(data["g"]) | {"unused"})
    ).sort("g")
    assert lazy.equals(reference(data))  # keys with no rows are simply absent
    numeric = data.with_columns(pl.col("g").cast(pl.Categorical).to_physical())
    fallback = grouped_order_statistics(numeric, "g", "x", ci_level=None).sort("g")
    assert fallback["n"].sum() == data["x"].count()
    assert "ci_low" not in fallback.columns


def test_values_that_are_not_whole_cents_take_the_sorting_path(data):
    """Converted amounts (rate × exchange rate) have more decimals: no counting sort."""
    converted = data.with_columns(pl.col("x") * 0.013576)
    ours = grouped_order_statistics(converted, "g", "x").sort("g")
    assert ours.equals(reference(converted))


def test_negative_or_huge_values_fall_back_safely():
    frame = pl.DataFrame({"g": ["a"] * 4 + ["b"] * 3, "x": [-1.0, 2.0, 3.0, 4.0, 1e9, 1.0, 2.0]})
    assert grouped_order_statistics(frame, "g", "x").sort("g").equals(reference(frame))


@pytest.mark.parametrize("n", [1, 2, 10, 11, 57, 400])
def test_counted_median_interval_equals_the_expanded_sample(n):
    from olmstats.order_statistics import counted_median_interval

    rng = np.random.default_rng(n)
    sample = rng.choice([5.0, 7.5, 10.0, 12.0, 15.0, 20.0, 33.3], size=n)
    values, counts = np.unique(sample, return_counts=True)
    shuffled = rng.permutation(values.size)
    got = counted_median_interval(values[shuffled], counts[shuffled])
    frame = pl.DataFrame({"g": ["a"] * n, "v": sample})
    expected = grouped_order_statistics(frame, "g", "v", (0.5,)).row(0, named=True)
    assert got == (n, expected["q0.5"], expected["ci_low"], expected["ci_high"])
    assert got[1] == pytest.approx(float(np.median(sample)))
