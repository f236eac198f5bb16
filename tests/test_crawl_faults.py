"""Every fault the platform can throw at a crawl ends in the outcome it deserves.

Real crawls (`olm crawl` in a subprocess) of the fault server (tests/fault_server.py): for each
mode the run record, the stats it carries and the exit code are checked against what the
server did. Listings are India and Pakistan; faults hit India's only, so Pakistan's listing
shows that the rest of the crawl goes on.
"""

from __future__ import annotations

import json

import pytest

from olmstats import scan_jobs, scan_profiles
from olmstats.store import read_runs
from tests.conftest import replay_settings, run_olm
from tests.fault_server import ABSURD_VALUES, SKILL_LIST, WRONG_TYPES, FaultServer

pytestmark = pytest.mark.slow
PAGE = 50
FAST = {
    "RETRY_TIMES": 2,
    "OLM_BACKOFF_BASE": 0.01,
    "FREELANCER_PAGE_SIZE": PAGE,
    "DOWNLOAD_TIMEOUT": 1,
    "CONCURRENT_REQUESTS": 2,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
}
EXIT = {"complete": 0, "incomplete": 3, "failed": 4, "blocked": 5}


def crawl(server, store, *args: str, spider: str = "freelancer_profiles", **settings):
    result = run_olm(
        "crawl", spider, *args, *replay_settings(server.url, store, **{**FAST, **settings})
    )
    records = [json.loads(p.read_text()) for p in (store / "runs").glob("*.json")]
    assert len(records) == 1, result.stderr
    return result, records[0]


def listing(record: dict, label: str) -> dict:
    return next(item for item in record["listings"] if item["listing"] == label)


def assert_every_page_accounted_for(record: dict) -> None:
    for item in record["listings"]:
        done = item["pages_read"] + item["pages_failed"] + item["pages_skipped"]
        assert item["pages_requested"] == done, item


def assert_outcome(result, record, status: str) -> None:
    assert record["status"] == status, record["problems"]
    assert result.returncode == EXIT[status], result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"freelancer_profiles: {status} — "), result.stderr
    assert record["run_id"] in last
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("mode", "page", "reason", "attempts"),
    [
        ("persistent_5xx", None, "http_500", 3),
        ("fail_page", 2, "http_500", 3),
        ("short_body", None, "short_body", 3),
        ("drop_connection", None, "connection_lost", 3),
        ("slow", None, "timeout", 3),
        ("empty_body", None, "malformed_page", 1),
        ("non_json", None, "malformed_page", 1),
        ("result_null", None, "malformed_page", 1),
        ("error_envelope", None, "api_error", 1),
        ("not_found", None, "http_404", 1),
        ("redirect_off_host", None, "redirect_off_host", 1),
    ],
)
def test_a_page_that_fails_makes_the_run_incomplete_and_says_which(
    replay, tmp_path, mode, page, reason, attempts
):
    with FaultServer(replay, mode, page=page, only="India") as server:
        result, record = crawl(server, tmp_path, "--country", "IN,PK")
        india = [r for r in server.listing_requests() if "India" in str(r.query)]
    assert_outcome(result, record, "incomplete")
    read_pages = page or 0
    failed = listing(record, "country=IN")
    assert failed["outcome"] == "failed" and failed["end"] == reason
    assert (failed["pages_read"], failed["pages_failed"]) == (read_pages, 1)
    assert failed["failures"][0]["page"] == read_pages and failed["failures"][0]["reason"] == reason
    assert failed["total_announced"] == (len(replay.served_profiles(["IN"])) if page else None)
    assert len(india) == read_pages + attempts  # retried only what is worth retrying
    pakistan = listing(record, "country=PK")
    assert pakistan["outcome"] == "read_to_end"
    assert record["data_quality"][f"page/failed/{reason}"] == 1
    assert f"country=IN page {read_pages + 1}: {reason}" in result.stderr
    # kept means written: what the store holds is what the record and the last line say
    stored = scan_profiles(tmp_path).collect()
    expected = len(replay.served_profiles(["PK"])) + PAGE * read_pages
    assert stored.height == record["items_kept"]["profiles"] == expected
    assert f"{expected:,} items written to the store" in result.stderr
    assert read_runs(tmp_path)["listings_not_read"].to_list() == [1]
    assert_every_page_accounted_for(record)


def test_a_listing_robots_txt_disallows_is_skipped_and_named(replay, tmp_path):
    with FaultServer(replay, "robots_disallow") as server:
        result, record = crawl(server, tmp_path, "--country", "IN,PK")
        assert server.listing_requests() == []  # the server never saw a listing request
    assert_outcome(result, record, "incomplete")
    for label in ("country=IN", "country=PK"):
        skipped = listing(record, label)
        assert skipped["outcome"] == "skipped_by_robots_txt"
        assert (skipped["pages_skipped"], skipped["pages_read"]) == (1, 0)
    assert record["data_quality"]["page/skipped/robots_txt"] == 2
    assert record["items_kept"] == {}
    assert "0 of 2 listings read to the end" in result.stderr


@pytest.mark.parametrize(
    ("mode", "changes"), [("wrong_types", WRONG_TYPES), ("absurd_values", ABSURD_VALUES)]
)
@pytest.mark.parametrize(
    ("spider", "key", "args"),
    [
        ("freelancer_profiles", "users", ("--country", "PK")),
        ("freelancer_jobs", "projects", ("--skill", "Python")),
    ],
)
def test_bad_values_are_fixed_or_dropped_and_counted(
    replay, tmp_path, mode, changes, spider, key, args
):
    """Against the same crawl without faults: each changed entry moves exactly its counter."""
    runs = {}
    for name in ("none", mode):
        store = tmp_path / name
        with FaultServer(replay, name) as server:
            result, record = crawl(server, store, *args, spider=spider)
        assert result.returncode == 0, result.stderr
        assert record["status"] == "complete" and record["problems"] == []
        runs[name] = record
    base, faulty = runs["none"], runs[mode]

    def counted(record: dict, what: str) -> int:
        kind, name = what.split("/", 1)
        table = record["items_dropped"] if kind == "drop" else record["data_quality"]
        return table.get(name if kind == "drop" else what, 0)

    expected = changes[key]
    for what in {w for w, _ in expected if not w.startswith("kept/")}:
        times = sum(1 for w, _ in expected if w == what)
        assert counted(faulty, what) - counted(base, what) == times, what
    drops = sum(1 for w, _ in expected if w.startswith("drop/"))
    dataset = "profiles" if key == "users" else "jobs"
    assert faulty["items_kept"][dataset] == base["items_kept"][dataset] - drops
    scan = scan_profiles if key == "users" else scan_jobs
    assert scan(tmp_path / mode).collect().height == faulty["items_kept"][dataset]


def test_a_callback_error_is_counted_and_makes_the_run_incomplete(replay, tmp_path):
    with FaultServer(replay, "none") as server:
        result, record = crawl(
            server,
            tmp_path,
            "--country",
            "IN,PK",
            spider="faulty_callback",
            SPIDER_MODULES="olmstats.platforms,tests.crawl_faults.spiders",
        )
    assert record["status"] == "incomplete" and result.returncode == 3
    assert result.stderr.strip().splitlines()[-1].startswith("faulty_callback: incomplete — ")
    broken = listing(record, "country=IN")
    assert broken["end"] == "callback_error" and broken["pages_read"] == 0
    assert "KeyError" in broken["failures"][0]["detail"]
    assert record["data_quality"]["errors/callback"] == 1
    assert listing(record, "country=PK")["outcome"] == "read_to_end"
    # the two entries before the bug were kept; the rest of India's listing was not read
    assert record["items_kept"]["profiles"] == len(replay.served_profiles(["PK"])) + 2


def test_a_pipeline_error_is_counted_and_makes_the_run_incomplete(replay, tmp_path):
    with FaultServer(replay, "none") as server:
        result, record = crawl(
            server,
            tmp_path,
            "--country",
            "PK",
            spider="faulty_pipeline",
            SPIDER_MODULES="olmstats.platforms,tests.crawl_faults.spiders",
        )
    assert record["status"] == "incomplete" and result.returncode == 3
    assert "1 item(s) lost to pipeline errors" in result.stderr
    assert record["data_quality"]["errors/pipeline/ValueError"] == 1
    assert record["items_kept"]["profiles"] == len(replay.served_profiles(["PK"])) - 1
    assert scan_profiles(tmp_path).collect().height == record["items_kept"]["profiles"]


def test_a_skill_list_that_cannot_be_read_fails_the_run(replay, tmp_path):
    with FaultServer(replay, "persistent_5xx", paths=SKILL_LIST) as server:
        result, record = crawl(server, tmp_path, "--skill", "Python", spider="freelancer_jobs")
        assert server.listing_requests() == []
    assert record["status"] == "failed" and record["finish_reason"] == "bootstrap_failed"
    assert result.returncode == 4
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("freelancer_jobs: failed — ") and "could not read the skill list" in last
    assert "http_500" in last
    assert listing(record, "skill=Python")["outcome"] == "unfinished"


def test_a_request_that_vanishes_is_a_failed_page(replay, tmp_path):
    """DepthMiddleware filters page 2 without a word to anyone: the listing still says so."""
    with FaultServer(replay, "none") as server:
        result, record = crawl(
            server, tmp_path, "--country", "IN", FREELANCER_PAGE_SIZE=20, DEPTH_LIMIT=1
        )
    assert_outcome(result, record, "incomplete")
    india = listing(record, "country=IN")
    assert (india["pages_read"], india["pages_failed"], india["end"]) == (1, 1, "no_response")
    assert record["data_quality"]["page/failed/no_response"] == 1
    assert_every_page_accounted_for(record)


def test_a_skill_named_twice_is_one_listing(replay, tmp_path):
    with FaultServer(replay, "none") as server:
        args = ("--country", "PK", "--skill", "Graphic Design,graphic design,graphic_design")
        result, record = crawl(server, tmp_path, *args)
    assert_outcome(result, record, "complete")
    assert [item["listing"] for item in record["listings"]] == ["country=PK skill=Graphic Design"]
    assert record["data_quality"]["listing/same_skill_named_twice"] == 1  # the SEO slug


def test_a_page_size_the_api_cannot_serve_is_refused(replay, tmp_path):
    with FaultServer(replay, "none") as server:
        result, record = crawl(server, tmp_path, "--country", "PK", FREELANCER_PAGE_SIZE=200)
        assert server.requests == []
    assert result.returncode == 2 and record["finish_reason"] == "bad_arguments"
    assert "FREELANCER_PAGE_SIZE must be 1 to 100" in result.stderr
