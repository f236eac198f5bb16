"""The median's distribution-free interval at small n: simulated coverage equals the exact
binomial coverage of its ranks (the known truth), and is at least 95% where it claims to be."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from olmstats.order_statistics import grouped_order_statistics


def exact_coverage(n: int) -> float:
    """P(X_(l) < median < X_(h)) for the ranks the interval uses: #values below the true
    median is Binomial(n, 1/2), and the interval covers when l ≤ that count < h."""
    half = 1.959963984540054 * math.sqrt(n) / 2
    low = min(max(round(n / 2 - half), 1), n)
    high = min(max(round(1 + n / 2 + half), 1), n)
    return float(stats.binom.cdf(high - 1, n, 0.5) - stats.binom.cdf(low - 1, n, 0.5))


@pytest.mark.parametrize("n", [10, 15, 25, 50])
def test_order_statistic_interval_covers_as_its_ranks_say(n):
    rng = np.random.default_rng(n)
    replications = 4000
    true_median = math.exp(2.0)  # lognormal(2, 0.7): median e^2, skewed like asking rates
    sample = rng.lognormal(2.0, 0.7, size=(replications, n))
    frame = pl.DataFrame(
        {"rep": np.repeat(np.arange(replications), n).astype(str), "rate": sample.ravel()}
    )
    intervals = grouped_order_statistics(frame, "rep", "rate", (0.5,))
    covered = ((intervals["ci_low"] < true_median) & (true_median < intervals["ci_high"])).mean()
    exact = exact_coverage(n)
    mcse = math.sqrt(exact * (1 - exact) / replications)
    assert abs(covered - exact) < 4 * mcse  # the simulation agrees with the binomial truth
    assert exact >= 0.95  # and the ranks keep the 95% promise at every one of these n
