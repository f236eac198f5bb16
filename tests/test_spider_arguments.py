"""Spider arguments: bad values give one error line and no request; `scrapy crawl` works too."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from olmstats import scan_profiles
from olmstats.replay import ReplayServer
from tests.conftest import ROOT, TEST_KEY, replay_settings, run_olm

pytestmark = pytest.mark.slow


def scrapy_crawl(spider: str, server_url: str, store, *arguments: str):
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        spider,
        "-s",
        f"FREELANCER_API_URL={server_url}/api",
        "-s",
        f"OLM_STORE={store}",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        "-s",
        "CONCURRENT_REQUESTS=8",
    ]
    for argument in arguments:
        command += ["-a", argument]
    env = {**os.environ, "OLM_PSEUDONYM_KEY": TEST_KEY}
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_scrapy_crawl_uses_the_project(replay, tmp_path):
    with ReplayServer(replay) as server:
        result = scrapy_crawl("freelancer_profiles", server.url, tmp_path, "countries=PK,NA")
    assert "'finish_reason': 'finished'" in result.stderr, result.stderr[-2000:]
    stored = scan_profiles(tmp_path).collect()
    assert sorted(set(stored["country"])) == ["NA", "PK"]
    assert stored.height == len(replay.served_profiles(["PK", "NA"]))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["countries=XX"], "unknown country 'XX'"),
        (["max_pages=zero"], "max_pages must be a whole number"),
        (["max_pages=0"], "max_pages must be at least 1"),
        (["colour=blue"], "unknown argument(s) ['colour']"),
        (["skills=<script>"], "invalid skill name"),
        (["run_id=../x y"], "invalid run id '../x y'"),
    ],
)
def test_bad_arguments_stop_before_any_request(replay, tmp_path, arguments, message):
    with ReplayServer(replay) as server:
        result = scrapy_crawl("freelancer_profiles", server.url, tmp_path, *arguments)
        requests = list(server.requests)
    assert requests == []  # not even robots.txt
    errors = [line for line in result.stderr.splitlines() if "] ERROR: " in line]
    assert len(errors) == 1 and message in errors[0]
    assert "'finish_reason': 'bad_arguments'" in result.stderr
    assert "Traceback" not in result.stderr
    (record,) = (tmp_path / "runs").glob("*.json")  # under a run id of its own, never '../x y'
    assert record.parent == tmp_path / "runs"


def test_since_is_checked_by_the_jobs_spider(replay, tmp_path):
    with ReplayServer(replay) as server:
        result = scrapy_crawl("freelancer_jobs", server.url, tmp_path, "since=2026-13-01")
        assert server.requests == []
    assert "since must be a date like 2026-11-01" in result.stderr


def test_unknown_skill_stops_after_the_skill_list(replay, tmp_path):
    with ReplayServer(replay) as server:
        result = run_olm(
            "crawl", "freelancer_jobs", "--skill", "Pyhton", *replay_settings(server.url, tmp_path)
        )
        paths = [r.path for r in server.api_requests()]
    assert result.returncode == 2  # a user mistake, found by the platform's skill list
    assert "unknown skill 'Pyhton' on freelancer (did you mean Python" in result.stderr
    assert paths == ["/api/projects/0.1/jobs/"]  # no listing was requested
    assert "Traceback" not in result.stderr


def test_skill_names_are_case_and_seo_insensitive(replay, tmp_path):
    with ReplayServer(replay) as server:
        result = run_olm(
            "crawl",
            "freelancer_profiles",
            "--country",
            "IN",
            "--skill",
            "graphic design,web_scraping",
            *replay_settings(server.url, tmp_path),
        )
    assert result.returncode == 0, result.stderr
    stored = scan_profiles(tmp_path).collect()
    assert set(stored["query_skill"]) <= {"Graphic Design", "Web Scraping"}
    assert stored.height == len(replay.served_profiles(["IN"], [20, 95]))
