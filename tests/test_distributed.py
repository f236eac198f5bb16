"""Distributed crawls: real redis-server processes on loopback ports, real `olm crawl` workers
in subprocesses, real replays. Together the workers fetch every listing page once, keep every
row once, never send a host more than its rate, and tell the whole crawl's outcome."""

from __future__ import annotations

import collections
import itertools
import json
import signal
import threading
import time

import polars as pl
import pytest
from scrapy.settings import Settings

from olmcrawl.distributed.shared import SharedCrawl, connect, public_url
from olmstats import scan_profiles
from olmstats.errors import InputError
from olmstats.plans import PlanRunningError, platform_locks
from olmstats.replay import Faults, ReplayServer
from tests.conftest import (
    REDIS_PASSWORD,
    ROOT,
    TEST_KEY,
    free_port,
    project_settings,
    replay_settings,
    run_olm,
    start_olm,
)

pytestmark = pytest.mark.slow
COUNTRIES = ["--country", "IN,BD,PK,US"]
DELAY = 0.2  # ±20%: every gap between two requests to the host at least 0.16 s
FLOOR = DELAY * 0.8
#: The replay stamps a request when its thread reads it: scheduling noise, not rate (on a
#: loaded 2-core machine a request can reach the replay tens of ms after its turn).
TOLERANCE = 0.04
#: Requests per window in the window check: noise moves only a window's two ends.
WINDOW = 10


def shortest_gap(arrivals: list[float]) -> float:
    """Seconds between the two closest requests (arrivals sorted)."""
    return min(b - a for a, b in itertools.pairwise(arrivals))


def shortest_span(arrivals: list[float]) -> float:
    """Seconds over the fastest WINDOW gaps in a row: a rate that noise barely moves."""
    return min(b - a for a, b in zip(arrivals, arrivals[WINDOW:], strict=False))


def crawl_args(server, store, redis_url=None, **settings):
    settings = {
        "FREELANCER_PAGE_SIZE": 25,
        "DOWNLOAD_DELAY": DELAY,
        "CONCURRENT_REQUESTS": 1,  # as on a real host: each worker holds one page at a time
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        **settings,
    }
    args = ["crawl", "freelancer_profiles", *COUNTRIES]
    args += replay_settings(server.url, store, **settings)
    return [*args, "--redis", redis_url] if redis_url else args


def request_key(request):
    return (request.path, tuple(sorted((k, tuple(v)) for k, v in request.query.items())))


def directory_pages(requests):
    return collections.Counter(
        request_key(r) for r in requests if r.path.endswith("/users/directory/")
    )


def stored(store) -> pl.DataFrame:
    columns = ("profile_id", "country", "hourly_rate_usd", "reviews", "skill_ids")
    return scan_profiles(store).select(columns).collect().sort("profile_id")


def records(store) -> list[dict]:
    return sorted(
        (json.loads(p.read_text()) for p in (store / "runs").glob("*.json")),
        key=lambda r: r["run_id"],
    )


@pytest.fixture(scope="module")
def one_process(replay, tmp_path_factory):
    """The same crawl by one ordinary process: the pages and rows the workers must match."""
    store = tmp_path_factory.mktemp("one-process")
    with ReplayServer(replay) as server:
        result = run_olm(*crawl_args(server, store, DOWNLOAD_DELAY=0, CONCURRENT_REQUESTS=8))
        pages = directory_pages(server.api_requests())
    assert result.returncode == 0, result.stderr
    return {"store": store, "pages": pages, "rows": stored(store)}


def test_two_workers_share_the_pages_the_rows_and_the_rate(
    replay, one_process, redis_url, tmp_path
):
    store = tmp_path / "store"
    with ReplayServer(replay) as server:
        args = crawl_args(server, store, redis_url)
        workers = [start_olm(*args, "--worker", name) for name in ("w1", "w2")]
        outcomes = [worker.communicate(timeout=240) for worker in workers]
        requests = list(server.requests)
    for worker, (_, err) in zip(workers, outcomes, strict=True):
        assert worker.returncode == 0, err
        assert err.count("\n") == 1 and ": complete — " in err
    # every listing page exactly once, by one worker or the other
    pages = directory_pages(requests)
    assert set(pages.values()) == {1}
    assert pages == one_process["pages"]
    # every row of the market's listings, once, in the store and even on disk
    rows = stored(store)
    assert rows.equals(one_process["rows"])
    on_disk = pl.concat(
        pl.read_parquet(p, hive_partitioning=False).select("profile_id")
        for p in store.glob("profiles/*/*/part-*.parquet")
    )
    assert on_disk.height == rows.height
    # the host never saw two requests closer than the rate allows, whichever worker sent them
    arrivals = sorted(r.received for r in requests)
    assert len(arrivals) >= 30
    assert shortest_gap(arrivals) >= FLOOR - TOLERANCE
    assert shortest_span(arrivals) >= WINDOW * FLOOR - TOLERANCE
    # each worker is a run of its own; together they account for the crawl
    w1, w2 = records(store)
    assert [r["distributed"]["worker"] for r in (w1, w2)] == ["w1", "w2"]
    assert {w1["snapshot_date"]} == {w2["snapshot_date"]}
    assert w1["distributed"]["crawl_id"] == w2["distributed"]["crawl_id"]
    assert sorted(r["distributed"]["final"] for r in (w1, w2)) == [False, True]
    final = w1 if w1["distributed"]["final"] else w2
    assert set(final["distributed"]["workers"]) == {"w1", "w2"}
    results = [w["result"] for w in final["distributed"]["workers"].values()]
    assert all(r["pages_read"] > 0 for r in results)  # both did part of the work
    assert sum(r["pages_read"] for r in results) == sum(pages.values())
    assert sum(r["items_kept"] for r in results) == rows.height
    assert w1["items_kept"]["profiles"] + w2["items_kept"]["profiles"] == rows.height
    for record in (w1, w2):
        assert record["status"] == "complete"
        assert all(entry["outcome"] == "read_to_end" for entry in record["listings"])
        assert sum(entry["pages_read"] for entry in record["listings"]) == sum(pages.values())
        assert sum(e["pages_requested"] for e in record["listings"]) == sum(pages.values())
        assert record["distributed"]["redis"] == public_url(redis_url)
    assert not any(REDIS_PASSWORD in p.read_text() for p in (store / "runs").glob("*.json"))


def test_without_the_shared_rate_two_processes_would_crowd_the_host(replay, tmp_path):
    """The check above has teeth: two ordinary processes at the same settings do come closer
    together than the rate (each keeps its own delay, not the other's)."""
    with ReplayServer(replay) as server:
        processes = [
            start_olm(*crawl_args(server, tmp_path / f"store-{i}"), "--run-id", f"alone-{i}")
            for i in (1, 2)
        ]
        for process in processes:
            process.communicate(timeout=240)
            assert process.returncode == 0
        arrivals = sorted(r.received for r in server.requests)
    assert shortest_gap(arrivals) < FLOOR - TOLERANCE
    assert shortest_span(arrivals) < WINDOW * FLOOR - TOLERANCE


def test_a_block_page_stops_every_worker(replay, redis_url, tmp_path):
    store = tmp_path / "store"
    with ReplayServer(replay, faults=Faults(block_after=6)) as server:
        args = crawl_args(server, store, redis_url, DOWNLOAD_DELAY=0.1)
        workers = [start_olm(*args, "--worker", name) for name in ("w1", "w2")]
        outcomes = [worker.communicate(timeout=240) for worker in workers]
        after_block = [r for r in server.api_requests() if r.status == 403]
    for worker, (_, err) in zip(workers, outcomes, strict=True):
        assert worker.returncode == 5, err
        assert "blocked" in err.strip().splitlines()[-1]
    assert len(after_block) <= 2  # each worker had at most the page it was sending
    assert {r["status"] for r in records(store)} == {"blocked"}


def test_a_lost_worker_makes_the_crawl_incomplete(replay, redis_url, tmp_path):
    store = tmp_path / "store"
    with ReplayServer(replay, faults=Faults(delay=0.05)) as server:
        args = crawl_args(server, store, redis_url, OLM_REDIS_WORKER_TIMEOUT=1.5)
        lost = start_olm(*args, "--worker", "lost")
        while not directory_pages(server.api_requests()) and lost.poll() is None:
            time.sleep(0.02)
        survivor = start_olm(*args, "--worker", "survivor")
        while sum(directory_pages(server.api_requests()).values()) < 8:
            time.sleep(0.02)
        lost.send_signal(signal.SIGKILL)
        lost.wait(timeout=30)
        _, err = survivor.communicate(timeout=240)
    assert survivor.returncode == 3, err
    assert "worker lost stopped answering" in err
    final = next(r for r in records(store) if r["distributed"]["worker"] == "survivor")
    assert final["status"] == "incomplete" and final["distributed"]["final"]
    assert final["distributed"]["workers"]["lost"]["state"] == "lost"
    # every listing was read to its end, or names the lost worker as what cut it short
    for entry in final["listings"]:
        if entry["outcome"] != "read_to_end":
            assert entry["outcome"] == "failed" and entry["end"] == "worker_lost", entry
            assert "lost" in entry["failures"][-1]["detail"]
    assert all(f["reason"] == "worker_lost" for e in final["listings"] for f in e["failures"])


def test_unreachable_redis_is_one_line_before_anything_is_crawled(replay, tmp_path):
    dead = f"redis://:secret@127.0.0.1:{free_port()}/0"
    with ReplayServer(replay) as server:
        result = run_olm(*crawl_args(server, tmp_path, dead))
        sent = list(server.requests)
    assert result.returncode == 4, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("olm: error: cannot reach Redis at redis://127.0.0.1:")
    assert "secret" not in result.stderr
    assert sent == [] and not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--redis", "http://127.0.0.1:6379"], "--redis takes a Redis URL"),
        (["--redis", "redis://127.0.0.1:1/0", "--worker", "no spaces"], "invalid worker id"),
        (["--redis", "redis://127.0.0.1:1/0", "--job-dir", "job"], "--job-dir does not apply"),
        (["--redis", "redis://127.0.0.1:1/0", "--run-id", "mine"], "--run-id does not apply"),
    ],
)
def test_distributed_mistakes_are_one_line_and_exit_2(replay, tmp_path, extra, message):
    with ReplayServer(replay) as server:
        result = run_olm(*crawl_args(server, tmp_path), *extra)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_scrapy_crawl_with_an_unreachable_redis_records_a_failed_run(replay, tmp_path):
    """scrapyd's way in (`scrapy crawl -s REDIS_URL=...`): the run fails before any request."""
    import os
    import subprocess
    import sys

    with ReplayServer(replay) as server:
        command = [sys.executable, "-m", "scrapy", "crawl", "freelancer_profiles"]
        command += ["-a", "countries=PK", "-s", f"REDIS_URL=redis://127.0.0.1:{free_port()}/0"]
        command += ["-s", f"OLM_STORE={tmp_path}", "-s", f"FREELANCER_BASE_URL={server.url}/api"]
        command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
        env = {**os.environ, "OLM_PSEUDONYM_KEY": TEST_KEY}
        result = subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
        )
        sent = list(server.requests)
    assert result.returncode == 0, result.stderr  # scrapy's own exit; the record tells
    (record,) = records(tmp_path)
    assert record["status"] == "failed" and record["finish_reason"] == "redis_unreachable"
    assert "cannot reach Redis" in record["problems"][0]
    assert sent == []


# -- the pieces, on a real Redis, without Scrapy -------------------------------------------------


class FakeSpider:
    name = "freelancer_profiles"
    base_url = "http://127.0.0.1:1/api"

    def __init__(self):
        self.arguments = {"countries": "PK"}


def settings(redis_url, **extra):
    return Settings(project_settings(REDIS_URL=redis_url, **extra))


class FakeCrawler:
    def __init__(self, redis_url, worker):
        self.settings = settings(redis_url, OLM_WORKER_ID=worker)


def test_workers_of_one_command_join_one_crawl_and_ids_are_unique(redis_url):
    one, two = FakeSpider(), FakeSpider()
    first = SharedCrawl.join(FakeCrawler(redis_url, "a"), one)
    second = SharedCrawl.join(FakeCrawler(redis_url, "b"), two)
    assert first.crawl_id == second.crawl_id and one.snapshot_date == two.snapshot_date
    assert one.run_id.endswith(f"-{first.crawl_id}-a") and two.run_id.endswith("-b")
    with pytest.raises(InputError, match="already taken part"):
        SharedCrawl.join(FakeCrawler(redis_url, "a"), FakeSpider())
    other = FakeSpider()
    other.arguments = {"countries": "IN"}
    assert SharedCrawl.join(FakeCrawler(redis_url, "a"), other).crawl_id != first.crawl_id
    # entities are claimed once per crawl
    assert first.claim("profiles", "p1") and not second.claim("profiles", "p1")
    # the last worker to close ends the crawl: the next start is a new crawl
    first.finish({})
    assert not first.final
    second.finish({})
    assert second.final
    assert SharedCrawl.join(FakeCrawler(redis_url, "a"), FakeSpider()).crawl_id != first.crawl_id


def test_the_shared_rate_spaces_concurrent_takers(redis_url):
    crawls = [SharedCrawl.join(FakeCrawler(redis_url, f"t{i}"), FakeSpider()) for i in range(3)]
    granted: list[float] = []
    lock = threading.Lock()

    def take(crawl, times):
        for _ in range(times):
            while (turn := crawl.turn("example.org:443", 0.05)).wait_us > 0:
                time.sleep(turn.wait_us / 1e6)
            with lock:
                granted.append(time.monotonic())

    threads = [threading.Thread(target=take, args=(c, 8)) for c in crawls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gaps = [b - a for a, b in itertools.pairwise(sorted(granted))]
    assert len(granted) == 24 and min(gaps) >= 0.05 - 0.005
    # a Retry-After holds the host for every taker
    crawls[0].hold("example.org:443", 0.5)
    assert crawls[1].turn("example.org:443", 0.05).wait_us > 400_000
    # a stop reaches every taker
    crawls[0].stop("blocked_captcha", "captcha page")
    assert crawls[2].turn("example.org:443", 0.05).stop["reason"] == "blocked_captcha"
    assert connect(redis_url).ping()


def test_distributed_workers_share_the_platform_lock_and_exclude_other_crawls(tmp_path):
    plain = "olm crawl freelancer_profiles"
    with (
        platform_locks(tmp_path, ["freelancer"], "w1", distributed=True),
        platform_locks(tmp_path, ["freelancer"], "w2", distributed=True),
        pytest.raises(PlanRunningError, match="distributed workers"),
        platform_locks(tmp_path, ["freelancer"], plain),
    ):
        pass
    with (
        platform_locks(tmp_path, ["freelancer"], plain),
        pytest.raises(PlanRunningError, match=plain),
        platform_locks(tmp_path, ["freelancer"], "w1", distributed=True),
    ):
        pass


def test_record_urls_never_show_a_password():
    assert public_url("redis://:pw@host:6379/0") == "redis://host:6379/0"
    assert public_url("redis://user:pw@host/1") == "redis://user@host/1"
    assert public_url("redis://host:6379/0") == "redis://host:6379/0"
