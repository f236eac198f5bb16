"""Reference loaders: ISO keys (Namibia NA, Kosovo XK), year fallback reported, gaps named."""

from __future__ import annotations

import pytest

from olmstats import InputError, reference
from olmstats.reference import ReferenceDataWarning


def test_wdi_keys_are_iso2_and_aggregates_are_dropped():
    series = reference.wdi("gdp_pc_usd")
    assert {"NA", "XK", "PK"} <= set(series["country"])
    assert series.filter(series["iso3"] == "WLD").is_empty()  # world aggregate has no ISO2
    namibia = series.filter((series["country"] == "NA") & (series["year"] == 2025))
    assert namibia["value"].item() == pytest.approx(4875.92558158247)  # the file's NAM 2025


def test_fallback_is_reported_in_columns_and_warnings():
    with pytest.warns(ReferenceDataWarning, match=r"PA.NUS.FCRF for 2025 missing.*DE \(2024\)"):
        fx = reference.for_year("fx_lcu_per_usd", 2025, countries=["DE", "IN"])
    rows = {r["country"]: r for r in fx.iter_rows(named=True)}
    assert rows["DE"]["year_used"] == 2024 and rows["DE"]["fallback"] is True
    assert rows["IN"]["year_used"] == 2025 and rows["IN"]["fallback"] is False
    # the euro-area aggregate has a 2025 rate; Germany never borrows it
    assert rows["DE"]["value"] == pytest.approx(0.923889546117607)


def test_gaps_are_named_not_filled():
    with pytest.warns(ReferenceDataWarning, match="left empty: TW"):
        gdp = reference.for_year("gdp_pc_usd", 2024, countries=["TW", "PK"])
    assert gdp.filter(gdp["country"] == "TW")["value"].item() is None


def test_year_outside_the_range_is_an_error():
    with pytest.raises(InputError, match="outside the reference range"):
        reference.for_year("gdp_pc_ppp", 1980)
    with pytest.raises(InputError, match="unknown indicator"):
        reference.wdi("happiness")


def test_classification_and_ilo_names():
    groups = reference.classification()
    assert groups.height == 217  # 218 economies; the Channel Islands (CHI) have no ISO code
    assert "TW" in groups["country"].to_list()
    assert groups.filter(groups["country"] == "ET")["income_group"].item() is None
    with pytest.warns(ReferenceDataWarning, match=r"PK \(2021\), TZ \(2020\)"):
        ilo = reference.ilo_monthly_earnings(2022, countries=["TZ", "CI", "PK"])
    rows = {r["country"]: r for r in ilo.iter_rows(named=True)}
    assert rows["CI"]["year_used"] == 2022 and rows["TZ"]["flag"] == "Break in series"
    assert rows["PK"]["value"] == pytest.approx(565.942)


def test_vintages_listed_and_selectable():
    table = reference.vintage_table()
    assert "NY.GDP.PCAP.CD" in table["indicator"].to_list()
    with pytest.raises(InputError, match=r"no NY\.GDP\.PCAP\.CD vintage 1999-01-01"):
        reference.wdi("gdp_pc_usd", vintage="1999-01-01")
