"""Retries back off, honour Retry-After, and give up politely."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from olmcrawl.middlewares.retry_after import retry_after_seconds
from olmstats.replay import Faults, ReplayServer
from tests.conftest import replay_settings, run_olm

DIRECTORY = "/api/users/0.1/users/directory/"


def test_retry_after_header_forms():
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds("Wed, 25 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Wed, 25 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds(b"soon") is None and retry_after_seconds(None) is None


def crawl_rate_limited(replay, store, countries: str, limit: tuple[int, int], **settings):
    """Crawl *countries* while the directory answers 429 (Retry-After, times) first."""
    with ReplayServer(replay, faults=Faults(rate_limit={DIRECTORY: limit})) as server:
        result = run_olm(
            "crawl",
            "freelancer_profiles",
            "--country",
            countries,
            *replay_settings(server.url, store, **settings),
        )
        return result, server.api_requests()


def test_429_waits_as_asked_and_leaves_the_host_alone(replay, tmp_path):
    result, api = crawl_rate_limited(replay, tmp_path, "IN,PK,BD", (2, 1), DOWNLOAD_DELAY=0.05)
    assert result.returncode == 0, result.stderr
    limited = next(i for i, r in enumerate(api) if r.status == 429)
    after = api[limited + 1]
    assert after.time - api[limited].time >= 2.0  # nothing reached the host meanwhile
    record = json.loads(next((tmp_path / "runs").glob("*.json")).read_text())
    assert record["data_quality"]["rate_limited/429"] == 1
    assert record["data_quality"]["backoff/seconds"] == pytest.approx(2.0)
    assert record["retries"] == 1
    assert record["finish_reason"] == "finished"
    assert record["items_kept"]["profiles"] == len(replay.served_profiles(["IN", "PK", "BD"]))


def test_a_retry_after_beyond_the_maximum_stops_the_crawl(replay, tmp_path):
    result, api = crawl_rate_limited(replay, tmp_path, "IN", (7200, 1))
    assert result.returncode == 5  # blocked or rate-limited
    assert "rate_limited" in result.stderr and "7200" in result.stderr
    assert [r.status for r in api if r.path == DIRECTORY] == [429]


def test_endless_429_gives_up_after_the_retries(replay, tmp_path):
    result, api = crawl_rate_limited(replay, tmp_path, "IN", (0, 100), RETRY_TIMES=2)
    assert result.returncode == 5 and "rate_limited" in result.stderr
    assert [r.status for r in api if r.path == DIRECTORY] == [429, 429, 429]
