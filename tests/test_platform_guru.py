"""Guru: the recorded job listing read field by field; the directory parser on a page built from
the documented structure; real crawls of the replay; Incapsula pages stop the crawl."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from parsel import Selector

from olmstats import scan_jobs, scan_profiles
from olmstats.platforms.guru.parse import (
    freelancer_card,
    job_card,
    job_from_card,
    profile_from_card,
    total_results,
)
from olmstats.platforms.guru.replay import GuruReplay
from olmstats.replay import Faults, ReplayServer
from tests.conftest import ROOT, run_olm

FIXTURES = ROOT / "tests" / "fixtures" / "guru"
LISTING = FIXTURES / "jobs_listing_2026-09-19.html"
DIRECTORY = FIXTURES / "freelancers_directory_built_from_documented_structure.html"
FETCHED = datetime(2026, 9, 19, 12, tzinfo=UTC)  # recorded about 2026-09-19 (SOURCE.md)


@pytest.fixture(scope="module")
def cards():
    html = LISTING.read_text(encoding="utf-8")
    return html, [job_card(c) for c in Selector(text=html).css("div.record.jobRecord[data-gid]")]


def test_the_listing_field_by_field(cards):
    html, found = cards
    assert len(found) == 20 and total_results(html) == 221  # TotalResults of __pageData
    first = job_from_card(found[0], observed_at=FETCHED, run_id="r", query_skill=None)
    assert first.native_id == "2120954"
    assert (first.job_type, first.budget_min, first.budget_max) == ("fixed", 1000.0, 2500.0)
    assert first.posted_at == FETCHED - timedelta(hours=3)  # "3 hrs ago"
    assert first.bid_count == 1  # "1 Quote Received"
    assert first.employer_country_name_raw == "United States"
    assert first.skills_raw[0]["name"] == "Programming & Software"  # the subcategory
    assert [s["name"] for s in first.skills_raw[1:]] == [
        "Software Development",
        "Software Engineer",
    ]
    extras = {e["key"]: e["number"] if e["number"] is not None else e["text"] for e in first.extras}
    assert extras == {
        "pricing": "Fixed Price",
        "employer_spend_usd": None,
        "bid_from": "United States",
    }
    # 2120942: "Under $250", "on Sep 18, 2026", 88 quotes, "12,682 Spent", India preferred
    under = job_from_card(found[6], observed_at=FETCHED, run_id="r", query_skill=None)
    assert under.native_id == "2120942"
    assert (under.budget_min, under.budget_max, under.bid_count) == (None, 250.0, 88)
    assert under.posted_at == datetime(2026, 9, 18, tzinfo=UTC)
    assert {e["key"]: e["number"] or e["text"] for e in under.extras}["employer_spend_usd"] == 12682
    # 2120918: hourly "$10 - $25"
    hourly = job_from_card(found[12], observed_at=FETCHED, run_id="r", query_skill=None)
    assert (hourly.native_id, hourly.job_type) == ("2120918", "hourly")
    assert (hourly.budget_min, hourly.budget_max) == (10.0, 25.0)
    pricing = [c["pricing"] for c in found]
    # SOURCE.md: Fixed Price 11, Fixed Price or Hourly 7, Hourly 2; quotes 1 … 137
    assert (pricing.count("Fixed Price"), pricing.count("Fixed Price or Hourly")) == (11, 7)
    assert pricing.count("Hourly") == 2
    assert (min(c["quotes"] for c in found), max(c["quotes"] for c in found)) == (1, 137)
    countries = [c["country"] for c in found]
    assert countries.count("United States") == 12 and countries.count("Canada") == 2


def test_the_directory_parser_on_the_documented_structure():
    html = DIRECTORY.read_text(encoding="utf-8")
    found = [freelancer_card(c) for c in Selector(text=html).css("div.findGuruRecord")]
    assert len(found) == 2
    item = profile_from_card(
        found[0], observed_at=FETCHED, run_id="r", query_country="PK", query_skill=None
    )
    assert (item.native_id, item.country_name_raw, item.hourly_rate) == (
        "amina-k-42",
        "Pakistan",
        20.0,
    )
    assert [s["name"] for s in item.skills_raw] == ["Python", "Data Entry"]
    assert item.extras == [{"key": "earnings_usd", "number": 12345.0, "text": None}]
    assert (
        profile_from_card(
            found[1], observed_at=FETCHED, run_id="r", query_country=None, query_skill=None
        ).hourly_rate
        is None
    )  # "Rates on request": no rate, never zero


@pytest.fixture(scope="module")
def guru(small_market):
    return GuruReplay(small_market)


def crawl(server, store, spider, *args):
    return run_olm(
        "crawl",
        spider,
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
def test_crawls_of_the_replay_keep_every_job_and_profile(guru, tmp_path):
    countries = guru.countries[:6]
    with ReplayServer(guru) as server:
        jobs = crawl(server, tmp_path, "guru_jobs")
        people = crawl(server, tmp_path, "guru_profiles", "--country", ",".join(countries))
    assert jobs.returncode == 0 and people.returncode == 0, jobs.stderr + people.stderr
    stored_jobs = scan_jobs(tmp_path).collect()
    assert stored_jobs.height == len(guru.jobs)
    assert (stored_jobs["fx_source"].drop_nulls() == "identity").all()
    assert set(stored_jobs["bid_count"]) == {j["quotes"] for j in guru.jobs}
    profiles = scan_profiles(tmp_path).collect()
    expected = [f for f in guru.freelancers if f["country"] in countries]
    assert profiles.height == len(expected)
    assert sorted(profiles["hourly_rate_usd"].drop_nulls().to_list()) == sorted(
        float(f["rate"]) for f in expected if f["rate"]
    )
    assert profiles["occupation"].null_count() < profiles.height / 10
    names = {f["name"] for f in guru.freelancers} | {j["employer"] for j in guru.jobs}
    texts = {
        v for c in profiles.select(pl.col(pl.String)).columns for v in profiles[c].drop_nulls()
    }
    assert not names & texts  # screen names never stored


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "spider"),
    [("incapsula", "guru_jobs"), ("captcha", "guru_profiles"), ("login", "guru_jobs")],
)
def test_a_block_page_stops_the_crawl_and_says_what_to_do(guru, tmp_path, kind, spider):
    arguments = ["--country", "PK"] if spider == "guru_profiles" else []
    with ReplayServer(guru, faults=Faults(block_after=0, block_kind=kind)) as server:
        result = crawl(server, tmp_path, spider, *arguments, "--set", "CONCURRENT_REQUESTS=1")
        pages = [r for r in server.requests if r.path != "/robots.txt"]
    assert result.returncode == 5
    last = result.stderr.strip().splitlines()[-1]
    assert f"blocked_{kind}" in last and "OLM_ZYTE_API_KEY" in last
    assert len(pages) == 1  # the first page, a block page: nothing more
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert record["status"] == "blocked" and record["items_kept"] == {}
    assert record["listings"][0]["outcome"] == "failed"  # never "read to the end" with 0 jobs


def test_a_zyte_key_without_the_package_is_one_line(tmp_path):
    result = run_olm("crawl", "guru_jobs", "--store", str(tmp_path), env={"OLM_ZYTE_API_KEY": "k"})
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "pip install scrapy-zyte-api" in result.stderr
