"""Relative-earnings indices: arithmetic by hand from the shipped reference files, missing
reference data, and recovery of true country effects on a simulated market."""

from __future__ import annotations

import math
import warnings
from datetime import UTC, date, datetime

import numpy as np
import polars as pl
import pytest

from olmstats import InputError, scan_profiles
from olmstats.earnings import relative_earnings
from olmstats.reference import ReferenceDataWarning
from olmstats.schema import PROFILES
from olmstats.simulate import MarketParameters, PanelParameters, simulate_panel, write_panel_store
from olmstats.store import write_frame
from tests.conftest import TEST_KEY
from tests.test_store import row

# Read off data/reference/wdi/*@2026-07-01.csv and ilo/*@2025-06-01.csv (Country Code, Year):
PAK = {
    "gdp": 1595.90912252837,  # NY.GDP.PCAP.CD PAK 2025
    "gdp_ppp": 6252.11543199559,  # NY.GDP.PCAP.PP.CD PAK 2024 (no 2025 row: fallback)
    "fx": 281.143001173202,
    "ppp": 67.8368115155746,  # PA.NUS.FCRF / PA.NUS.PPP PAK 2025
    "fx21": 162.906253747418,
    "ppp21": 43.4407234191895,  # the same, 2021
    "ilo": 565.942,
}  # ILO Pakistan, Total, National, 2021 (latest up to 2025)
NAM = {
    "gdp": 4875.92558158247,
    "gdp_ppp": 11686.6020661881,
    "fx": 17.8887333333333,
    "ppp": 7.27733758379859,
}


def store_with(tmp_path, groups: dict[str, list[float]]):
    rows, n = [], 0
    for country, rates in groups.items():
        for rate in rates:
            r = row(n, country)
            r.update(
                hourly_rate=rate,
                hourly_rate_usd=rate,
                observed_at=datetime(2025, 11, 23, tzinfo=UTC),
            )
            rows.append(r)
            n += 1
    write_frame(
        tmp_path,
        PROFILES,
        pl.DataFrame(rows),
        platform="freelancer",
        snapshot_date=date(2025, 11, 23),
        run_id="hand",
    )
    return tmp_path


def test_indices_equal_the_arithmetic_by_hand(tmp_path):
    store = store_with(
        tmp_path,
        {
            "PK": [float(r) for r in range(1, 12)],  # median 6
            "NA": [float(r) for r in range(2, 13)],  # median 7
            "IN": [float(r) for r in range(5, 16)],
        },
    )  # median 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReferenceDataWarning)
        result = relative_earnings(scan_profiles(store), year=2025, draws=50)
    rows = {r["country"]: r for r in result.countries.iter_rows(named=True)}
    pk, na = rows["PK"], rows["NA"]
    assert (pk["median_rate_usd"], na["median_rate_usd"]) == (6.0, 7.0)
    assert pk["nominal"] == pytest.approx(6 * 2000 / 1595.90912252837)  # = 7.5192
    assert pk["ppp"] == pytest.approx(
        6 * 281.143001173202 / 67.8368115155746 * 2000 / 6252.11543199559
    )  # = 7.9544
    assert pk["local"] == pytest.approx(
        6 * 2000 / 12 * 162.906253747418 / 43.4407234191895 / 565.942
    )  # = 6.6263
    assert pk["gdp_pc_ppp_year"] == 2024  # fallback recorded
    assert na["nominal"] == pytest.approx(7 * 2000 / NAM["gdp"])
    assert na["ppp"] == pytest.approx(7 * NAM["fx"] / NAM["ppp"] * 2000 / NAM["gdp_ppp"])
    platform_median = float(np.median(np.r_[1:12, 2:13, 5:16]))  # 7.0 over all 33 rates
    assert pk["platform"] == pytest.approx(100 * 6 / platform_median)
    # the median's order-statistic interval, n = 11: ranks round(5.5 ∓ 1.96·√11/2) = 2 and
    # round(6.5 + 3.25) = 10 of 1..11, i.e. $2 and $10; each index takes it times its constant
    assert (pk["median_low"], pk["median_high"]) == (2.0, 10.0)
    assert (pk["nominal_low"], pk["nominal_high"]) == pytest.approx(
        (2 * 2000 / PAK["gdp"], 10 * 2000 / PAK["gdp"])
    )
    assert pk["platform_low"] == pytest.approx(100 * 2 / platform_median)
    assert na["region"] == "Sub-Saharan Africa" and pk["income_group"] == "Lower middle income"
    assert result.countries["reference_year"].unique().to_list() == [2025]


@pytest.mark.filterwarnings("ignore::olmstats.reference.ReferenceDataWarning")
def test_missing_reference_data_is_named_and_left_empty(tmp_path):
    store = store_with(
        tmp_path, {"PK": [float(r) for r in range(1, 12)], "TW": [float(r) for r in range(10, 21)]}
    )  # Taiwan: no WDI
    with pytest.warns(ReferenceDataWarning, match=r"no NY.GDP.PCAP.CD for 2025.*TW"):
        result = relative_earnings(scan_profiles(store), year=2025, draws=50)
    tw = result.countries.filter(pl.col("country") == "TW").row(0, named=True)
    assert tw["nominal"] is None and tw["ppp"] is None  # not zero, not another country's
    assert tw["platform"] is not None and tw["median_rate_usd"] == 15.0
    assert any("TW" in note for note in result.notes)
    pk = result.countries.filter(pl.col("country") == "PK").row(0, named=True)
    assert pk["nominal"] == pytest.approx(6 * 2000 / PAK["gdp"])


@pytest.mark.filterwarnings("ignore::olmstats.reference.ReferenceDataWarning")
def test_a_currency_without_a_rate_leaves_only_the_ppp_index_empty(tmp_path):
    # Turkmenistan: GDP per capita 6540.17876401136 US$ in 2025, but WDI's official exchange
    # rate (PA.NUS.FCRF) stops in 2001, so its rates cannot be put into manat.
    store = store_with(tmp_path, {"TM": [float(r) for r in range(1, 12)]})
    with pytest.warns(ReferenceDataWarning, match=r"no PA.NUS.FCRF for 2025.*TM"):
        result = relative_earnings(scan_profiles(store), year=2025, draws=50)
    tm = result.countries.row(0, named=True)
    assert tm["ppp"] is None
    assert tm["nominal"] == pytest.approx(6 * 2000 / 6540.17876401136)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"year": 1950}, "outside the reference range"),
        ({"year": 2040}, "outside the reference range"),
        ({"hours": 0}, "hours must be a positive finite number"),
        ({"hours": float("nan")}, "hours must be a positive finite number"),
        ({"hours": float("inf")}, "hours must be a positive finite number"),
        ({"min_count": -1}, "min_count must be a whole number of at least 1"),
        ({"since": "2026-01-01"}, "since must be a datetime.date"),
        ({"draws": 5}, "draws must be a whole number of at least 20"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    store = store_with(tmp_path, {"PK": [float(r) for r in range(1, 12)]})
    with pytest.raises(InputError, match=message):
        relative_earnings(scan_profiles(store), **{"draws": 50, **kwargs})


def test_small_cells_are_suppressed(tmp_path):
    store = store_with(tmp_path, {"PK": [float(r) for r in range(1, 12)], "NA": [5.0, 6.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReferenceDataWarning)
        result = relative_earnings(scan_profiles(store), year=2025, draws=50)
    na = result.countries.filter(pl.col("country") == "NA").row(0, named=True)
    assert na["profiles_with_rate"] == 2
    assert na["median_rate_usd"] is None and na["nominal"] is None and na["adj_ppp"] is None


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    store = tmp_path_factory.mktemp("earnings")
    panel = simulate_panel(MarketParameters(seed=21, n_profiles=40_000), PanelParameters(waves=1))
    write_panel_store(panel, store, key=TEST_KEY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReferenceDataWarning)
        result = relative_earnings(scan_profiles(store), min_count=30)
    return panel, result


def test_adjusted_index_recovers_true_country_effects(simulated):
    panel, result = simulated
    effects = {c.iso2: c.rate_effect for c in panel.market.countries}
    table = result.countries.drop_nulls("adj_platform")
    weights = table["profiles_with_rate"].to_numpy().astype(float)
    truth = np.array([effects[c] for c in table["country"]])
    weights_all = result.countries["profiles_with_rate"].to_numpy().astype(float)
    truth_all = np.array([effects[c] for c in result.countries["country"]])
    centre = float(weights_all @ truth_all / weights_all.sum())
    expected = 100 * np.exp(truth - centre)
    inside = (table["adj_platform_low"].to_numpy() <= expected) & (
        expected <= table["adj_platform_high"].to_numpy()
    )
    assert table.height >= 40 and inside.mean() >= 0.9
    assert weights.sum() > 0


def test_aggregates_are_profile_weighted_means(simulated):
    _, result = simulated
    countries = result.countries.drop_nulls("nominal")
    south_asia = countries.filter(pl.col("region") == "South Asia")
    w = south_asia["profiles_with_rate"].to_numpy().astype(float)
    expected = float(w @ south_asia["nominal"].to_numpy() / w.sum())
    region = result.regions.filter(pl.col("region") == "South Asia").row(0, named=True)
    assert region["nominal"] == pytest.approx(expected)
    assert region["nominal_low"] < region["nominal"] < region["nominal_high"]
    assert region["nominal_countries"] == south_asia.height
    assert math.isclose(
        result.income_groups["profiles_with_rate"].sum()
        + result.countries.filter(pl.col("income_group").is_null())["profiles_with_rate"].sum(),
        result.countries["profiles_with_rate"].sum(),
    )


def test_one_median_one_interval_in_the_summary_and_the_indices(tmp_path):
    from olmstats.summary import country_summary

    rng = np.random.default_rng(8)
    store = store_with(
        tmp_path,
        {
            "PK": np.round(rng.lognormal(2.0, 0.6, 37), 2).tolist(),
            "IN": np.round(rng.lognormal(2.2, 0.5, 120), 2).tolist(),
            "KE": np.round(rng.lognormal(1.9, 0.7, 14), 2).tolist(),
        },
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReferenceDataWarning)
        earned = relative_earnings(scan_profiles(store), year=2025).countries
    summary = country_summary(scan_profiles(store))
    joined = earned.join(summary, on="country")
    assert joined.height == 3
    for mine, theirs in [
        ("median_rate_usd", "rate_median_usd"),
        ("median_low", "rate_median_ci_low"),
        ("median_high", "rate_median_ci_high"),
    ]:
        assert np.allclose(joined[mine], joined[theirs], rtol=1e-12, atol=1e-9), mine
    for name in ("nominal", "ppp", "local", "platform"):
        ratio = joined[name] / joined["median_rate_usd"]
        assert np.allclose(joined[f"{name}_low"], joined["median_low"] * ratio, equal_nan=True)
        assert np.allclose(joined[f"{name}_high"], joined["median_high"] * ratio, equal_nan=True)
