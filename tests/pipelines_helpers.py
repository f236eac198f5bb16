"""Builders for pipeline-stage tests: a stage on a real crawler, items with sane defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from olmstats.items import JobItem, ProfileItem
from olmstats.platforms.freelancer.spiders import FreelancerProfilesSpider
from tests.conftest import make_spider

OBSERVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def stage(stage_cls: type, **settings: Any):
    spider = make_spider(FreelancerProfilesSpider, settings)
    instance = stage_cls.from_crawler(spider.crawler)
    return instance, spider.crawler.stats


def profile(**fields: Any) -> ProfileItem:
    values = {
        "platform": "freelancer",
        "run_id": "run-1",
        "observed_at": OBSERVED,
        "native_id": 1234,
        "country_code_raw": "pk",
        "country_name_raw": "Pakistan",
        "hourly_rate": 12.5,
        "hourly_rate_currency": "USD",
        "reviews": 3,
        "jobs_completed": 3,
        "jobs_total": 4,
        "rating": 4.5,
        "registered_at": datetime.fromtimestamp(1542651206, UTC),
    }
    values.update(fields)
    return ProfileItem(**values)


def job(**fields: Any) -> JobItem:
    values = {
        "platform": "freelancer",
        "run_id": "run-1",
        "observed_at": OBSERVED,
        "native_id": 5678,
        "owner_native_id": 99,
        "job_type": "fixed",
        "budget_min": 30.0,
        "budget_max": 250.0,
        "currency": "USD",
        "fx_usd_per_unit": 1.0,
        "bid_count": 4,
        "bid_avg": 120.0,
        "posted_at": datetime.fromtimestamp(1647785262, UTC),
        "employer_country_code_raw": "us",
        "employer_country_name_raw": "United States",
    }
    values.update(fields)
    return JobItem(**values)
