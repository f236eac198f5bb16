"""Kept means written: a store that cannot be written stops the crawl, says so, leaves nothing.

Real crawls of the replay into stores that are a file, read-only, full before the crawl, or
full half-way. Where the test runs as root, the read-only and full stores are small tmpfs
mounts made by the test; a full disk is also injected (tests/inject_enospc) so the half-way
case runs on every machine.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from olmstats import scan_profiles
from tests.conftest import ROOT, replay_settings, run_olm
from tests.fault_server import FaultServer

pytestmark = pytest.mark.slow
COUNTRIES = "IN,PK,BD,US"
SMALL_FILES = {"OLM_STORE_ROWS_PER_FILE": 20, "FREELANCER_PAGE_SIZE": 20}


@pytest.fixture
def tmpfs(tmp_path):
    """mount(size, read_only=False) -> a fresh tmpfs folder; skipped where mounting is denied."""
    mounted: list[Path] = []

    def mount(size: str, read_only: bool = False) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], check=False)


def crawl(replay, store: Path, env: dict[str, str] | None = None, **settings):
    with FaultServer(replay, "none") as server:
        result = run_olm(
            "crawl",
            "freelancer_profiles",
            "--country",
            COUNTRIES,
            *replay_settings(server.url, store, **settings),
            env=env,
        )
        return result, server.listing_requests()


def assert_failed_line(result, message: str) -> str:
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("freelancer_profiles: failed — ") and message in lines[0]
    assert "store_write_failed" in lines[0]
    return lines[0]


def leftovers(store: Path) -> list[Path]:
    return sorted(p for p in store.rglob("*") if p.name.endswith(".tmp"))


def the_record(store: Path) -> dict:
    (path,) = (store / "runs").glob("*.json")
    return json.loads(path.read_text())


def test_a_store_that_is_a_file_fails_before_any_request(replay, tmp_path):
    store = tmp_path / "store"
    store.write_text("not a folder")
    result, requests = crawl(replay, store)
    assert_failed_line(result, "is a file, not a folder")
    assert requests == []
    assert store.read_text() == "not a folder"


def test_a_read_only_store_fails_before_any_request(replay, tmp_path, tmpfs):
    store = tmpfs("1m", read_only=True) / "store"
    result, requests = crawl(replay, store)
    assert_failed_line(result, "Read-only file system")
    assert requests == []


def test_a_full_disk_fails_before_any_request(replay, tmpfs):
    store = tmpfs("160k") / "store"  # room for the probe and the record, not the reserve
    result, requests = crawl(replay, store)
    assert_failed_line(result, "No space left on device")
    assert requests == []
    assert the_record(store)["status"] == "failed"
    assert leftovers(store) == []


def check_half_way(store: Path, result) -> None:
    line = assert_failed_line(result, "No space left on device")
    record = the_record(store)
    assert record["status"] == "failed"
    assert record["problems"][0].startswith("store_write_failed: cannot write ")
    stored = scan_profiles(store).collect().height
    kept, lost = record["items_kept"]["profiles"], record["items_lost"]["profiles"]
    assert stored == kept > 0 and lost > 0  # kept counts what is in the store, not more
    assert f"{kept:,} items written to the store" in line and f"{lost:,} lost" in line
    assert len(record["files"]) == kept // SMALL_FILES["OLM_STORE_ROWS_PER_FILE"]
    assert leftovers(store) == []


def test_a_disk_that_fills_half_way_stops_at_the_first_failed_write(replay, tmpfs):
    store = tmpfs("600k") / "store"
    result, _ = crawl(replay, store, **SMALL_FILES)
    check_half_way(store, result)


def test_an_injected_full_disk_stops_at_the_first_failed_write(replay, tmp_path):
    store = tmp_path / "store"
    env = {
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "inject_enospc"), str(ROOT)]),
        "OLM_TEST_ENOSPC_AFTER_FILES": "5",
    }
    result, _ = crawl(replay, store, env=env, **SMALL_FILES)
    check_half_way(store, result)
    assert the_record(store)["items_kept"]["profiles"] == 5 * 20
