"""Real crawls (subprocesses) of the loopback replay into a temporary store, checked against
exactly what the simulation served: same entities per country and skill, no duplicates,
nothing lost, values unchanged."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import polars as pl
import pytest

from olmstats import read_runs, scan_jobs, scan_profiles
from olmstats.pseudonym import PROJECT, USER, Pseudonymiser
from olmstats.replay import ReplayServer
from tests.conftest import TEST_KEY, replay_settings, run_olm

pytestmark = pytest.mark.slow
pseudonym = Pseudonymiser(TEST_KEY)
COUNTRIES = ["PK", "IN", "NA", "US", "KE"]
SKILLS = {"Python": 13, "WordPress": 69, "Graphic Design": 20}


@pytest.fixture(scope="module")
def crawled(replay, tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    with ReplayServer(replay) as server:
        args = replay_settings(server.url, store)
        profiles = run_olm(
            "crawl",
            "freelancer_profiles",
            "--country",
            ",".join(COUNTRIES),
            "--skill",
            ",".join(SKILLS),
            *args,
        )
        jobs = run_olm("crawl", "freelancer_jobs", "--skill", "Python,Graphic Design", *args)
        requests = server.api_requests()
    return {"store": store, "profiles": profiles, "jobs": jobs, "requests": requests}


def test_crawls_finish_cleanly(crawled):
    for result in (crawled["profiles"], crawled["jobs"]):
        assert result.returncode == 0, result.stderr
        assert result.stderr.count("\n") == 1  # Scrapy's log stays out of the way
        assert ": complete — " in result.stderr
    runs = read_runs(crawled["store"])
    assert runs["status"].to_list() == ["complete", "complete"]
    assert runs["finish_reason"].to_list() == ["finished", "finished"]
    assert all(o.startswith("simulated market") for o in runs["data_origin"].to_list())


def test_profiles_equal_what_the_replay_served(crawled, replay, small_market):
    stored = scan_profiles(crawled["store"]).collect()
    served = replay.served_profiles(COUNTRIES, SKILLS.values())
    assert stored["profile_id"].is_unique().all()  # no duplicates
    assert stored.height == len(served)  # nothing lost
    expected = Counter()
    for user in served:
        code = user["location"]["country"]["code"].upper()
        expected[code] += 1
    assert dict(Counter(stored["country"].to_list())) == dict(expected)
    assert set(stored["profile_id"]) == {pseudonym("freelancer", USER, u["id"]) for u in served}
    # per skill: profiles listing it (recorded users list none: they were found by WordPress)
    for name, skill_id in SKILLS.items():
        served_n = sum(
            1
            for u in served
            if skill_id in {j["id"] for j in u.get("jobs", [])}
            or (u["id"] in replay.recorded_user_ids and skill_id == 69)
        )
        stored_n = stored.filter(
            pl.col("skill_ids").list.contains(str(skill_id))
            | ((pl.col("skill_ids").list.len() == 0) & (pl.col("query_skill") == name))
        ).height
        assert stored_n == served_n, name


def test_profile_values_are_the_simulated_values(crawled, small_market):
    stored = scan_profiles(crawled["store"]).collect()
    truth = small_market.profiles.with_columns(
        profile_id=pl.col("native_id").map_elements(
            lambda n: pseudonym("freelancer", USER, n), return_dtype=pl.String
        )
    )
    joined = stored.join(truth, on="profile_id", how="inner", suffix="_true")
    assert (
        joined.height == stored.height - stored.filter(pl.col("skill_ids").list.len() == 0).height
    )  # all but the recorded users
    assert (joined["country"] == joined["country_true"]).all()
    assert (joined["occupation"] == joined["occupation_true"]).all()
    assert (joined["reviews"] == joined["reviews_true"]).all()
    assert joined["hourly_rate_usd"].null_count() == joined["hourly_rate_usd_true"].null_count()
    rated = joined.drop_nulls("hourly_rate_usd")
    assert (rated["hourly_rate_usd"] == rated["hourly_rate_usd_true"]).all()
    truth_ids = joined["skill_ids_true"].cast(pl.List(pl.String))  # ids are stored as text
    assert (joined["skill_ids"] == truth_ids).all()
    assert set(stored["country"]) <= set(COUNTRIES)
    assert "NA" in set(stored["country"])  # Namibia survives the whole path


def test_jobs_equal_what_the_replay_served(crawled, replay):
    stored = scan_jobs(crawled["store"]).collect()
    served = replay.served_projects([13, 20])
    assert stored["job_id"].is_unique().all()
    assert stored.height == len(served)
    assert set(stored["job_id"]) == {pseudonym("freelancer", PROJECT, p["id"]) for p in served}
    by_id = {pseudonym("freelancer", PROJECT, p["id"]): p for p in served}
    for row in stored.iter_rows(named=True):
        project = by_id[row["job_id"]]
        rate = project["currency"]["exchange_rate"]
        assert row["currency"] == project["currency"]["code"]
        assert row["budget_min_usd"] == pytest.approx(project["budget"]["minimum"] * rate)
        assert row["bid_count"] == project["bid_stats"]["bid_count"]
        owner = replay.owner(project["owner_id"])
        expected_country = owner["location"]["country"]["code"].upper() if owner else None
        assert row["employer_country"] == expected_country
    recorded = {pseudonym("freelancer", PROJECT, i) for i in replay.recorded_project_ids}
    assert len(recorded & set(stored["job_id"])) >= 100  # the real 2022 Python page is in
    assert stored.filter(pl.col("currency") != "USD").height > 0


def test_the_crawl_asked_only_for_what_it_needs(crawled):
    directory = [r for r in crawled["requests"] if r.path.endswith("/users/directory/")]
    assert directory
    switches = {k for r in directory for k, v in r.query.items() if v == ["true"]}
    assert switches == {"compact", "reputation", "country_details", "jobs"}
    projects = [r for r in crawled["requests"] if r.path.endswith("/projects/active/")]
    switches = {k for r in projects for k, v in r.query.items() if v == ["true"]}
    assert switches == {"compact", "job_details", "user_details", "user_country_details"}
    agents = {r.user_agent for r in crawled["requests"]}
    assert len(agents) == 1 and agents.pop().startswith("olmstats/")


def test_run_record_lists_what_happened(crawled, replay):
    records = [json.loads(p.read_text()) for p in (crawled["store"] / "runs").glob("*.json")]
    profiles = next(r for r in records if r["spider"] == "freelancer_profiles")
    assert profiles["arguments"] == {"countries": ",".join(COUNTRIES), "skills": ",".join(SKILLS)}
    assert profiles["items_kept"]["profiles"] == scan_profiles(crawled["store"]).collect().height
    assert profiles["response_status"]["200"] == profiles["requests"]
    # a profile found under two queried skills is kept once and counted as a duplicate
    sightings = sum(len(replay.served_profiles(COUNTRIES, [s])) for s in SKILLS.values())
    distinct = len(replay.served_profiles(COUNTRIES, SKILLS.values()))
    assert profiles["items_dropped"].get("duplicate", 0) == sightings - distinct
    assert all((crawled["store"] / f).is_file() for f in profiles["files"])
    assert profiles["politeness"]["ROBOTSTXT_OBEY"] is True
    assert len(profiles["pseudonym_key_fingerprint"]) == 12


def test_since_and_max_pages(replay, small_market, tmp_path):
    since = (small_market.parameters.as_of - timedelta(days=2)).date()
    with ReplayServer(replay) as server:
        args = replay_settings(server.url, tmp_path)
        jobs = run_olm("crawl", "freelancer_jobs", "--since", since.isoformat(), *args)
        people = run_olm(
            "crawl", "freelancer_profiles", "--country", "IN", "--max-pages", "2", *args
        )
    assert jobs.returncode == 0 and people.returncode == 0, jobs.stderr + people.stderr
    stored = scan_jobs(tmp_path).collect()
    assert stored["posted_at"].min().date() >= since
    cutoff = int(pl.Series([since]).cast(pl.Datetime("us", "UTC")).dt.epoch("s")[0])
    assert stored.height == len(replay.served_projects(from_time=cutoff))
    profiles = scan_profiles(tmp_path).collect()
    assert profiles.height == 200  # two pages of 100 out of more
    run = read_runs(tmp_path).filter(pl.col("spider") == "freelancer_profiles")
    record = json.loads((tmp_path / "runs" / f"{run['run_id'][0]}.json").read_text())
    assert record["data_quality"]["listing/stopped_at_max_pages"] == 1
