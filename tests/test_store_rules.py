"""Store rules: nothing is overwritten, readers cannot double-count, damage is named not fatal.

Stores are written with the real writer; damage is done to them the way people and crashes do
it (copies, truncation, foreign files, odd folders, broken run records). Every case is checked
three ways: the library (rows and a StoreWarning), ``olm summary`` (the table still prints,
with one warning line) and ``olm store check`` (the problem listed with its path, exit 1).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from olmstats import scan_profiles
from olmstats.errors import StoreError, StoreWarning, StoreWriteError
from olmstats.schema import JOBS, PROFILES
from olmstats.store import (
    PartWriter,
    check_store,
    create_run_record,
    partition_dir,
    store_notes,
    write_frame,
)
from tests.conftest import ROOT, TEST_KEY, replay_settings, run_olm
from tests.fault_server import FaultServer
from tests.test_store import row

DAY, NEXT = date(2026, 11, 23), date(2026, 11, 24)


def record(run_id: str, **fields) -> dict:
    return {
        "run_id": run_id,
        "spider": "test",
        "status": "complete",
        "started_at": "2026-11-23T00:00:00+00:00",
        "items_kept": {},
        "items_dropped": {},
        "data_origin": "platform",
        **fields,
    }


def profiles(ids, run_id: str, hour: int = 0, country: str = "PK") -> pl.DataFrame:
    rows = []
    for n in ids:
        r = row(n, country)
        r.update(run_id=run_id, observed_at=datetime(2026, 11, 23, hour, tzinfo=UTC))
        rows.append(r)
    return pl.DataFrame(rows, schema=PROFILES.polars_schema)


def put(store, frame: pl.DataFrame, run_id: str, day: date = DAY, **fields) -> None:
    write_frame(store, PROFILES, frame, platform="freelancer", snapshot_date=day, run_id=run_id)
    create_run_record(store, record(run_id, **fields))


@pytest.fixture
def store(tmp_path):
    """30 Pakistani profiles of run r1 on 2026-11-23, with its run record."""
    put(tmp_path, profiles(range(30), "r1"), "r1")
    return tmp_path


def part(store, day: date = DAY, name: str = "part-r1-00000.parquet"):
    return partition_dir(store, PROFILES, "freelancer", day) / name


def digest(folder) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def read(store) -> tuple[pl.DataFrame, list[str]]:
    with pytest.warns() as caught:
        frame = scan_profiles(store).collect()
    messages = [str(w.message) for w in caught if issubclass(w.category, StoreWarning)]
    return frame, messages


# -- nothing is overwritten ------------------------------------------------------------------


def test_write_frame_refuses_to_replace_a_file(store):
    before = digest(store)
    with pytest.raises(StoreWriteError, match=r"refusing to overwrite .*part-r1-00000"):
        put(store, profiles(range(5), "r1"), "r1")
    assert digest(store) == before


def test_a_part_file_is_never_replaced_even_by_its_own_writer(tmp_path):
    writer = PartWriter(tmp_path, PROFILES, platform="freelancer", snapshot_date=DAY, run_id="r")
    writer.directory.mkdir(parents=True)
    taken = writer.directory / "part-r-00000.parquet"
    taken.write_bytes(b"someone else's file")
    writer.add(row(1))
    with pytest.raises(StoreWriteError, match="refusing to overwrite"):
        writer.flush()
    assert taken.read_bytes() == b"someone else's file"
    assert sorted(p.name for p in writer.directory.iterdir()) == ["part-r-00000.parquet"]
    assert writer.rows_written == 0 and writer.buffered == 1  # not counted as written


def test_a_run_record_is_created_once(store):
    with pytest.raises(StoreWriteError, match="run id r1 already exists"):
        create_run_record(store, record("r1", status="running"))
    assert json.loads((store / "runs" / "r1.json").read_text())["status"] == "complete"


@pytest.mark.slow
def test_a_reused_run_id_is_refused_before_crawling(replay, tmp_path):
    with FaultServer(replay, "none") as server:
        args = ["--country", "PK", *replay_settings(server.url, tmp_path), "--run-id", "mine"]
        first = run_olm("crawl", "freelancer_profiles", *args)
        assert first.returncode == 0, first.stderr
        before, seen = digest(tmp_path), len(server.requests)
        again = run_olm("crawl", "freelancer_profiles", *args)
        assert again.returncode == 2 and "run id mine already exists" in again.stderr
        assert again.stderr.count("\n") == 1
        # Scrapy run directly (as scrapyd does): the spider itself refuses before any request
        direct = subprocess.run(
            [
                *("python", "-m", "scrapy", "crawl", "freelancer_profiles"),
                *("-a", "countries=PK", "-a", "run_id=mine"),
                *("-s", f"FREELANCER_API_URL={server.url}/api", "-s", f"OLM_STORE={tmp_path}"),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            env={
                **os.environ,
                "OLM_PSEUDONYM_KEY": TEST_KEY,
                "PATH": str(Path(sys.executable).parent),
            },
        )
        assert len(server.requests) == seen  # neither asked the platform for anything
    assert "'finish_reason': 'run_id_exists'" in direct.stderr
    assert digest(tmp_path) == before  # the first run's files and record are untouched


# -- readers cannot double-count -------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "kind"),
    [
        ((DAY, "part-r1-00000 (copy).parquet"), "stray_file"),
        ((DAY, "copy.parquet"), "stray_file"),
        ((DAY, "part-r1-00007.parquet"), "misplaced_copy"),
        ((NEXT, "part-r1-00000.parquet"), "misplaced_copy"),
    ],
)
def test_a_stray_copy_changes_no_count(store, where, kind):
    day, name = where
    target = part(store, day, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(part(store), target)
    frame, warnings = read(store)
    assert frame.height == 30 and frame["profile_id"].is_unique().all()
    assert len(warnings) == 1 and str(target) in warnings[0] and "olm store check" in warnings[0]
    problems = check_store(store).problems
    assert [(p.path, p.kind) for p in problems] == [(target, kind)]


def test_a_second_run_on_the_same_day_changes_no_count(store):
    # r2 sees 20 of the same profiles later that day, plus 10 new ones; rates changed
    later = profiles(range(10, 40), "r2", hour=6).with_columns(hourly_rate_usd=pl.lit(12.0))
    put(store, later, "r2")
    frame = scan_profiles(store).collect()
    assert frame.height == 40  # one row per profile per snapshot
    newest = frame.filter(pl.col("profile_id").is_in([f"{n:032x}" for n in range(10, 40)]))
    assert (newest["run_id"] == "r2").all() and (newest["hourly_rate_usd"] == 12.0).all()
    assert (frame.filter(pl.col("run_id") == "r1").height, newest.height) == (10, 30)


def test_a_recrawl_after_a_kill_changes_no_count(store):
    # the killed run r1 is "running"; r2 crawls the same 30 profiles again that day
    (store / "runs" / "r1.json").unlink()
    create_run_record(store, record("r1", status="running"))
    put(store, profiles(range(30), "r2", hour=3), "r2")
    assert scan_profiles(store).collect().height == 30
    summary = run_olm("summary", "--store", str(store), "--format", "csv", check=True)
    assert pl.read_csv(summary.stdout.encode())["profiles"].to_list() == [30]


def test_different_snapshots_are_kept_apart(store):
    put(store, profiles(range(30), "r2"), "r2", day=NEXT)
    frame = scan_profiles(store).collect()
    assert frame.height == 60 and frame["snapshot_date"].n_unique() == 2


# -- damaged stores are reported, not fatal ---------------------------------------------------


def damage_truncated(store):
    path = part(store)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path, "unreadable"


def damage_garbage(store):
    path = part(store, name="part-r9-00000.parquet")
    path.write_bytes(b"this is not parquet at all")
    create_run_record(store, record("r9"))
    return path, "unreadable"


def damage_foreign_schema(store):
    path = part(store, name="part-r9-00000.parquet")
    pl.DataFrame({"profile_id": ["x"], "colour": ["blue"]}).write_parquet(path)
    create_run_record(store, record("r9"))
    return path, "foreign_schema"


def damage_jobs_in_profiles(store):
    from tests.test_summary import job_row

    writer = PartWriter(store, JOBS, platform="freelancer", snapshot_date=DAY, run_id="r9")
    writer.add(job_row(1, "US"))
    writer.flush()
    target = part(store, name="part-r9-00000.parquet")
    shutil.move(writer.files[0], target)
    create_run_record(store, record("r9"))
    return target, "foreign_schema"


def damage_dtypes(store):
    path = part(store, name="part-r9-00000.parquet")
    frame = profiles([99], "r9").with_columns(pl.col("hourly_rate_usd").cast(pl.String))
    frame.write_parquet(path, metadata={"olmstats.dataset": "profiles", "olmstats.run_id": "r9"})
    create_run_record(store, record("r9"))
    return path, "mismatched_dtypes"


def damage_bad_partition(store):
    folder = store / "profiles" / "platform=freelancer" / "snapshot_date=notadate"
    folder.mkdir()
    shutil.copy(part(store), folder / "part-r1-00000.parquet")
    return folder, "bad_partition"


def damage_bad_platform(store):
    folder = store / "profiles" / "platform=Free Lancer!"
    folder.mkdir()
    return folder, "bad_partition"


@pytest.mark.parametrize(
    "damage",
    [
        damage_truncated,
        damage_garbage,
        damage_foreign_schema,
        damage_jobs_in_profiles,
        damage_dtypes,
        damage_bad_partition,
        damage_bad_platform,
    ],
)
def test_a_damaged_file_is_skipped_and_named(store, damage):
    path, kind = damage(store)
    survivors = 0 if damage is damage_truncated else 30
    if survivors:
        frame, warnings = read(store)
        assert frame.height == survivors
        assert len(warnings) == 1 and str(path) in warnings[0] and kind in warnings[0]
        summary = run_olm("summary", "--store", str(store), "--format", "csv")
        assert summary.returncode == 0, summary.stderr
        lines = summary.stderr.splitlines()
        (warning,) = [line for line in lines if line.startswith("olm: warning:")]
        assert "1 damaged or foreign profiles entry" in warning and "olm store check" in warning
    else:
        summary = run_olm("summary", "--store", str(store))
        assert summary.returncode == 2 and "Traceback" not in summary.stderr
        assert "has no profiles yet (1 damaged or foreign files skipped" in summary.stderr
    check = run_olm("store", "check", "--store", str(store))
    assert check.returncode == 1 and "Traceback" not in check.stderr
    listed = check.stdout.strip().splitlines()
    assert len(listed) == 1 and listed[0].split()[0] == kind and str(path) in listed[0]


def test_data_pages_that_do_not_decode_are_found_by_the_deep_check(store):
    path = part(store)
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    end = len(data) - 8 - footer
    data[4:end] = b"\xff" * (end - 4)  # every data page garbled, the footer intact
    path.write_bytes(bytes(data))
    report = check_store(store)
    assert [(p.path, p.kind) for p in report.problems] == [(path, "unreadable")]
    summary = run_olm("summary", "--store", str(store))
    assert summary.returncode == 1 and summary.stderr.count("\n") == 1
    assert "olm store check" in summary.stderr and "Traceback" not in summary.stderr


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "cannot read it"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"run_id": "r1", "status": "finished?", "spider": "s", "started_at": "x"}', "status"),
        (
            b'{"run_id": "r1", "status": "complete", "spider": "s", "started_at": "x", '
            b'"items_kept": {"profiles": "many"}}',
            "items_kept",
        ),
        (b'{"run_id": "other", "status": "complete", "spider": "s", "started_at": "x"}', "run_id"),
    ],
)
def test_a_broken_run_record_is_named_and_its_rows_lose_their_provenance(store, content, why):
    (store / "runs" / "r1.json").write_bytes(content)
    assert scan_profiles(store).collect().height == 30  # the rows are still read
    notes = store_notes(store)
    assert any(n.startswith("PROVENANCE UNKNOWN for 1 run(s) (r1)") for n in notes)
    check = run_olm("store", "check", "--store", str(store))
    assert check.returncode == 1
    kinds = sorted(line.split()[0] for line in check.stdout.splitlines())
    assert kinds == ["bad_run_record", "no_run_record"] and why in check.stdout
    summary = run_olm("summary", "--store", str(store), check=True)
    assert "PROVENANCE UNKNOWN" in summary.stdout
    runs = run_olm("runs", "--store", str(store))
    assert runs.returncode == 2 and "Traceback" not in runs.stderr  # its only record is broken
    warning, error = runs.stderr.strip().splitlines()
    assert warning.startswith("olm: warning: 1 run record(s)") and "olm store check" in warning
    assert error == f"olm: error: no run records in {store}"


def test_a_store_without_run_records_says_its_provenance_is_unknown(store):
    shutil.rmtree(store / "runs")
    assert "PROVENANCE UNKNOWN" in run_olm("summary", "--store", str(store), check=True).stdout


def test_a_clean_store_checks_clean(store):
    check = run_olm("store", "check", "--store", str(store))
    assert check.returncode == 0 and check.stdout == ""
    assert "30 profiles rows in 1 files" in check.stderr and "no problems" in check.stderr


def test_tables_say_when_they_include_runs_that_never_finished(store):
    put(store, profiles(range(40, 50), "r2"), "r2", day=NEXT, status="running")
    put(store, profiles(range(50, 55), "r3"), "r3", day=NEXT, status="incomplete")
    notes = store_notes(store)
    assert "Includes rows of 1 run(s) that never finished (killed, or still running): r2." in notes
    assert any(
        n.startswith("Includes rows of 1 run(s) that did not read every listing: r3") for n in notes
    )


def test_a_store_whose_jobs_are_all_damaged_still_gives_its_profiles(store):
    folder = partition_dir(store, JOBS, "freelancer", DAY)
    folder.mkdir(parents=True)
    (folder / "part-r9-00000.parquet").write_bytes(b"garbage")
    summary = run_olm("summary", "--store", str(store), "--format", "csv")
    assert summary.returncode == 0, summary.stderr
    assert pl.read_csv(summary.stdout.encode())["profiles"].to_list() == [30]
    assert "olm: warning: 1 damaged or foreign jobs entry" in summary.stderr
    assert "No jobs in this store" in summary.stderr


def test_folders_that_are_files_and_records_without_origin_are_problems(store):
    (store / "runs" / "r1.json").write_text(
        json.dumps(record("r1", data_origin=None)), encoding="utf-8"
    )
    (store / "jobs").write_text("a file where a folder belongs")
    kinds = {(p.kind, p.path.name) for p in check_store(store).problems}
    assert kinds == {("no_data_origin", "r1.json"), ("stray_file", "jobs")}


def test_a_writer_leaves_another_writers_temporary_file_alone(tmp_path):
    writer = PartWriter(tmp_path, PROFILES, platform="freelancer", snapshot_date=DAY, run_id="r")
    writer.directory.mkdir(parents=True)
    theirs = writer.directory / ".part-r-00000.parquet.tmp"
    theirs.write_bytes(b"half of someone else's file")
    writer.add(row(1))
    with pytest.raises(StoreWriteError, match="another writer is writing it"):
        writer.flush()
    assert theirs.read_bytes() == b"half of someone else's file"


def test_a_writer_refuses_a_repeated_key_unless_its_caller_claimed_every_key(tmp_path):
    """By default a run's writer remembers its keys and refuses one twice; a distributed
    worker's writer (``keys_claimed``: each key claimed in Redis first) keeps none, and the
    claim is then the only guard (tests/test_distributed.py: each row once, even on disk)."""
    own = PartWriter(tmp_path, PROFILES, platform="freelancer", snapshot_date=DAY, run_id="r")
    own.add(row(1))
    with pytest.raises(StoreError, match="repeats within one run"):
        own.add(row(1))
    claimed = PartWriter(
        tmp_path, PROFILES, platform="freelancer", snapshot_date=DAY, run_id="w", keys_claimed=True
    )
    claimed.add(row(1))
    claimed.add(row(1))  # not checked here: the caller's claim is the guard
    claimed.flush()
    assert claimed.rows_written == 2
