"""A crawl killed (SIGKILL) at any moment leaves a store that readers open without error."""

from __future__ import annotations

import json
import signal
import time

import polars as pl
import pyarrow.parquet as pq
import pytest

from olmstats import StoreError, read_runs, scan_profiles
from olmstats.replay import Faults, ReplayServer
from olmstats.store import store_notes
from olmstats.summary import country_summary
from tests.conftest import replay_settings, start_olm

pytestmark = pytest.mark.slow


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the crawl never got there"
        time.sleep(0.005)


@pytest.mark.parametrize(("requests", "files"), [(3, 0), (0, 1), (0, 8), (0, 20)])
def test_killed_crawl_leaves_a_readable_store(replay, tmp_path, requests, files):
    """Kill after *requests* API requests or *files* part files: mid-crawl by construction."""
    faults = Faults(delay=0.04)
    with ReplayServer(replay, faults=faults) as server:
        args = replay_settings(
            server.url,
            tmp_path,
            FREELANCER_PAGE_SIZE=10,
            OLM_STORE_ROWS_PER_FILE=15,
            CONCURRENT_REQUESTS=2,
            CONCURRENT_REQUESTS_PER_DOMAIN=2,
        )
        process = start_olm("crawl", "freelancer_profiles", "--country", "IN,BD,PK,US", *args)
        wait_for(
            lambda: (
                len(server.api_requests()) >= requests
                and len(list(tmp_path.glob("profiles/**/part-*.parquet"))) >= files
            )
        )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    parts = sorted(tmp_path.glob("profiles/**/part-*.parquet"))
    rows_in_files = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)  # each complete
    record = json.loads(next((tmp_path / "runs").glob("*.json")).read_text())
    assert record["status"] == "running"  # the record says it never finished
    assert read_runs(tmp_path)["status"].to_list() == ["running"]
    # where the data came from was recorded at the first response, before the kill
    assert record["data_origin"] == replay.origin
    if not parts:  # killed before the first part file: readers say so, clearly
        with pytest.raises(StoreError, match="has no profiles yet"):
            scan_profiles(tmp_path)
        return
    frame = scan_profiles(tmp_path).collect()
    assert frame.height == rows_in_files
    assert frame["profile_id"].is_unique().all()
    table = country_summary(scan_profiles(tmp_path))
    assert table["profiles"].sum() == frame.height
    notes = store_notes(tmp_path)
    assert (
        f"SIMULATED DATA: crawled from the replay of a {replay.origin}; not real market data."
        in notes
    )
    assert any("never finished" in note for note in notes)
    assert not frame.select(pl.col("country").is_null().any()).item()
