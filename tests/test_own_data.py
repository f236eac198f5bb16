"""The statistics on anyone's data: a pandas or Polars frame without the store's provenance
columns, and a published table of country medians."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

import olmstats
from olmstats import InputError
from olmstats.earnings import indices_from_medians
from olmstats.reference import ReferenceDataWarning
from tests.test_earnings import NGA, PAK

OWN_CSV = """country,hourly_rate_usd,year
PK,3,2024
PK,4,2024
PK,5,2024
PK,5.5,2024
PK,6,2024
PK,6,2024
PK,7,2024
PK,8,2024
PK,9,2024
PK,10,2024
PK,12,2024
NG,7.12,2024
"""


def test_a_csv_of_ones_own_profiles_through_the_summary_and_the_indices():
    own = pd.read_csv(io.StringIO(OWN_CSV), keep_default_na=False)  # pandas, as economists have
    summary = olmstats.country_summary(own, min_count=10)
    pk = summary.filter(pl.col("country") == "PK").row(0, named=True)
    assert pk["profiles"] == 11 and pk["rate_median_usd"] == 6.0  # numpy: median of 11 rates
    assert np.median([3, 4, 5, 5.5, 6, 6, 7, 8, 9, 10, 12]) == 6.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReferenceDataWarning)
        result = olmstats.relative_earnings(pl.from_pandas(own), min_count=10)
    assert result.year == 2024  # from the year column
    row = result.countries.filter(pl.col("country") == "PK").row(0, named=True)
    earnings_2024_pkr = PAK["ilo"] * PAK["prvt_ilo"] * PAK["cpi"] / PAK["cpi_ilo"]
    assert row["local"] == pytest.approx(6 * 2000 / 12 * PAK["fx"] / earnings_2024_pkr)
    assert row["adj_local"] is None  # no registration dates: nothing to hold fixed, said
    assert any("no registration dates" in note for note in result.notes)
    # Nigeria has one profile: suppressed, not a number from one person
    ng = result.countries.filter(pl.col("country") == "NG").row(0, named=True)
    assert ng["median_rate_usd"] is None and ng["local"] is None


def test_a_published_table_of_country_medians():
    published = pl.DataFrame(
        {
            "country": ["PK", "NG", "TW"],
            "median_rate_usd": [6.0, 7.12, 15.0],
            "median_low": [5.0, 6.0, 12.0],
            "median_high": [7.0, 8.0, 18.0],
        }
    )
    with pytest.warns(ReferenceDataWarning, match="TW"):
        table = indices_from_medians(published, year=2024)
    rows = {r["country"]: r for r in table.iter_rows(named=True)}
    assert rows["PK"]["nominal"] == pytest.approx(6 * 2000 / PAK["gdp"])
    assert rows["PK"]["nominal_low"] == pytest.approx(5 * 2000 / PAK["gdp"])
    assert rows["PK"]["intl_rate"] == pytest.approx(6 * PAK["fx"] / PAK["prvt"])
    earnings_2024_ngn = NGA["ilo"] * NGA["prvt_ilo"] * NGA["cpi"] / NGA["cpi_ilo"]
    assert rows["NG"]["local"] == pytest.approx(7.12 * 2000 / 12 * NGA["fx"] / earnings_2024_ngn)
    assert rows["NG"]["local"] == pytest.approx(14.75, abs=0.01)
    assert (rows["NG"]["local_year"], rows["NG"]["ilo_year"]) == (2024, 2019)
    assert rows["TW"]["nominal"] is None  # Taiwan: no WDI, named, never zero


@pytest.mark.parametrize(
    ("frame", "call", "message"),
    [
        (
            pl.DataFrame({"country": ["PK"], "rate": [5.0], "year": [2024]}),
            olmstats.country_summary,
            r"lacks column\(s\) hourly_rate_usd: pass hourly_rate_usd as the hourly rate in US\$",
        ),
        (
            pl.DataFrame({"country": ["PK"], "hourly_rate_usd": [5.0]}),
            olmstats.relative_earnings,
            "pass snapshot_date as the date the rates were observed .Date., or an integer year",
        ),
        (
            pl.DataFrame({"country": ["PK"], "median_rate_usd": [-5.0]}),
            lambda f: indices_from_medians(f, year=2024),
            "median_rate_usd has 1 negative or non-finite",
        ),
        (
            pl.DataFrame({"country": ["PK", "PK"], "median_rate_usd": [5.0, 6.0]}),
            lambda f: indices_from_medians(f, year=2024),
            "more than one row for PK",
        ),
    ],
)
def test_what_is_missing_is_named_with_what_to_pass(frame, call, message):
    with pytest.raises(InputError, match=message):
        call(frame)


def test_rate_progression_on_a_csv_with_tenure_in_years():
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(11)
    n = 600
    own = pd.DataFrame(
        {
            "country": rng.choice(["PK", "IN", "BD", "KE", "NG", "PH"], n),
            "tenure_years": rng.uniform(0, 10, n).round(2),
            "year": 2025,
        }
    )
    own["hourly_rate_usd"] = np.exp(1.8 + 0.06 * own["tenure_years"] + rng.normal(0, 0.4, n))
    table = olmstats.progression.rate_progression(own, control=False).row(0, named=True)
    # statsmodels on the same rows: tenure recomputed from the implied registration date
    # (whole days), country fixed effects; occupation is absent (one null class)
    days = (own["tenure_years"] * 365.25).round(0)
    own["tenure_from_days"] = days / 365.25
    fit = smf.ols("np.log(hourly_rate_usd) ~ tenure_from_days + C(country)", own).fit()
    assert table["estimate"] == pytest.approx(fit.params["tenure_from_days"], rel=1e-9)
    assert table["conf_low"] < 0.06 < table["conf_high"]
    assert table["n_obs"] == n
    with pytest.raises(InputError, match="no reviews: the direct gradient holds it fixed"):
        olmstats.progression.rate_progression(own)
