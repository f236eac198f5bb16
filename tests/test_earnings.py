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

# Read off data/reference/wdi/*@2026-07-01.csv, wdi-api/*@2025-10-07.csv and
# ilo/*@2025-06-01.csv (Country Code, Year) by hand:
PAK = {
    "gdp": 1479.47755241191,  # NY.GDP.PCAP.CD PAK 2024
    "fx": 278.580716167563,  # PA.NUS.FCRF PAK 2024
    "prvt": 64.8609944467674,  # PA.NUS.PRVT.PP PAK 2024
    "cpi": 386.80385651478,  # FP.CPI.TOTL PAK 2024
    "ilo": 565.942,  # ILO Pakistan, Total, National, 2021 (latest up to 2024), "2021 PPP $"
    "prvt_ilo": 42.5276718139648,  # PA.NUS.PRVT.PP PAK 2021
    "cpi_ilo": 219.078900139702,  # FP.CPI.TOTL PAK 2021
}
NGA = {
    "fx": 1478.96519740023,  # 2024
    "cpi": 699.394913321455,  # 2024
    "ilo": 343.656,  # ILO Nigeria 2019 (its only year; "Break in series")
    "prvt_ilo": 132.436874389648,  # 2019
    "cpi_ilo": 267.505546743183,  # 2019
    "fx_2019": 306.920951495222,
}
NAM = {
    "gdp": 4501.84849548225,  # 2024
    "fx": 18.3286583333333,  # 2024
    "prvt": 7.32124357189595,  # 2024
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
        result = relative_earnings(scan_profiles(store), draws=50)
    # snapshot 2025, but the CPI and PA.NUS.PRVT.PP end in 2024: one reference year, 2024
    assert result.year == 2024
    assert result.countries["reference_year"].unique().to_list() == [2024]
    rows = {r["country"]: r for r in result.countries.iter_rows(named=True)}
    pk, na = rows["PK"], rows["NA"]
    assert (pk["median_rate_usd"], na["median_rate_usd"]) == (6.0, 7.0)
    assert pk["nominal"] == pytest.approx(6 * 2000 / PAK["gdp"])  # = 8.1110
    # the rate in international $ an hour: 6 US$ × 278.58 PKR/US$ ÷ 64.861 PKR/intl $ = 25.77
    assert pk["intl_rate"] == pytest.approx(6 * PAK["fx"] / PAK["prvt"])
    assert pk["intl_rate"] == pytest.approx(25.770, abs=5e-4)
    assert na["intl_rate"] == pytest.approx(7 * NAM["fx"] / NAM["prvt"])  # = 17.524
    # local: PKR 6·2000/12·278.58 a month against the ILO 2021 mean in PKR of 2021
    # (565.942 × 42.528) moved to 2024 prices (× 386.80 / 219.08)
    earnings_2024_pkr = PAK["ilo"] * PAK["prvt_ilo"] * PAK["cpi"] / PAK["cpi_ilo"]
    assert earnings_2024_pkr == pytest.approx(42_494.6, abs=0.5)
    assert pk["local"] == pytest.approx(6 * 2000 / 12 * PAK["fx"] / earnings_2024_pkr)  # 6.556
    assert (pk["local_year"], pk["ilo_year"]) == (2024, 2021)  # both years shown
    assert pk["ilo_monthly_lcu"] == pytest.approx(earnings_2024_pkr)
    assert na["nominal"] == pytest.approx(7 * 2000 / NAM["gdp"])
    platform_median = float(np.median(np.r_[1:12, 2:13, 5:16]))  # 7.0 over all 33 rates
    assert pk["platform"] == pytest.approx(100 * 6 / platform_median)
    # the median's order-statistic interval, n = 11: ranks round(5.5 ∓ 1.96·√11/2) = 2 and
    # round(6.5 + 3.25) = 10 of 1..11, i.e. $2 and $10; each index takes it times its constant
    assert (pk["median_low"], pk["median_high"]) == (2.0, 10.0)
    assert (pk["nominal_low"], pk["nominal_high"]) == pytest.approx(
        (2 * 2000 / PAK["gdp"], 10 * 2000 / PAK["gdp"])
    )
    assert (pk["local_low"], pk["local_high"]) == pytest.approx(
        (pk["local"] * 2 / 6, pk["local"] * 10 / 6)
    )
    assert pk["platform_low"] == pytest.approx(100 * 2 / platform_median)
    assert na["region"] == "Sub-Saharan Africa" and pk["income_group"] == "Lower middle income"


@pytest.mark.filterwarnings("ignore::olmstats.reference.ReferenceDataWarning")
def test_nigeria_local_index_same_year_and_moved_to_the_reference_year(tmp_path):
    # The review's case: a Nigerian median of $7.12. Same-year comparison at ILO's only year
    # (2019) ≈ 8.0; moved to 2024 with the CPI and the 2024 exchange rate ≈ 14.7 (after the
    # naira's 2023-24 devaluation the dollar buys far more naira than prices rose).
    store = store_with(tmp_path, {"NG": [5.0, 6.0, 6.5, 7.0, 7.1, 7.12, 7.2, 8.0, 9.0, 9.5, 10.0]})
    ng_2024 = relative_earnings(scan_profiles(store), year=2024, draws=50).countries.row(
        0, named=True
    )
    earnings_2024_ngn = NGA["ilo"] * NGA["prvt_ilo"] * NGA["cpi"] / NGA["cpi_ilo"]
    assert ng_2024["local"] == pytest.approx(7.12 * 2000 / 12 * NGA["fx"] / earnings_2024_ngn)
    assert ng_2024["local"] == pytest.approx(14.75, abs=0.01)
    assert (ng_2024["local_year"], ng_2024["ilo_year"], ng_2024["ilo_flag"]) == (
        2024,
        2019,
        "Break in series",
    )
    ng_2019 = relative_earnings(scan_profiles(store), year=2019, draws=50).countries.row(
        0, named=True
    )
    same_year = 7.12 * 2000 / 12 * NGA["fx_2019"] / (NGA["ilo"] * NGA["prvt_ilo"])
    assert ng_2019["local"] == pytest.approx(same_year)
    assert ng_2019["local"] == pytest.approx(8.01, abs=0.01)
    assert ng_2019["local_year"] == ng_2019["ilo_year"] == 2019


@pytest.mark.filterwarnings("ignore::olmstats.reference.ReferenceDataWarning")
def test_every_index_takes_its_series_from_one_year(tmp_path):
    # Nepal has an official exchange rate for 2024 (133.726644315443 NPR/US$) but no
    # PA.NUS.PRVT.PP for 2024: the rate in international $ takes *both* series from 2023
    # (132.115460088756 NPR/US$, 34.6941217670816 NPR/intl $), never the 2024 exchange rate
    # with the 2023 PPP factor (which would give 6 × 133.73 / 34.69 = 23.13, not 22.85).
    store = store_with(tmp_path, {"NP": [float(r) for r in range(1, 12)]})
    with pytest.warns(ReferenceDataWarning, match=r"PA.NUS.FCRF and PA.NUS.PRVT.PP .*NP \(2023\)"):
        result = relative_earnings(scan_profiles(store), year=2024, draws=50)
    np_row = result.countries.row(0, named=True)
    assert np_row["intl_rate_year"] == 2023 and np_row["nominal_year"] == 2024
    assert np_row["intl_rate"] == pytest.approx(6 * 132.115460088756 / 34.6941217670816)
    assert np_row["intl_rate"] == pytest.approx(22.848, abs=5e-4)
    assert any("NP (2023)" in note for note in result.notes)


@pytest.mark.filterwarnings("ignore::olmstats.reference.ReferenceDataWarning")
def test_missing_reference_data_is_named_and_left_empty(tmp_path):
    store = store_with(
        tmp_path, {"PK": [float(r) for r in range(1, 12)], "TW": [float(r) for r in range(10, 21)]}
    )  # Taiwan: no WDI
    with pytest.warns(ReferenceDataWarning, match=r"no NY.GDP.PCAP.CD for 2024.*TW"):
        result = relative_earnings(scan_profiles(store), year=2024, draws=50)
    tw = result.countries.filter(pl.col("country") == "TW").row(0, named=True)
    assert tw["nominal"] is None and tw["intl_rate"] is None  # not zero, not another country's
    assert tw["platform"] is not None and tw["median_rate_usd"] == 15.0
    assert any("TW" in note for note in result.notes)
    pk = result.countries.filter(pl.col("country") == "PK").row(0, named=True)
    assert pk["nominal"] == pytest.approx(6 * 2000 / PAK["gdp"])


@pytest.mark.filterwarnings("ignore::olmstats.reference.ReferenceDataWarning")
def test_a_currency_without_a_rate_leaves_the_currency_indices_empty(tmp_path):
    # Turkmenistan: GDP per capita 6540.17876401136 US$ in 2025, but WDI's official exchange
    # rate (PA.NUS.FCRF) stops in 2001, so its rates cannot be put into manat.
    store = store_with(tmp_path, {"TM": [float(r) for r in range(1, 12)]})
    with pytest.warns(
        ReferenceDataWarning,
        match=r"no PA.NUS.FCRF and PA.NUS.PRVT.PP for 2025.*TM",
    ):
        result = relative_earnings(scan_profiles(store), year=2025, draws=50)
    tm = result.countries.row(0, named=True)
    assert tm["intl_rate"] is None and tm["local"] is None
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
    assert na["median_rate_usd"] is None and na["nominal"] is None and na["adj_local"] is None


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


def test_aggregates_pool_the_individual_ratios(simulated):
    _, result = simulated
    region = result.regions.filter(pl.col("region") == "South Asia").row(0, named=True)
    assert region["nominal_low"] < region["nominal"] < region["nominal_high"]
    south_asia = result.countries.filter(
        pl.col("region") == "South Asia", pl.col("nominal").is_not_null()
    )
    assert region["nominal_countries"] == south_asia.height
    assert region["countries"] == ", ".join(sorted(south_asia["country"].to_list()))
    assert math.isclose(
        result.income_groups["profiles_with_rate"].sum()
        + result.countries.filter(
            pl.col("income_group").is_null() & pl.col("median_rate_usd").is_not_null()
        )["profiles_with_rate"].sum(),
        result.countries.filter(pl.col("median_rate_usd").is_not_null())[
            "profiles_with_rate"
        ].sum(),
    )


IND_GDP_2024 = 2591.9916607122  # NY.GDP.PCAP.CD IND 2024
BGD_GDP_2024 = 2593.41611680774
LABOUR_FORCE_2024 = {"BD": 73619393.0, "IN": 608500805.0}  # SL.TLF.TOTL.IN 2024


def _south_asia_store(tmp_path):
    return store_with(
        tmp_path,
        {
            "BD": [float(r) for r in range(1, 12)],
            "IN": [float(r) for r in range(5, 16)],
            "NA": [float(r) for r in range(2, 13)],
        },
    )


@pytest.mark.filterwarnings("ignore::olmstats.reference.ReferenceDataWarning")
def test_a_region_is_the_pooled_median_of_its_profiles_ratios(tmp_path):
    result = relative_earnings(scan_profiles(_south_asia_store(tmp_path)), year=2024, draws=50)
    ratios = sorted(
        [r * 2000 / BGD_GDP_2024 for r in range(1, 12)]
        + [r * 2000 / IND_GDP_2024 for r in range(5, 16)]
    )
    region = result.regions.filter(pl.col("region") == "South Asia").row(0, named=True)
    # 22 ratios: the median is the mean of the 11th and 12th; its 95% interval the ranks
    # round(11 − 1.96·√22/2) = 6 and round(12 + 4.597) = 17 (Campbell & Gardner)
    assert region["nominal"] == pytest.approx((ratios[10] + ratios[11]) / 2)
    assert (region["nominal_low"], region["nominal_high"]) == pytest.approx((ratios[5], ratios[16]))
    assert region["profiles_with_rate"] == 22 and region["countries"] == "BD, IN"
    assert region["nominal_countries"] == 2
    assert any("pooled median of the individual ratios" in note for note in result.notes)


def _mixture_median(groups: dict[str, list[float]], weights: dict[str, float]) -> float:
    """The smallest value where the weighted mixture of the groups' empirical CDFs reaches
    one half, by brute force over every value."""
    total = sum(weights[g] for g in groups)
    for value in sorted(v for values in groups.values() for v in values):
        cdf = sum(
            weights[g] / total * np.mean(np.array(values) <= value) for g, values in groups.items()
        )
        if cdf >= 0.5 - 1e-12:
            return value
    raise AssertionError("no median")


@pytest.mark.filterwarnings("ignore::olmstats.reference.ReferenceDataWarning")
def test_a_region_weighted_by_labour_force_is_the_mixture_median(tmp_path):
    store = _south_asia_store(tmp_path)
    result = relative_earnings(
        scan_profiles(store), year=2024, draws=2000, group_weights="labour_force"
    )
    groups = {
        "BD": [r * 2000 / BGD_GDP_2024 for r in range(1, 12)],
        "IN": [r * 2000 / IND_GDP_2024 for r in range(5, 16)],
    }
    region = result.regions.filter(pl.col("region") == "South Asia").row(0, named=True)
    expected = _mixture_median(groups, LABOUR_FORCE_2024)
    assert region["nominal"] == pytest.approx(expected)
    # India holds 89% of the two countries' labour force: the region sits at India's median
    # (7.716), not at the profile-pooled median of these equal-sized samples (6.17)
    assert expected == pytest.approx(10 * 2000 / IND_GDP_2024, abs=0.01)
    assert region["nominal_low"] <= region["nominal"] <= region["nominal_high"]
    assert any("labour force" in note and "seed 20261125" in note for note in result.notes)
    # a table of one's own: equal weights; a country without one is left out and named
    own = relative_earnings(
        scan_profiles(store),
        year=2024,
        draws=2000,
        group_weights=pl.DataFrame({"country": ["BD", "IN"], "weight": [1.0, 1.0]}),
    )
    region = own.regions.filter(pl.col("region") == "South Asia").row(0, named=True)
    assert region["nominal"] == pytest.approx(_mixture_median(groups, {"BD": 1, "IN": 1}))
    assert own.regions.filter(pl.col("region") == "Sub-Saharan Africa")["nominal"][0] is None
    assert any("left out: NA" in note for note in own.notes)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ("population", "group_weights must be 'labour_force'"),
        ({"PK": -1.0}, "group weight of 'PK' must be a positive number"),
        (pl.DataFrame({"country": ["PK"]}), "group_weights frame lacks weight"),
    ],
)
def test_bad_group_weights(tmp_path, weights, message):
    with pytest.raises(InputError, match=message):
        relative_earnings(scan_profiles(_south_asia_store(tmp_path)), group_weights=weights)


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
    for name in ("nominal", "intl_rate", "local", "platform"):
        ratio = joined[name] / joined["median_rate_usd"]
        assert np.allclose(joined[f"{name}_low"], joined["median_low"] * ratio, equal_nan=True)
        assert np.allclose(joined[f"{name}_high"], joined["median_high"] * ratio, equal_nan=True)


@pytest.mark.filterwarnings("ignore::olmstats.reference.ReferenceDataWarning")
def test_platform_weights_give_the_summary_s_median_and_interval(tmp_path):
    from olmstats.summary import country_summary
    from tests.test_weights import profiles

    # PK: 30 on freelancer at $5, 10 on guru at $20; IN: 12 and 12 at $8 and $12
    rows = [("freelancer", "PK", 5.0, "software_technology")] * 30
    rows += [("guru", "PK", 20.0, "writing_translation")] * 10
    rows += [("freelancer", "IN", 8.0, "software_technology")] * 12
    rows += [("guru", "IN", 12.0, "software_technology")] * 12
    frame = profiles(rows).with_columns(registration_date=pl.lit(None, pl.Date))
    weights = {"freelancer": 1.0, "guru": 3.0}
    earned = relative_earnings(frame, year=2024, platform_weights=weights, seed=7)
    pk = earned.countries.filter(pl.col("country") == "PK").row(0, named=True)
    assert pk["median_rate_usd"] == 20.0  # guru holds 3/4 of Pakistan's mass, not 1/4
    assert pk["nominal"] == pytest.approx(20 * 2000 / PAK["gdp"])
    summary = country_summary(frame, platform_weights=weights, seed=7)
    joined = earned.countries.join(summary, on="country")
    for mine, theirs in [
        ("median_rate_usd", "rate_median_usd"),
        ("median_low", "rate_median_ci_low"),
        ("median_high", "rate_median_ci_high"),
    ]:
        assert joined[mine].to_list() == joined[theirs].to_list(), mine  # one interval
    assert any("Platforms weighted (freelancer 1, guru 3" in note for note in earned.notes)
    counted = relative_earnings(frame, year=2024)
    assert counted.countries.filter(pl.col("country") == "PK")["median_rate_usd"][0] == 5.0
    # South Asia (IN alone here): the mixture of IN's two platforms, 1:3 → $12 dominates
    region = earned.regions.filter(pl.col("region") == "South Asia").row(0, named=True)
    assert region["platform"] == pytest.approx(100 * 12.0 / float(np.median([r[2] for r in rows])))
    with pytest.raises(InputError, match="no weight for platform guru"):
        relative_earnings(frame, platform_weights={"freelancer": 1.0})
