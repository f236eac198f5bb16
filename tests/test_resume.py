"""Resumable crawls: killed with SIGKILL at several points and started again with the same job
directory, a crawl finishes its listings with no row lost and none stored twice, and its run
record says it was resumed. Real crawls of the replay, real kills."""

from __future__ import annotations

import json
import signal
import time

import polars as pl
import pytest

from olmstats import scan_profiles
from olmstats.replay import Faults, ReplayServer
from tests.conftest import replay_settings, run_olm, start_olm

pytestmark = pytest.mark.slow
COUNTRIES = ["--country", "IN,BD,PK,US"]


def crawl_args(server, store, job_dir):
    return [
        "crawl",
        "freelancer_profiles",
        *COUNTRIES,
        "--job-dir",
        str(job_dir),
        *replay_settings(
            server.url,
            store,
            CONCURRENT_REQUESTS=1,
            OLM_STORE_ROWS_PER_FILE=150,
            FREELANCER_PAGE_SIZE=25,
        ),
    ]


def stored(store) -> pl.DataFrame:
    return scan_profiles(store).select("profile_id", "country", "hourly_rate_usd").collect()


@pytest.mark.parametrize("kills_after", [[4], [2, 19], [5, 15, 28]])
def test_a_killed_crawl_resumes_and_loses_nothing(replay, tmp_path, kills_after):
    # the whole crawl once, uninterrupted: the rows a resumed crawl must end with
    with ReplayServer(replay) as server:
        whole = run_olm(*crawl_args(server, tmp_path / "whole", tmp_path / "whole-job"))
    assert whole.returncode == 0, whole.stderr
    pages = len(server.api_requests())
    expected = stored(tmp_path / "whole").sort("profile_id")

    store, job = tmp_path / "store", tmp_path / "job"
    with ReplayServer(replay, faults=Faults(delay=0.15)) as server:
        for after in kills_after:  # each kill comes later in the crawl than the previous one
            process = start_olm(*crawl_args(server, store, job))
            while len(server.api_requests()) < after and process.poll() is None:
                time.sleep(0.02)
            assert process.poll() is None, "the crawl ended before the kill"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        total = len(server.api_requests())
        final = run_olm(*crawl_args(server, store, job))
    assert final.returncode == 0, final.stderr
    assert pages > kills_after[-1] and total >= kills_after[-1]
    (path,) = (store / "runs").glob("*.json")  # one run, however many processes it took
    record = json.loads(path.read_text())
    assert record["status"] == "complete"
    assert len(record["resumed"]) == len(kills_after)
    rows = stored(store)
    assert rows["profile_id"].n_unique() == rows.height  # none stored twice
    on_disk = pl.concat(
        pl.read_parquet(p, hive_partitioning=False).select("profile_id")
        for p in store.glob("profiles/*/*/part-*.parquet")
    )
    assert on_disk.height == rows.height  # not even on disk
    assert rows.sort("profile_id").equals(expected)  # none lost
    assert record["items_kept"] == {"profiles": expected.height}
    listings = {entry["listing"]: entry for entry in record["listings"]}
    assert all(entry["outcome"] == "read_to_end" for entry in listings.values())
    assert sum(entry["items_seen"] for entry in listings.values()) >= expected.height


def test_a_finished_run_is_not_resumed_and_a_different_crawl_is_refused(replay, tmp_path):
    store, job = tmp_path / "store", tmp_path / "job"
    with ReplayServer(replay, faults=Faults(delay=0.1)) as server:
        first = run_olm(*crawl_args(server, store, job))
        again = run_olm(*crawl_args(server, store, job))
        assert first.returncode == again.returncode == 0, again.stderr
        runs = sorted(json.loads(p.read_text())["run_id"] for p in (store / "runs").glob("*"))
        assert len(runs) == 2  # a new run: the first one ended
        assert {p.name for p in job.iterdir()} == {"journal.jsonl", f"journal-{runs[0]}.jsonl"}
        # an unfinished run in the job directory belongs to its own arguments only
        process = start_olm(*crawl_args(server, store, job))
        seen = len(server.api_requests())
        while len(server.api_requests()) < seen + 3 and process.poll() is None:
            time.sleep(0.01)
        assert process.poll() is None, "the crawl ended before the kill"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        other = run_olm(
            "crawl",
            "freelancer_profiles",
            "--country",
            "KE",
            "--job-dir",
            str(job),
            *replay_settings(server.url, store),
        )
    assert other.returncode == 2, other.stderr
    assert "holds an unfinished freelancer_profiles run" in other.stderr


def test_a_killed_plan_run_resumes_its_crawl(replay, tmp_path):
    from tests.test_plans import plan_run, write_plan

    plan = write_plan(
        tmp_path,
        'cadence = "daily"\n[[crawl]]\nspider = "freelancer_profiles"\n'
        'countries = ["IN", "BD", "PK", "US"]\n',
        name="resumable",
    )
    store = tmp_path / "store"
    settings = ("CONCURRENT_REQUESTS=1", "FREELANCER_PAGE_SIZE=25")
    with ReplayServer(replay, faults=Faults(delay=0.15)) as server:
        urls = {"FREELANCER_BASE_URL": server.url + "/api"}
        process = plan_run(plan, store, urls, *settings, popen=True)
        while len(server.api_requests()) < 8 and process.poll() is None:
            time.sleep(0.02)
        assert process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        again = plan_run(plan, store, urls, *settings)
    assert again.returncode == 0, again.stderr
    (record,) = [json.loads(p.read_text()) for p in (store / "runs").glob("*.json")]
    assert record["status"] == "complete" and len(record["resumed"]) == 1
    assert record["plan"] == "resumable"
    assert record["job_dir"].startswith(str(store / "plans" / "resumable" / "jobs"))
    rows = stored(store)
    assert rows["profile_id"].n_unique() == rows.height == record["items_kept"]["profiles"]
