"""PeoplePerHour: the recorded listing read field by field (state and cards), and real crawls
of its replay that keep to what robots.txt allows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from parsel import Selector

from olmcrawl.base.embedded import embedded_state
from olmstats import InputError, scan_jobs
from olmstats.platforms.peopleperhour.parse import (
    STATE,
    card_fields,
    is_open,
    job_from_card,
    job_from_project,
    listing_from_state,
)
from olmstats.platforms.peopleperhour.replay import PeoplePerHourReplay
from olmstats.platforms.peopleperhour.spiders import parse_categories
from olmstats.replay import Faults, ReplayServer
from tests.conftest import ROOT, run_olm

FIXTURES = ROOT / "tests" / "fixtures" / "peopleperhour"
PAGE = FIXTURES / "freelance-LOGO-jobs_2025-11-15_redacted.html"
SERVED = datetime(2025, 11, 15, 9, 14, 42, tzinfo=UTC)  # serverTime 1763198082209 ms


@pytest.fixture(scope="module")
def html() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_the_state_field_by_field(html):
    entries, total = listing_from_state(embedded_state(html, STATE))
    assert (len(entries), total) == (20, 90)  # freelanceJobs.main: 20 of 90 (total-items)
    first = job_from_project(entries[0], observed_at=SERVED, run_id="r", query_skill=None)
    # id 4447648, as tests/fixtures/peopleperhour/SOURCE.md reads it off the page
    assert first.native_id == "4447648"
    assert (first.budget_min, first.budget_max, first.currency) == (30, 30, "GBP")
    assert first.job_type == "fixed"  # fixed_price
    assert first.posted_at == datetime(2025, 11, 12, 17, 10, 40, tzinfo=UTC)
    assert first.bid_count == 43
    assert (first.employer_country_code_raw, first.owner_native_id) == ("GB", "12633663")
    assert first.skills_raw == [{"id": "232", "name": "Logo Design", "category": "Design"}]
    assert {e["key"]: e["text"] for e in first.extras} == {
        "where_can_bid": "ALL",
        "location_type": "remote",
    }
    currencies = [e["currency"] for e in entries]
    assert (currencies.count("GBP"), currencies.count("USD"), currencies.count("EUR")) == (11, 8, 1)
    closed = [e["proj_id"] for e in entries if not is_open(e)]
    assert closed == [4442127]  # item_state in_progress: not open for proposals


def test_the_cards_when_there_is_no_state(html):
    cards = Selector(text=html).css('[class*="item--container"]')
    assert len(cards) == 21  # the featured job first, then the 20 of the state
    featured = card_fields(cards[0])
    assert featured["id"] == "4448345"
    job = job_from_card(featured, observed_at=SERVED, run_id="r", query_skill=None)
    # GBP 500 shown as $658 (the page's currency is US$); footer: 7 hours ago, 34 proposals
    assert (job.budget_min, job.currency, job.bid_count) == (658.0, "USD", 34)
    assert job.posted_at == SERVED - timedelta(hours=7)


def test_categories_are_clean_paths_only():
    assert parse_categories("design/logo-design, Writing-Translation") == [
        "design/logo-design",
        "writing-translation",
    ]
    assert parse_categories(None) == [None]
    for bad in ("design?location=GB", "design/logo design", "../admin"):
        with pytest.raises(InputError, match=r"robots\.txt allows only"):
            parse_categories(bad)


@pytest.fixture(scope="module")
def pph(small_market):
    return PeoplePerHourReplay(small_market)


def crawl(server, store, *args):
    return run_olm(
        "crawl",
        "peopleperhour_jobs",
        *args,
        "--store",
        str(store),
        "--base-url",
        server.url,
        "--no-progress",
        "--set",
        "DOWNLOAD_DELAY=0",
        "--set",
        "AUTOTHROTTLE_ENABLED=False",
    )


@pytest.mark.slow
def test_a_crawl_of_the_replay_keeps_every_open_job_and_only_robots_paths(pph, tmp_path):
    with ReplayServer(pph) as server:
        result = crawl(server, tmp_path)
        seen = list(server.requests)
    assert result.returncode == 0, result.stderr
    stored = scan_jobs(tmp_path).collect()
    open_projects = [p for p in pph.projects if p["item_state"] == "open"]
    assert stored.height == len(open_projects)
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert record["items_dropped"]["not_open"] == len(pph.projects) - len(open_projects)
    for request in seen:  # clean paths, and ?page=N alone: what robots.txt allows
        assert request.path == "/robots.txt" or request.path.startswith("/freelance-jobs")
        assert set(request.query) <= {"page"}
    by_currency = stored.group_by("currency").agg(pl.col("fx_source").unique())
    sources = dict(by_currency.iter_rows())
    assert sources["USD"] == ["identity"]
    assert all(s.startswith(("ecb:", "wdi:")) for s in sources["GBP"])  # no rate on the page
    assert stored["budget_min_usd"].null_count() == 0
    assert set(stored["employer_country"]) == {p["client"]["country"] for p in open_projects}
    texts = {v for c in stored.select(pl.col(pl.String)).columns for v in stored[c].drop_nulls()}
    for project in pph.projects[:50]:  # nothing personal, no free text
        client = project["client"]
        for value in (client["public_name"], client["city"], client["about"], project["title"]):
            assert value not in texts
        assert not any(project["proj_desc"] in t for t in texts)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["incapsula", "captcha", "login"])
def test_a_block_page_stops_the_crawl(pph, tmp_path, kind):
    with ReplayServer(pph, faults=Faults(block_after=2, block_kind=kind)) as server:
        result = crawl(server, tmp_path, "--set", "CONCURRENT_REQUESTS=1")
        pages = [r for r in server.requests if r.path != "/robots.txt"]
    assert result.returncode == 5, result.stderr
    assert f"blocked_{kind}" in result.stderr.strip().splitlines()[-1]
    assert len(pages) == 3  # two pages, the block page, nothing more


def test_the_directory_parser_on_the_documented_structure():
    from olmstats.platforms.peopleperhour.parse import freelancer_card, profile_from_card

    page = FIXTURES / "hire_freelancers_built_from_documented_structure.html"
    cards = Selector(text=page.read_text(encoding="utf-8")).css('div[class*="freelancer-card"]')
    found = [
        profile_from_card(freelancer_card(c), observed_at=SERVED, run_id="r", query_skill=None)
        for c in cards
    ]
    sam, priya, li = found
    assert sam.native_id == "sam-t-web-developer-vwxyz"
    assert (sam.hourly_rate, sam.hourly_rate_currency) == (25.0, "GBP")
    assert (sam.country_name_raw, sam.reviews, sam.rating) == ("United Kingdom", 128, 4.9)
    assert (priya.hourly_rate, priya.hourly_rate_currency, priya.reviews) == (12.0, "USD", 0)
    assert (li.hourly_rate, li.hourly_rate_currency) == (None, None)  # "Custom quote": no rate


@pytest.mark.slow
def test_a_directory_crawl_converts_rates_by_the_chain(pph, tmp_path):
    with ReplayServer(pph) as server:
        result = run_olm(
            "crawl",
            "peopleperhour_profiles",
            "--store",
            str(tmp_path),
            "--base-url",
            server.url,
            "--no-progress",
            "--set",
            "DOWNLOAD_DELAY=0",
            "--set",
            "AUTOTHROTTLE_ENABLED=False",
        )
        seen = list(server.requests)
    assert result.returncode == 0, result.stderr
    from olmstats import scan_profiles

    stored = scan_profiles(tmp_path).collect()
    assert stored.height == len(pph.freelancers)
    for request in seen:
        assert request.path == "/robots.txt" or request.path.startswith("/hire-freelancers")
        assert set(request.query) <= {"page"}
    gbp = stored.filter(pl.col("hourly_rate_currency") == "GBP")
    assert gbp.height > 0 and gbp["fx_source"].str.contains("^(ecb|wdi):").all()
    assert (gbp["hourly_rate_usd"] > gbp["hourly_rate"]).all()  # a pound buys more than a dollar
    names = {f["name"] for f in pph.freelancers} | {f["city"] for f in pph.freelancers}
    texts = {v for c in stored.select(pl.col(pl.String)).columns for v in stored[c].drop_nulls()}
    assert not names & texts
