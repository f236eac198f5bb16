"""The store: atomic part files, partition pruning, clear errors for missing or empty stores."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from olmstats import StoreError, scan_jobs, scan_profiles
from olmstats.schema import PROFILES
from olmstats.store import PartWriter, partition_dir


def row(n: int, country: str = "PK") -> dict:
    return {
        "profile_id": f"{n:032x}",
        "country": country,
        "registration_date": date(2020, 1, 1),
        "hourly_rate": 10.0,
        "hourly_rate_currency": "USD",
        "hourly_rate_usd": 10.0,
        "fx_usd_per_unit": 1.0,
        "fx_source": "identity",
        "reviews": 1,
        "jobs_completed": 1,
        "jobs_total": 1,
        "rating": 5.0,
        "completion_rate": 1.0,
        "on_time": 1.0,
        "on_budget": 1.0,
        "earnings_score": 1.0,
        "skill_ids": ["13"],
        "skills": ["Python"],
        "occupation": "software_technology",
        "query_country": None,
        "query_skill": None,
        "extras": [],
        "observed_at": datetime(2026, 11, 23, tzinfo=UTC),
        "run_id": "run",
    }


def write(store, snapshot: date, rows: list[dict], run_id: str = "run") -> None:
    writer = PartWriter(
        store, PROFILES, platform="freelancer", snapshot_date=snapshot, run_id=run_id
    )
    for r in rows:
        writer.add(r)
    writer.close()


def test_missing_and_empty_stores_are_named(tmp_path):
    with pytest.raises(StoreError, match="store not found"):
        scan_profiles(tmp_path / "nowhere")
    with pytest.raises(StoreError, match="has no profiles"):
        scan_profiles(tmp_path)
    write(tmp_path, date(2026, 11, 23), [row(1)])
    with pytest.raises(StoreError, match="has no jobs"):
        scan_jobs(tmp_path)


def test_hidden_temporary_files_are_invisible(tmp_path):
    write(tmp_path, date(2026, 11, 23), [row(1), row(2)])
    folder = partition_dir(tmp_path, PROFILES, "freelancer", date(2026, 11, 23))
    # what a crash between writing and renaming leaves behind
    (folder / ".part-crashed-00000.parquet.tmp").write_bytes(b"PAR1 half a file")
    assert scan_profiles(tmp_path).collect().height == 2


def test_partition_filters_prune_files(tmp_path):
    write(tmp_path, date(2026, 11, 23), [row(1), row(2)])
    write(tmp_path, date(2026, 11, 24), [row(3)], run_id="run2")
    lazy = scan_profiles(tmp_path).filter(pl.col("snapshot_date") == date(2026, 11, 24))
    plan = lazy.explain()
    assert "snapshot_date=2026-11-24" in plan and "snapshot_date=2026-11-23" not in plan
    frame = lazy.collect()
    assert frame["profile_id"].to_list() == [f"{3:032x}"]
    assert frame.columns[:2] == ["platform", "snapshot_date"]
    assert frame.schema["snapshot_date"] == pl.Date()


def test_scan_returns_the_documented_schema(tmp_path):
    write(tmp_path, date(2026, 11, 23), [row(1, country="NA")])
    frame = scan_profiles(tmp_path).collect()
    assert dict(frame.schema) == {
        "platform": pl.String(),
        "snapshot_date": pl.Date(),
        **dict(PROFILES.polars_schema),
    }
    assert frame["country"].to_list() == ["NA"]  # Namibia, not null
