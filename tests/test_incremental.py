"""Frequent jobs crawls read only what is new: ``since=stored`` starts each listing at the
newest posting the store holds (less an hour). Real crawls of the replay."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from olmstats import scan_jobs
from olmstats.replay import ReplayServer
from tests.conftest import replay_settings, run_olm

pytestmark = pytest.mark.slow


def test_since_stored_asks_only_for_projects_after_the_newest_stored(replay, tmp_path):
    with ReplayServer(replay) as server:
        first = run_olm("crawl", "freelancer_jobs", *replay_settings(server.url, tmp_path))
        assert first.returncode == 0, first.stderr
        stored = scan_jobs(tmp_path).collect()
        newest = stored["posted_at"].max()
        seen = len(server.requests)
        again = run_olm(
            "crawl", "freelancer_jobs", "--since", "stored", *replay_settings(server.url, tmp_path)
        )
        assert again.returncode == 0, again.stderr
        asked = [r for r in server.requests[seen:] if r.path.endswith("/projects/active/")]
    start = int(newest.timestamp()) - 3600
    assert asked and all(r.query["from_time"] == [str(start)] for r in asked)
    expected = sum(1 for p in replay._projects if p.time >= start)  # the replay's own projects
    assert 0 < expected < stored.height
    records = sorted(
        (json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")),
        key=lambda r: r["started_at"],
    )
    assert records[1]["items_kept"] == {"jobs": expected}
    began = datetime.fromtimestamp(start, newest.tzinfo).isoformat()
    assert records[1]["notes"] == [
        f"since=stored: listing all jobs from {began} "
        f"(newest stored posting {newest.isoformat()} less 1:00:00)"
    ]
    # the same day: the re-read projects change no count (one row per project per snapshot)
    assert scan_jobs(tmp_path).collect().height == stored.height
    assert records[1]["status"] == "complete"


def test_since_stored_on_an_empty_store_reads_everything(replay, tmp_path):
    with ReplayServer(replay) as server:
        result = run_olm(
            "crawl", "freelancer_jobs", "--since", "stored", *replay_settings(server.url, tmp_path)
        )
        asked = [r for r in server.requests if r.path.endswith("/projects/active/")]
    assert result.returncode == 0, result.stderr
    assert all("from_time" not in r.query for r in asked)
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert record["notes"] == [
        "since=stored: listing all jobs read in full (no stored posting yet)"
    ]
    assert record["items_kept"]["jobs"] == len(replay._projects)


def test_a_truncated_run_never_moves_the_start(replay, tmp_path):
    """A run cut by max_pages saw only the newest page: starting after it would skip the
    postings it never read. Only runs that read every listing to its end count."""
    from olmstats.store import store_notes

    with ReplayServer(replay) as server:
        cut = run_olm(
            "crawl", "freelancer_jobs", "--max-pages", "1", *replay_settings(server.url, tmp_path)
        )
        assert cut.returncode == 0, cut.stderr
        seen = len(server.requests)
        again = run_olm(
            "crawl", "freelancer_jobs", "--since", "stored", *replay_settings(server.url, tmp_path)
        )
        asked = [r for r in server.requests[seen:] if r.path.endswith("/projects/active/")]
    assert again.returncode == 0, again.stderr
    assert asked and all("from_time" not in r.query for r in asked)
    assert any("incremental jobs run" in note for note in store_notes(tmp_path))
