"""Stores written by an earlier schema keep reading: converted as they are read."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import polars as pl

from olmstats import scan_jobs, scan_profiles
from olmstats.schema import JOBS, PROFILES, SCHEMA_VERSION
from olmstats.store import check_store, write_frame
from tests.conftest import ROOT, run_olm

FIXTURE = ROOT / "tests" / "fixtures" / "store-schema1"
DAY = date(2026, 12, 1)  # the fixture's snapshot


def test_the_fixture_is_what_it_says():
    versions = {
        pl.read_parquet_metadata(p)["olmstats.schema_version"]
        for p in FIXTURE.rglob("part-*.parquet")
    }
    assert versions == {"1"} and SCHEMA_VERSION == 2


def test_a_schema_1_store_reads_in_todays_schema(tmp_path):
    store = tmp_path / "store"
    shutil.copytree(FIXTURE, store)
    profiles = scan_profiles(store).collect()
    assert profiles.height == 129
    assert profiles.schema["skill_ids"] == pl.List(pl.String)
    assert profiles["extras"].list.len().sum() == 0
    assert set(profiles["country"]) == {"NA", "KE", "PK"}
    # the stored ints became their text: the simulated skill 13 (Python) reads as "13"
    raw = pl.read_parquet(next((store / "profiles").rglob("*.parquet")))
    assert raw["skill_ids"].dtype == pl.List(pl.Int64)
    assert profiles.sort("profile_id")["skill_ids"].to_list() == (
        raw.sort("profile_id")["skill_ids"].cast(pl.List(pl.String)).to_list()
    )
    assert scan_jobs(store).collect().height == 13
    assert check_store(store).ok
    summary = run_olm("summary", "--store", str(store), "--format", "csv", check=True)
    assert pl.read_csv(summary.stdout.encode())["profiles"].sum() == 129


def test_old_and_new_files_in_one_snapshot_count_each_entity_once(tmp_path):
    store = tmp_path / "store"
    shutil.copytree(FIXTURE, store)
    old = scan_profiles(store).collect()
    again = old.head(50).with_columns(
        observed_at=pl.lit(datetime(2026, 12, 1, 23, tzinfo=UTC)),
        hourly_rate_usd=pl.lit(42.0),
    )
    write_frame(
        store,
        PROFILES,
        again.drop("platform", "snapshot_date"),
        platform="freelancer",
        snapshot_date=DAY,
        run_id="schema2-later",
    )
    new = next((store / "profiles").rglob("part-schema2-later-*.parquet"))
    assert pl.read_parquet_metadata(new)["olmstats.schema_version"] == "2"
    both = scan_profiles(store).collect()
    assert both.height == 129  # one row per profile per snapshot, across versions
    later = both.filter(pl.col("run_id") == "schema2-later")
    assert later.height == 50 and (later["hourly_rate_usd"] == 42.0).all()
    summary = run_olm("summary", "--store", str(store), "--format", "csv", check=True)
    assert pl.read_csv(summary.stdout.encode())["profiles"].sum() == 129
    assert JOBS.column("extras").nullable is False
