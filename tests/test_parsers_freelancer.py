"""Parsers on the real recorded Freelancer.com responses, field by field (values read by hand
from the files in data/replay/freelancer/), through the spiders' real callbacks."""

from __future__ import annotations

from datetime import UTC, datetime

from olmstats.items import JobItem, ProfileItem
from olmstats.platforms.freelancer.parse import job_from_project, profile_from_user
from olmstats.platforms.freelancer.spiders import FreelancerJobsSpider, FreelancerProfilesSpider
from tests.conftest import json_response, load_recorded, make_spider

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def read_page(spider, url: str, body: dict) -> list:
    """What the spider's own callback yields for one page of its (only) listing."""
    spider.skills_by_name = {}
    spider.listings.open("all", {})
    spider.listings.requested("all", 0)
    response = json_response(url, body)
    filters = {"country": None, "skill": None}
    return list(spider.parse_page(response, label="all", page=0, filters=filters))


def _jobs_page(spider: FreelancerJobsSpider, body: dict) -> list[JobItem]:
    url = "https://www.freelancer.com/api/projects/0.1/projects/active/"
    return [x for x in read_page(spider, url, body) if isinstance(x, JobItem)]


def test_active_projects_2022_first_project_field_by_field():
    spider = make_spider(FreelancerJobsSpider)
    items = _jobs_page(spider, load_recorded("projects_active_python_2022-03-20_full.json"))
    assert len(items) == 100
    first = items[0]
    assert first.native_id == "33255305"  # ids as text
    assert first.owner_native_id == "8875681"
    assert first.job_type == "fixed"
    assert (first.budget_min, first.budget_max) == (10.0, 30.0)
    assert (first.currency, first.fx_usd_per_unit) == ("USD", 1.0)
    assert (first.bid_count, first.bid_avg) == (3, 20.0)
    assert first.posted_at == datetime(2022, 3, 20, 14, 7, 42, tzinfo=UTC)  # 1647785262 s
    assert first.bid_period_days == 7
    assert first.language == "en"
    assert [s["id"] for s in first.skills_raw] == [13, 711, 1609, 1678, 2548]
    assert first.skills_raw[3] == {
        "id": 1678,
        "name": "DevOps",
        "category": "Engineering & Science",
    }
    # users is null in this response (no owner details asked): no employer country
    assert first.employer_country_code_raw is None
    assert first.run_id == spider.run_id


def test_active_projects_2022_non_usd_and_hourly():
    spider = make_spider(FreelancerJobsSpider)
    items = {
        i.native_id: i
        for i in _jobs_page(spider, load_recorded("projects_active_python_2022-03-20_full.json"))
    }
    inr = items["33255064"]
    assert (inr.currency, inr.fx_usd_per_unit) == ("INR", 0.013167)
    assert (inr.budget_min, inr.budget_max, inr.bid_count) == (600.0, 1500.0, 9)
    assert inr.bid_avg == 1277.7777777777778
    gbp = items["33254535"]
    assert (gbp.currency, gbp.fx_usd_per_unit, gbp.budget_min, gbp.budget_max) == (
        "GBP",
        1.3181,
        10.0,
        20.0,
    )
    hourly = items["33254992"]
    assert (hourly.job_type, hourly.budget_min, hourly.budget_max) == ("hourly", 2.0, 8.0)
    currencies = [i.currency for i in items.values()]
    assert {c: currencies.count(c) for c in set(currencies)} == {
        "USD": 62,
        "INR": 18,
        "GBP": 5,
        "EUR": 5,
        "AUD": 5,
        "CAD": 4,
        "SGD": 1,
    }
    assert sum(i.job_type == "hourly" for i in items.values()) == 11


def test_projects_with_owners_2021_owner_country_lower_case():
    projects = load_recorded("projects_with_owner_2021-09_app_merged.json")
    owners = {str(p["owner_id"]): p["client"] for p in projects}
    items = {
        str(p["id"]): job_from_project(p, owners, observed_at=NOW, run_id="r") for p in projects
    }
    assert items["31556945"].employer_country_code_raw == "za"
    assert items["31556945"].employer_country_name_raw == "South Africa"
    inr = items["31555987"]
    assert (inr.currency, inr.fx_usd_per_unit, inr.budget_min, inr.budget_max) == (
        "INR",
        0.013576,
        37500,
        75000,
    )
    assert (inr.bid_count, inr.bid_avg, inr.employer_country_code_raw) == (4, 53812.5, "in")
    gbp_hourly = items["31556918"]
    assert (gbp_hourly.job_type, gbp_hourly.currency, gbp_hourly.fx_usd_per_unit) == (
        "hourly",
        "GBP",
        1.368889,
    )
    assert (gbp_hourly.budget_min, gbp_hourly.budget_max, gbp_hourly.bid_avg) == (10, 15, 13.5625)
    assert gbp_hourly.employer_country_code_raw == "gb"


def test_directory_2026_users_through_the_spider():
    spider = make_spider(FreelancerProfilesSpider)
    outputs = read_page(
        spider,
        "https://www.freelancer.com/api/users/0.1/users/directory/",
        load_recorded("users_directory_wordpress_2026-09-27_trimmed.json"),
    )
    items = [x for x in outputs if isinstance(x, ProfileItem)]
    assert len(items) == 15
    first = items[0]
    assert first.native_id == "16041778"
    assert (first.hourly_rate, first.hourly_rate_currency) == (35.0, "USD")
    assert (first.country_code_raw, first.country_name_raw) == ("pk", "Pakistan")
    assert (first.reviews, first.jobs_completed, first.jobs_total) == (803, 878, 890)
    assert first.rating == 4.905685212730558
    assert first.completion_rate == 0.9865168539325843
    assert (first.on_time, first.on_budget) == (0.928973234852215, 0.94413960038122)
    assert first.skills_raw == []  # trimmed by its recorder: no skills
    assert [i.native_id for i in items if i.country_code_raw == "pk"] == [
        "16041778",
        "42589348",
        "39884385",
    ]
    # 15 users and total_count 53904: the spider asks for the next page
    requests = [x for x in outputs if not isinstance(x, ProfileItem)]
    assert len(requests) == 1 and "offset=100" in requests[0].url
    listing = spider.listings["all"]
    assert (listing.pages_read, listing.items_seen, listing.total_announced) == (1, 15, 53904)
    assert listing.pages_requested == 2 and listing.in_flight == {1}  # page 2 asked for


def test_user_by_id_2022_null_rate_no_code_no_reputation():
    user = load_recorded("user_by_id_2022.json")["result"]
    item = profile_from_user(user, observed_at=NOW, run_id="r")
    assert item.native_id == "32136579"
    assert item.hourly_rate is None
    assert (item.country_code_raw, item.country_name_raw) == (None, "India")
    assert item.registered_at == datetime(2018, 11, 19, 18, 13, 26, tzinfo=UTC)  # 1542651206 s
    assert item.reviews is None and item.rating is None and item.earnings_score is None


def test_parsers_never_read_personal_fields():
    user = load_recorded("users_directory_wordpress_2026-09-27_trimmed.json")["result"]["users"][0]
    item = profile_from_user(user, observed_at=NOW, run_id="r")
    text = repr(item)
    for personal in (user["username"], user["display_name"], user["location"]["city"]):
        assert personal not in text
