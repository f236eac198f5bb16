"""The hiring margin: Wilson intervals and Welch differences by hand and against statsmodels and
SciPy, suppression, platforms that hide reviews, known truth, and the CLI."""

from __future__ import annotations

import io
import math

import numpy as np
import polars as pl
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from olmstats import InputError, hiring_margin
from olmstats.hiring import welch_difference, wilson_interval
from tests.conftest import run_olm
from tests.extras_frames import profiles_frame


def test_wilson_interval_by_hand_and_against_statsmodels():
    # 8 of 10, z = 1.96: centre (0.8 + 1.96²/20) / (1 + 1.96²/10) = 0.99208/1.38416 = 0.71674,
    # half-width 1.96/1.38416 · √(0.016 + 0.009604) = 0.22658 → [0.49016, 0.94332]
    low, high = wilson_interval(8, 10)
    assert (low, high) == pytest.approx((0.49016, 0.94333), abs=5e-5)
    for successes, n in ((0, 12), (3, 40), (97, 100), (250, 1000)):
        assert wilson_interval(successes, n) == pytest.approx(
            proportion_confint(successes, n, alpha=0.05, method="wilson"), rel=1e-9
        )


def test_welch_difference_equals_scipy():
    rng = np.random.default_rng(4)
    a, b = rng.normal(2.4, 0.5, 37), rng.normal(2.1, 0.8, 61)
    gap, se, df, low, high = welch_difference(
        a.mean(), a.var(ddof=1), a.size, b.mean(), b.var(ddof=1), b.size
    )
    test = stats.ttest_ind(a, b, equal_var=False)
    interval = test.confidence_interval(0.95)
    assert gap == pytest.approx(a.mean() - b.mean())
    assert (low, high) == pytest.approx((interval.low, interval.high), rel=1e-10)
    assert df == pytest.approx(test.df, rel=1e-10)
    assert gap / se == pytest.approx(test.statistic, rel=1e-10)


def test_a_country_by_hand():
    # Pakistan: 12 profiles, 6 reviewed (rates 8, 10, 12, 8, 10, 12), 6 not (4, 5, 6, 4, 5, 6)
    reviewed, unreviewed = [8.0, 10.0, 12.0] * 2, [4.0, 5.0, 6.0] * 2
    frame = profiles_frame(
        {"PK": reviewed + unreviewed}, reviews={"PK": [3, 1, 7, 2, 9, 1] + [0] * 6}
    )
    row = (
        hiring_margin(frame, min_count=6).table.filter(pl.col("country") == "PK").row(0, named=True)
    )
    assert (row["profiles"], row["reviewed"], row["share_reviewed"]) == (12, 6, 0.5)
    assert (row["share_low"], row["share_high"]) == pytest.approx(wilson_interval(6, 12))
    assert (row["n_reviewed"], row["n_unreviewed"]) == (6, 6)
    assert (row["median_rate_reviewed"], row["median_rate_unreviewed"]) == (10.0, 5.0)
    # mean log rates: (ln 8 + ln 10 + ln 12)/3 − (ln 4 + ln 5 + ln 6)/3 = ln 2 exactly
    assert row["log_rate_gap"] == pytest.approx(math.log(2))
    assert row["rate_gap_percent"] == pytest.approx(100.0)
    var = np.var(np.log([8, 10, 12] * 2), ddof=1)  # the same spread on both sides
    assert row["log_rate_gap_se"] == pytest.approx(math.sqrt(2 * var / 6))
    t = stats.t.ppf(0.975, 10)  # equal variances and sizes: Welch's df = 2(n − 1) = 10
    assert row["log_rate_gap_low"] == pytest.approx(math.log(2) - t * math.sqrt(2 * var / 6))
    assert row["rate_gap_percent_high"] == pytest.approx(100 * math.expm1(row["log_rate_gap_high"]))


def test_small_cells_suppressed_and_hidden_reviews_named():
    frame = pl.concat(
        [
            # India: 12 profiles showing reviews, but only 4 unreviewed with a rate
            profiles_frame(
                {"IN": [10.0] * 8 + [6.0, 7.0, 8.0, None]},
                reviews={"IN": [2] * 8 + [0] * 4},
            ),
            # Nepal: 4 profiles - no cell is shown
            profiles_frame({"NP": [5.0] * 4}, reviews={"NP": [1, 0, 1, 0]}, start=100),
            # a platform that shows no review counts
            profiles_frame(
                {"IN": [9.0] * 3}, platform="guru", reviews={"IN": [None] * 3}, start=200
            ),
        ]
    )
    result = hiring_margin(frame, min_count=5)
    rows = {r["country"]: r for r in result.table.iter_rows(named=True)}
    india, nepal = rows["IN"], rows["NP"]
    assert (india["profiles"], india["share_reviewed"]) == (12, 8 / 12)
    assert india["n_unreviewed"] == 3 and india["log_rate_gap"] is None
    assert india["median_rate_unreviewed"] is None and india["median_rate_reviewed"] == 10.0
    assert nepal["share_reviewed"] is None and nepal["reviewed"] is None
    assert nepal["profiles"] == 4
    pooled = result.table.filter(pl.col("level") == "pooled").row(0, named=True)
    assert pooled["profiles"] == 16  # the guru rows are not counted anywhere
    assert any(
        "review counts not shown by the platform: Guru 3 profiles" in n for n in result.notes
    )


def test_known_share_and_gap_are_covered():
    """200 samples of 300 profiles: a true share of 0.3 reviewed, and reviewed profiles' log rates
    0.25 higher on average (log-sd 0.5 and 0.7). Seen: the share's interval covers 94.5%, the
    gap's 93%."""
    rng = np.random.default_rng(17)
    covered_share = covered_gap = 0
    for _ in range(200):
        reviewed = rng.random(300) < 0.3
        log_rate = np.where(reviewed, rng.normal(2.25, 0.5, 300), rng.normal(2.0, 0.7, 300))
        frame = profiles_frame(
            {"IN": np.exp(log_rate).tolist()}, reviews={"IN": reviewed.astype(int).tolist()}
        )
        row = hiring_margin(frame).table.row(1, named=True)
        covered_share += row["share_low"] <= 0.3 <= row["share_high"]
        covered_gap += row["log_rate_gap_low"] <= 0.25 <= row["log_rate_gap_high"]
    assert 0.90 <= covered_share / 200 <= 0.99
    assert 0.90 <= covered_gap / 200 <= 0.99


def test_mistakes_are_one_line_input_errors():
    frame = profiles_frame({"IN": [5.0, 6.0]})
    with pytest.raises(InputError, match="by must be one of"):
        hiring_margin(frame, by="city")
    with pytest.raises(InputError, match="lacks column"):
        hiring_margin(frame.drop("reviews"))
    with pytest.raises(InputError, match="no profile shows its reviews"):
        hiring_margin(frame.with_columns(reviews=pl.lit(None, pl.Int64)))


def test_olm_hiring_on_the_demo_store(demo_store):
    table = run_olm("hiring", "--store", str(demo_store), check=True)
    assert "reviewed (95% CI)" in table.stdout and "rate gap (95% CI)" in table.stdout
    csv = run_olm("hiring", "--store", str(demo_store), "--by", "platform", "-f", "csv", check=True)
    frame = pl.read_csv(io.StringIO(csv.stdout))
    assert frame["level"].to_list()[0] == "pooled"
    assert "guru" not in frame["platform"].to_list()  # Guru shows no review counts
    assert "note: Left out, review counts not shown by the platform: Guru" in csv.stderr
    bad = run_olm("hiring", "--store", str(demo_store), "--since", "yesterday")
    assert bad.returncode == 2
    assert (
        bad.stderr.strip() == "olm: error: --since must be a date like 2026-11-01, got 'yesterday'"
    )
