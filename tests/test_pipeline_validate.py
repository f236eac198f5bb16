from datetime import UTC, date, datetime

import pytest
from scrapy.exceptions import DropItem

from olmcrawl.pipelines.validate import ValidatePipeline
from tests.pipelines_helpers import job, profile, stage


def test_valid_profile_is_typed():
    pipeline, _ = stage(ValidatePipeline)
    item = pipeline.process_item(profile(native_id="1234", hourly_rate="12.5", reviews="3"))
    assert (item.native_id, item.hourly_rate, item.reviews) == ("1234", 12.5, 3)
    assert item.registration_date == date(2018, 11, 19)  # 1542651206 s, checked with `date -d`
    assert item.rating == 4.5 and item.completion_rate is None  # no completion_rate sent


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"native_id": None}, "missing_id"),
        ({"native_id": "abc"}, "invalid_id"),
        ({"native_id": -3}, "invalid_id"),
        ({"country_code_raw": None, "country_name_raw": None}, "missing_country"),
        ({"hourly_rate": "ten"}, "invalid_rate"),
        ({"hourly_rate": -5}, "invalid_rate"),
        ({"hourly_rate": float("inf")}, "invalid_rate"),
    ],
)
def test_profile_drop_reasons_are_counted(fields, reason):
    pipeline, stats = stage(ValidatePipeline)
    with pytest.raises(DropItem, match=reason):
        pipeline.process_item(profile(**fields))
    assert stats.get_value(f"olm/drop/{reason}") == 1
    assert stats.get_value(f"olm/drop_by_dataset/profiles/{reason}") == 1


def test_no_rate_is_null_never_zero():
    pipeline, stats = stage(ValidatePipeline)
    assert pipeline.process_item(profile(hourly_rate=None)).hourly_rate is None
    assert pipeline.process_item(profile(hourly_rate=0)).hourly_rate is None
    assert stats.get_value("olm/profile/no_rate") == 2
    assert stats.get_value("olm/fix/zero_rate_is_no_rate") == 1


def test_zero_rating_without_reviews_is_null():
    pipeline, _ = stage(ValidatePipeline)
    item = pipeline.process_item(profile(reviews=0, rating=0, on_time=0, on_budget=0))
    assert (item.rating, item.on_time, item.on_budget) == (None, None, None)


def test_implausible_values_are_nulled_and_counted():
    pipeline, stats = stage(ValidatePipeline)
    future = datetime(2030, 1, 1, tzinfo=UTC)
    item = pipeline.process_item(profile(registered_at=future, reviews=-1, rating=7))
    assert item.registration_date is None and item.reviews is None
    assert stats.get_value("olm/fix/invalid_registration_date") == 1
    assert stats.get_value("olm/fix/invalid_reviews") == 1


def test_a_registration_time_the_parser_could_not_read_is_counted():
    pipeline, stats = stage(ValidatePipeline)
    item = pipeline.process_item(profile(registered_at=None, unparsed={"registered_at": "soon"}))
    assert item.registration_date is None
    assert stats.get_value("olm/fix/invalid_registration_date") == 1


def test_valid_job_is_typed():
    pipeline, _ = stage(ValidatePipeline)
    item = pipeline.process_item(job(currency="inr", bid_count=0, bid_avg=0))
    assert item.currency == "INR"
    assert item.posted_at == datetime(2022, 3, 20, 14, 7, 42, tzinfo=UTC)
    assert item.bid_avg is None  # no bids: no average, not zero


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"native_id": ""}, "missing_id"),
        ({"job_type": "contest"}, "invalid_job_type"),
        ({"currency": None}, "missing_currency"),
        ({"posted_at": None}, "missing_posted_time"),
        ({"posted_at": None, "unparsed": {"posted_at": "today"}}, "invalid_posted_time"),
        ({"budget_min": 300.0, "budget_max": 250.0}, "invalid_budget"),
        ({"budget_min": -1.0}, "invalid_budget"),
        ({"budget_max": "lots"}, "invalid_budget"),
    ],
)
def test_job_drop_reasons_are_counted(fields, reason):
    pipeline, stats = stage(ValidatePipeline)
    with pytest.raises(DropItem, match=reason):
        pipeline.process_item(job(**fields))
    assert stats.get_value(f"olm/drop/{reason}") == 1
