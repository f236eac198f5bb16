"""Rate dispersion: the Gini and quantile ratios by hand and against numpy, the between-country
variance share by hand and against statsmodels' one-way ANOVA, known-truth lognormal
populations, and the CLI."""

from __future__ import annotations

import io
import math
from statistics import NormalDist

import numpy as np
import polars as pl
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from olmstats import InputError, rate_dispersion
from olmstats.dispersion import gini
from olmstats.simulate import MarketParameters, simulate_rates
from tests.conftest import run_olm
from tests.extras_frames import from_simulated, profiles_frame


def direct_gini(values: np.ndarray) -> float:
    """Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n (n − 1) x̄): every ordered pair of distinct profiles."""
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * n * (n - 1) * x.mean()))


def test_gini_small_cases_by_hand():
    # 1, 2, 3, 4: |differences| of the 6 unordered pairs sum to 1+2+3+1+2+1 = 10, so 20 over
    # the 12 ordered pairs of distinct profiles; 20 / (2 · 4 · 3 · 2.5) = 1/3
    assert gini([1, 2, 3, 4]) == pytest.approx(1 / 3)
    # one of four asks everything: 2 · 3 · 10 = 60 over ordered pairs; 60 / (2 · 12 · 2.5) = 1
    assert gini([0, 0, 0, 10]) == pytest.approx(1.0)
    assert gini([5, 5, 5]) == pytest.approx(0.0)
    assert math.isnan(gini([])) and math.isnan(gini([4.0]))


def test_gini_equals_the_direct_pairwise_formula():
    rng = np.random.default_rng(3)
    for size in (2, 7, 50, 400):
        values = np.round(np.exp(rng.normal(2.0, 0.7, size)), 2)
        assert gini(values) == pytest.approx(direct_gini(values), rel=1e-12)


def test_group_statistics_equal_numpy_and_the_pairwise_gini():
    rng = np.random.default_rng(11)
    groups = {
        "IN": np.round(np.exp(rng.normal(2.2, 0.5, 300)), 2).tolist(),
        "US": np.round(np.exp(rng.normal(3.1, 0.6, 120)), 2).tolist(),
        "PK": np.round(np.exp(rng.normal(2.0, 0.4, 45)), 2).tolist(),
        "NP": [7.5, 8.0, 9.25],  # below min_count: suppressed, still in the pooled row
    }
    result = rate_dispersion(profiles_frame(groups), draws=200)
    rows = {r["country"]: r for r in result.groups.iter_rows(named=True)}
    for country in ("IN", "US", "PK"):
        values = np.asarray(groups[country])
        row = rows[country]
        assert row["profiles_with_rate"] == values.size
        for name, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
            assert row[name] == pytest.approx(np.quantile(values, q, method="linear"), rel=1e-12)
        assert row["p90_p10"] == pytest.approx(row["p90"] / row["p10"])
        assert row["gini"] == pytest.approx(direct_gini(values), rel=1e-10)
        assert row["gini_low"] < row["gini"] < row["gini_high"]
    assert rows["NP"]["gini"] is None and rows["NP"]["p90_p10"] is None
    assert rows["NP"]["profiles_with_rate"] == 3
    pooled = result.groups.filter(pl.col("level") == "pooled").row(0, named=True)
    everything = np.concatenate([np.asarray(v) for v in groups.values()])
    assert pooled["profiles_with_rate"] == everything.size
    assert pooled["gini"] == pytest.approx(direct_gini(everything), rel=1e-10)
    assert pooled["p90"] == pytest.approx(np.quantile(everything, 0.9), rel=1e-12)


def test_between_share_by_hand():
    # log rates 1, 3 (mean 2) and 5, 7 (mean 6), grand mean 4: SS_total = 9+1+1+9 = 20,
    # SS_between = 2·(2−4)² + 2·(6−4)² = 16, so η² = 0.8; MS_within = (20 − 16)/(4 − 2) = 2 and
    # ω² = (16 − 1·2)/(20 + 2) = 14/22
    frame = profiles_frame({"IN": [math.e**1, math.e**3], "US": [math.e**5, math.e**7]})
    between = rate_dispersion(frame, min_count=2, draws=100).between.row(0, named=True)
    assert between["groups"] == 2 and between["profiles_with_rate"] == 4
    assert between["between_share"] == pytest.approx(0.8)
    assert between["between_share_adjusted"] == pytest.approx(14 / 22)
    assert between["variance_log_rate"] == pytest.approx(20 / 4)
    assert between["between_variance"] == pytest.approx(16 / 4)


def test_between_share_equals_statsmodels_anova_and_r_squared():
    frame = from_simulated(simulate_rates(MarketParameters(seed=5, n_profiles=4000)))
    result = rate_dispersion(frame, min_count=10, draws=200)
    between = result.between.row(0, named=True)
    rated = frame.filter(pl.col("hourly_rate_usd") > 0)
    counts = rated.group_by("country").len()
    large = counts.filter(pl.col("len") >= 10)["country"]
    data = rated.filter(pl.col("country").is_in(large.to_list())).select(
        "country", log_rate=pl.col("hourly_rate_usd").log()
    )
    fit = smf.ols("log_rate ~ C(country)", data=data.to_pandas()).fit()
    table = anova_lm(fit)
    ss_between, ss_within = table["sum_sq"].iloc[0], table["sum_sq"].iloc[1]
    ms_within = table["mean_sq"].iloc[1]
    assert between["groups"] == large.len()
    assert between["profiles_with_rate"] == data.height
    assert between["between_share"] == pytest.approx(fit.rsquared, rel=1e-9)
    assert between["between_share"] == pytest.approx(ss_between / (ss_between + ss_within))
    omega = (ss_between - table["df"].iloc[0] * ms_within) / (ss_between + ss_within + ms_within)
    assert between["between_share_adjusted"] == pytest.approx(omega, rel=1e-9)
    low, high = between["between_share_low"], between["between_share_high"]
    assert low < between["between_share"] < high


def test_lognormal_truth_is_recovered_and_covered():
    """A lognormal with log-sd σ has Gini 2Φ(σ/√2) − 1 and p90/p10 exp(2 · 1.2816 σ). Over 300
    samples of 300 profiles the percentile intervals cover the truth about 94% of the time (seen:
    Gini 93.3%, p90/p10 95.3%; 600 samples of another seed: Gini 93.8%, as index resampling
    gives); the band is three binomial standard errors."""
    sigma = 0.6
    true_gini = 2 * NormalDist().cdf(sigma / math.sqrt(2)) - 1  # 0.3286
    true_ratio = math.exp(2 * NormalDist().inv_cdf(0.9) * sigma)  # 4.65
    rng = np.random.default_rng(99)
    covered = {"gini": 0, "p90_p10": 0}
    for rep in range(300):
        values = np.exp(rng.normal(2.3, sigma, 300)).tolist()
        row = rate_dispersion(profiles_frame({"IN": values}), draws=200, seed=rep).groups.row(
            1, named=True
        )
        covered["gini"] += row["gini_low"] <= true_gini <= row["gini_high"]
        covered["p90_p10"] += row["p90_p10_low"] <= true_ratio <= row["p90_p10_high"]
    assert 0.90 <= covered["gini"] / 300 <= 0.99
    assert 0.90 <= covered["p90_p10"] / 300 <= 0.99


def test_adjusted_between_share_recovers_a_known_population_share():
    """20 countries with true log-rate means μ_c and 20-200 profiles each, log-sd 0.6 within: the
    population share is Σ n_c (μ_c − μ̄)² / N ÷ (that + 0.36). Seen over these 150 samples: η²
    averages 0.293 (its interval covers 81%), ω² 0.287 (its interval covers 91%)."""
    codes = ["IN", "US", "PK", "BD", "PH", "GB", "NG", "KE", "EG", "UA"]
    codes += ["RS", "RU", "VN", "ID", "LK", "BR", "CA", "AU", "DE", "FR"]
    setup = np.random.default_rng(5)
    means, sizes = setup.normal(2.5, 0.4, 20), setup.integers(20, 200, 20)
    centre = (sizes * means).sum() / sizes.sum()
    between = (sizes * (means - centre) ** 2).sum() / sizes.sum()
    truth = between / (between + 0.6**2)
    assert truth == pytest.approx(0.2853, abs=5e-5)
    rng = np.random.default_rng(1)
    eta, omega, covered = [], [], 0
    for rep in range(150):
        groups = {
            c: np.exp(rng.normal(means[i], 0.6, sizes[i])).tolist() for i, c in enumerate(codes)
        }
        row = rate_dispersion(profiles_frame(groups), draws=200, seed=rep).between.row(
            0, named=True
        )
        eta.append(row["between_share"])
        omega.append(row["between_share_adjusted"])
        covered += row["between_share_adjusted_low"] <= truth <= row["between_share_adjusted_high"]
    assert np.mean(eta) > truth  # η² is biased upwards
    assert np.mean(omega) == pytest.approx(truth, abs=0.005)
    assert 0.89 <= covered / 150 <= 0.99


def test_zero_rates_other_groupings_and_mistakes():
    frame = profiles_frame({"IN": [0.0, 5.0, 6.0, 7.0], "US": [20.0, 25.0, 30.0]})
    result = rate_dispersion(frame, by="occupation", min_count=2, draws=100)
    assert result.groups["occupation"].to_list() == [None, "software_technology"]
    assert result.groups["profiles_with_rate"].to_list() == [6, 6]
    assert any("1 rates of zero left out" in note for note in result.notes)
    assert any("fewer than 2 occupation groups" in note for note in result.notes)
    with pytest.raises(InputError, match="by must be one of"):
        rate_dispersion(frame, by="city")
    with pytest.raises(InputError, match="min_count"):
        rate_dispersion(frame, min_count=0)
    with pytest.raises(InputError, match="no profile has a positive hourly rate"):
        rate_dispersion(profiles_frame({"IN": [None, 0.0]}))


def test_olm_dispersion_on_the_demo_store(demo_store):
    table = run_olm("dispersion", "--store", str(demo_store), "--draws", "200", check=True)
    assert "Gini (95% CI)" in table.stdout and "Between-country share" in table.stdout
    csv = run_olm(
        "dispersion", "--store", str(demo_store), "--view", "between", "-f", "csv", check=True
    )
    between = pl.read_csv(io.StringIO(csv.stdout))
    assert 0 < between["between_share"].item() < 1
    groups = run_olm(
        "dispersion", "--store", str(demo_store), "--by", "platform", "-f", "csv", check=True
    )
    assert "pooled" in pl.read_csv(io.StringIO(groups.stdout))["level"].to_list()
    bad = run_olm("dispersion", "--store", str(demo_store), "--by", "city")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
