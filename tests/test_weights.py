"""Platform weights: hand-computed mixtures, numpy's weighted quantile, known truth, coverage."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import numpy as np
import polars as pl
import pytest

from olmstats import InputError
from olmstats.summary import country_summary
from olmstats.weights import check_weights, mixture_statistics, parse_weights
from tests.conftest import run_olm


def stats(values, strata, weights, **options):
    rng = np.random.default_rng(options.pop("seed", 1))
    return mixture_statistics(
        np.asarray(values, dtype=float), np.asarray(strata), weights, rng=rng, **options
    )


def test_a_mixture_by_hand():
    # A: 1 2 3 4 (each 1/8 of the mass with equal weights), B: 10 20 (each 1/4).
    # Cumulative: 1→.125 2→.25 3→.375 4→.5 10→.75 20→1: quartiles 2, 4, 10.
    values, strata = [1, 2, 3, 4, 10, 20], ["a"] * 4 + ["b"] * 2
    equal = stats(values, strata, {"a": 1, "b": 1})
    assert (equal["q0.25"], equal["q0.5"], equal["q0.75"]) == (2, 4, 10)
    # B weighted 3: A rows 1/16 each, B rows 3/8: 1→.0625 … 4→.25 10→.625 20→1: 4, 10, 20.
    tilted = stats(values, strata, {"a": 1, "b": 3})
    assert (tilted["q0.25"], tilted["q0.5"], tilted["q0.75"]) == (4, 10, 20)
    # weights are relative: ×10 changes nothing (the bootstrap draws the same numbers too)
    assert stats(values, strata, {"a": 10, "b": 30}) == tilted
    assert equal["n"] == 6


def test_agrees_with_numpys_weighted_inverted_cdf_quantile():
    rng = np.random.default_rng(5)
    values = np.round(np.concatenate([rng.lognormal(2, 0.6, 700), rng.lognormal(2.8, 0.5, 90)]), 2)
    strata = np.array(["big"] * 700 + ["small"] * 90)
    weights = {"big": 0.3, "small": 0.7}
    row_weight = np.where(strata == "big", 0.3 / 700, 0.7 / 90)
    mine = stats(values, strata, weights)
    for q in (0.25, 0.5, 0.75):
        theirs = np.quantile(values, q, weights=row_weight, method="inverted_cdf")
        assert mine[f"q{q:g}"] == pytest.approx(float(theirs))


def test_known_truth_and_the_difference_weights_make():
    """A ~ U(10, 20), 3,000 rows; B ~ U(30, 40), 1,000 rows. Weighted 1:3 the mixture's median is
    B's third quantile, 30 + 10/3; pooled by rows it is A's 2/3 quantile, 10 + 20/3."""
    rng = np.random.default_rng(11)
    values = np.concatenate([rng.uniform(10, 20, 3000), rng.uniform(30, 40, 1000)])
    strata = np.array(["a"] * 3000 + ["b"] * 1000)
    weighted = stats(values, strata, {"a": 1, "b": 3})
    assert weighted["ci_low"] < 30 + 10 / 3 < weighted["ci_high"]
    assert weighted["ci_high"] - weighted["ci_low"] < 1.0
    by_rows = stats(values, strata, {"a": 3000, "b": 1000})  # weights ∝ rows = counting rows
    assert by_rows["q0.5"] == pytest.approx(10 + 20 / 3, abs=0.3)


def test_the_stratified_bootstrap_covers_the_mixture_median():
    """400 samples of 60 + 25 rates (log-normal, in cents), weights 1:1: the 95% interval should
    hold the true mixture median about 95% of the time (binomial s.e. 1.1 points)."""
    rng = np.random.default_rng(2026)
    population = np.concatenate(
        [rng.lognormal(2, 0.5, 2_000_000), rng.lognormal(2.6, 0.4, 2_000_000)]
    )
    truth = float(np.median(population))  # equal sizes: the 1:1 mixture's median
    hits = 0
    for _ in range(400):
        values = np.round(
            np.concatenate([rng.lognormal(2, 0.5, 60), rng.lognormal(2.6, 0.4, 25)]), 2
        )
        strata = np.array(["a"] * 60 + ["b"] * 25)
        found = mixture_statistics(values, strata, {"a": 1, "b": 1}, rng=rng, draws=1000)
        hits += found["ci_low"] <= truth <= found["ci_high"]
    assert 0.91 <= hits / 400 <= 0.985


def profiles(rows: list[tuple[str, str, float, str]]) -> pl.LazyFrame:
    """(platform, country, rate, occupation) rows in the store's profile columns."""
    return pl.LazyFrame(
        {
            "platform": [r[0] for r in rows],
            "snapshot_date": [date(2026, 11, 23)] * len(rows),
            "profile_id": [f"{i:032x}" for i in range(len(rows))],
            "country": [r[1] for r in rows],
            "hourly_rate_usd": [r[2] for r in rows],
            "occupation": [r[3] for r in rows],
            "observed_at": [datetime(2026, 11, 23, tzinfo=UTC)] * len(rows),
            "run_id": ["run"] * len(rows),
        }
    )


def test_country_summary_with_weights_mixes_rates_and_shares_and_keeps_counts():
    # PK: 30 on freelancer at $5 (software), 10 on guru at $20 (writing).
    rows = [("freelancer", "PK", 5.0, "software_technology")] * 30
    rows += [("guru", "PK", 20.0, "writing_translation")] * 10
    frame = profiles(rows)
    counted = country_summary(frame).row(0, named=True)
    assert counted["rate_median_usd"] == 5.0
    assert counted["top_occupations"] == "Software & tech 75%, Writing 25%"
    mixed = country_summary(frame, platform_weights={"freelancer": 1, "guru": 3}).row(0, named=True)
    assert mixed["rate_median_usd"] == 20.0  # guru holds 3/4 of the mass
    assert mixed["top_occupations"] == "Writing 75%, Software & tech 25%"
    assert (mixed["profiles"], mixed["profiles_with_rate"]) == (40, 40)  # counts stay counts
    assert mixed["rate_median_ci_low"] == mixed["rate_median_ci_high"] == 20.0


def test_bad_weights_get_one_line():
    with pytest.raises(InputError, match="no weight for platform guru"):
        check_weights({"freelancer": 1}, ["freelancer", "guru"])
    with pytest.raises(InputError, match="must be positive and finite"):
        check_weights({"freelancer": 0}, ["freelancer"])
    with pytest.raises(InputError, match="unknown platform 'fiverr'"):
        check_weights({"fiverr": 1}, [])
    with pytest.raises(InputError, match="PLATFORM=WEIGHT"):
        parse_weights(["freelancer"])
    with pytest.raises(InputError, match="names guru twice"):
        parse_weights(["guru=1,guru=2"])
    assert parse_weights(["freelancer=0.6,guru=0.4"]) == {"freelancer": 0.6, "guru": 0.4}


@pytest.mark.slow
def test_olm_summary_weight_says_how_it_pooled(demo_store):
    platforms = ["freelancer", "guru", "peopleperhour", "upwork"]
    weights = [f"--weight={p}=1" for p in platforms]
    result = run_olm("summary", "--store", str(demo_store), *weights, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert "pooled as a weighted mixture" in result.stderr
    assert "2,000 draws, seed 20261201" in result.stderr
    assert "linear interpolation" not in result.stderr  # the unweighted definition is not shown
    counted = run_olm("summary", "--store", str(demo_store), "--format", "csv", check=True)
    assert "pooled by counting rows" in counted.stderr
    assert counted.stdout != result.stdout  # the weights moved some medians or shares
    both = run_olm("summary", "--store", str(demo_store), "--by", "platform", "-w", "guru=1")
    assert both.returncode == 2 and "it does not go with --by platform" in both.stderr
    missing = run_olm("summary", "--store", str(demo_store), "--weight", "freelancer=1")
    assert missing.returncode == 2 and "no weight for platform guru" in missing.stderr
    assert missing.stderr.count("\n") == 1


def test_earnings_and_the_full_table_take_the_same_weights(demo_store):
    weights = [f"--weight={p}=1" for p in ["freelancer", "guru", "peopleperhour", "upwork"]]
    store = ["--store", str(demo_store), "--format", "csv"]
    summary = pl.read_csv(io.StringIO(run_olm("summary", *store, *weights, check=True).stdout))
    earned = run_olm("earnings", *store, *weights, "--seed", "20261201", check=True)
    assert "Platforms weighted (freelancer 1, guru 1, peopleperhour 1, upwork 1" in earned.stderr
    joined = pl.read_csv(io.StringIO(earned.stdout)).join(summary, on="country")
    assert joined.height > 10
    # one median, one interval: the summary's weighted mixture and the earnings table agree
    for mine, theirs in [
        ("median_low", "rate_median_ci_low"),
        ("median_high", "rate_median_ci_high"),
    ]:
        both = joined.drop_nulls(mine)
        assert both[mine].to_list() == both[theirs].to_list()
    full = run_olm("summary", *store, "--full", *weights, check=True)
    assert "pooled as a weighted mixture" in full.stderr
    assert "tenure_pct_per_year (weighted least squares)" in full.stderr
    slopes = run_olm("progression", "--store", str(demo_store), *weights[:0], "-w", "guru=1")
    assert slopes.returncode == 2 and "no weight for platform" in slopes.stderr
    weighted = run_olm("progression", "--store", str(demo_store), *weights, check=True)
    assert "weighted least squares, each platform's profiles carrying its weight" in weighted.stdout
    table = pl.read_csv(io.StringIO(full.stdout)).join(summary, on="country", suffix="_s")
    assert table["rate_median_usd"].to_list() == table["rate_median_usd_s"].to_list()
