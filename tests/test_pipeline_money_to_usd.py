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


@pytest.mark.parametrize("rate", [None, 0, -1.0, "n/a"])
def test_non_usd_without_a_rate_is_dropped(rate):
    pipeline, stats = stage(MoneyToUsdPipeline)
    with pytest.raises(DropItem, match="missing_fx_rate"):
        pipeline.process_item(job(currency="EUR", fx_usd_per_unit=rate))
    assert stats.get_value("olm/drop/missing_fx_rate") == 1
