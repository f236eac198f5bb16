"""Politeness: defaults, the guard for real hosts, robots.txt, the User-Agent, request gaps."""

from __future__ import annotations

import itertools

import pytest
from scrapy.settings import Settings

from olmcrawl.extensions.politeness_guard import delay_floor, politeness_problems
from olmstats.replay import Faults, ReplayServer
from tests.conftest import project_settings, replay_settings, run_olm

REAL_HOST = ["--base-url", "https://www.freelancer.com/api", "--no-progress"]


def settings(**overrides) -> Settings:
    return Settings(project_settings(**overrides))


def test_defaults_are_polite_for_a_real_host():
    defaults = settings(OLM_CONTACT_URL="https://example.org/olmstats-operator")
    assert politeness_problems(defaults, loopback=False) == []
    assert defaults.getbool("ROBOTSTXT_OBEY") and defaults.getbool("AUTOTHROTTLE_ENABLED")
    assert defaults.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert delay_floor(defaults) == pytest.approx(1.0)  # 1.25 s - 20% jitter
    assert not defaults.getbool("COOKIES_ENABLED")


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"OLM_CONTACT_URL": ""}, "OLM_CONTACT_URL"),
        ({"DOWNLOAD_DELAY": 1.0, "DOWNLOAD_DELAY_JITTER": 0.5}, "1 second apart"),
        ({"DOWNLOAD_DELAY": 0}, "1 second apart"),
        ({"ROBOTSTXT_OBEY": False}, "ROBOTSTXT_OBEY"),
        ({"AUTOTHROTTLE_ENABLED": False}, "AUTOTHROTTLE_ENABLED"),
        ({"CONCURRENT_REQUESTS_PER_DOMAIN": 4}, "CONCURRENT_REQUESTS_PER_DOMAIN"),
    ],
)
def test_impolite_settings_are_named(overrides, problem):
    base = {"OLM_CONTACT_URL": "https://example.org/operator"} | overrides
    problems = politeness_problems(settings(**base), loopback=False)
    assert any(problem in p for p in problems)
    assert politeness_problems(settings(**base), loopback=True) == []  # the replay may lift


def test_cli_refuses_a_real_host_without_contact_before_any_request(tmp_path):
    result = run_olm(
        "crawl",
        "freelancer_profiles",
        "--country",
        "PK",
        "--store",
        str(tmp_path),
        *REAL_HOST,
        env={"OLM_CONTACT_URL": ""},
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "OLM_CONTACT_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()  # Scrapy never started


def test_cli_refuses_a_lifted_delay_on_a_real_host(tmp_path):
    result = run_olm(
        "crawl",
        "freelancer_jobs",
        "--store",
        str(tmp_path),
        *REAL_HOST,
        "--set",
        "DOWNLOAD_DELAY=0.1",
        env={"OLM_CONTACT_URL": "https://example.org/operator"},
    )
    assert result.returncode == 2 and "1 second apart" in result.stderr


def test_robots_txt_is_obeyed(replay, tmp_path):
    with ReplayServer(replay, faults=Faults(disallow=["/api/users/"])) as server:
        result = run_olm(
            "crawl",
            "freelancer_profiles",
            "--country",
            "PK",
            *replay_settings(server.url, tmp_path),
            "--log-level",
            "DEBUG",
        )
        paths = [r.path for r in server.requests]
    assert result.returncode == 3, result.stderr  # incomplete: the listing was not read
    assert "/robots.txt" in paths
    assert not any(p.startswith("/api/users/") for p in paths)
    assert "Forbidden by robots.txt" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("freelancer_profiles: incomplete")
    assert "country=PK page 1: robots_txt" in result.stderr


def test_requests_keep_the_delay_floor_and_name_the_operator(replay, tmp_path):
    # A real-host-like delay (0.4 s ±20%) against the replay: every gap is at least 0.32 s.
    with ReplayServer(replay) as server:
        args = replay_settings(
            server.url, tmp_path, DOWNLOAD_DELAY=0.4, CONCURRENT_REQUESTS_PER_DOMAIN=1
        )
        result = run_olm(
            "crawl",
            "freelancer_profiles",
            "--country",
            "IN,PK",
            *args,
            env={"OLM_CONTACT_URL": "https://example.org/operator"},
        )
        requests = server.api_requests()
    assert result.returncode == 0, result.stderr
    times = sorted(r.time for r in requests)
    assert len(times) >= 5
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.4 * 0.8 - 0.01
    assert {r.user_agent for r in requests} == {
        "olmstats/0.1.0 (research crawler; +https://example.org/operator)"
    }
