"""Store upkeep: `olm store du` against the files on disk."""

from __future__ import annotations

import io

import polars as pl

from olmstats.simulate import MarketParameters, PanelParameters, simulate_panel, write_panel_store
from olmstats.store.usage import disk_usage
from tests.conftest import TEST_KEY, run_olm


def test_du_counts_every_file_row_and_byte_by_month(tmp_path):
    panel = simulate_panel(
        MarketParameters(seed=3, n_profiles=600), PanelParameters(waves=3, months_between=1)
    )
    store = tmp_path / "store"
    write_panel_store(panel, store, key=TEST_KEY)
    # a damaged copy readers skip: counted apart, never in a month's rows
    day = sorted((store / "profiles" / "platform=freelancer").iterdir())[0]
    junk = day / "part-20990101T000000Z-x-00000.parquet"
    junk.write_bytes(b"not parquet at all")
    table = disk_usage(store)
    months = table.filter(pl.col("dataset") == "profiles")
    expected = (
        panel.observations.group_by(month=pl.col("snapshot_date").dt.strftime("%Y-%m"))
        .agg(rows=pl.len())
        .sort("month")
    )
    assert months["month"].to_list() == expected["month"].to_list()
    assert months["rows"].to_list() == expected["rows"].to_list()
    for row in months.iter_rows(named=True):
        files = [
            p
            for folder in (store / "profiles" / "platform=freelancer").glob(
                f"snapshot_date={row['month']}-*"
            )
            for p in folder.glob("part-*.parquet")
            if p != junk
        ]
        assert row["files"] == len(files)
        assert row["bytes"] == sum(p.stat().st_size for p in files)
    runs = table.filter(pl.col("dataset") == "runs").row(0, named=True)
    assert runs["files"] == len(list((store / "runs").glob("*.json"))) == 3
    skipped = table.filter(pl.col("dataset") == "(skipped)").row(0, named=True)
    assert (skipped["files"], skipped["bytes"]) == (1, len(b"not parquet at all"))
    shown = run_olm("store", "du", "--store", str(store), "-f", "csv")
    assert shown.returncode == 0, shown.stderr
    assert pl.read_csv(io.StringIO(shown.stdout)).height == table.height
    assert "total" in shown.stderr
    missing = run_olm("store", "du", "--store", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


# -- olm store compact -------------------------------------------------------------------------


def part_files(store):
    return sorted((store / "profiles").glob("platform=*/snapshot_date=*/part-*.parquet"))


def every_row(store) -> pl.DataFrame:
    """Every row on disk (no deduplication), in a fixed order: what compaction must keep."""
    frames = [
        pl.read_parquet(p, hive_partitioning=False).with_columns(
            snapshot_date=pl.lit(p.parent.name.removeprefix("snapshot_date="))
        )
        for p in part_files(store)
    ]
    return pl.concat(frames).sort("snapshot_date", "profile_id", "run_id")


def add_run(store, frame, day, run_id, rows_per_file):
    from olmstats.schema import PROFILES
    from olmstats.store import write_frame
    from olmstats.store.runs import importing

    with importing(
        store, run_id, source="test", data_origin="simulated (test)", snapshot_date=str(day)
    ) as items:
        write_frame(
            store,
            PROFILES,
            frame.with_columns(run_id=pl.lit(run_id)),
            platform="freelancer",
            snapshot_date=day,
            run_id=run_id,
            rows_per_file=rows_per_file,
        )
        items["profiles"] = frame.height


def test_compact_merges_closed_days_and_changes_no_row_or_count(tmp_path):
    import shutil
    from datetime import UTC, date, datetime

    from olmstats import scan_profiles
    from olmstats.schema import PROFILES
    from olmstats.store import index_dataset, store_notes
    from olmstats.store.compaction import compact_store
    from olmstats.store.runs import load_run_records, update_run_record

    market = MarketParameters(seed=4, n_profiles=500, as_of=datetime(2026, 6, 1, tzinfo=UTC))
    panel = simulate_panel(market, PanelParameters(waves=3, months_between=1))
    store = tmp_path / "store"
    write_panel_store(panel, store, key=TEST_KEY)
    june, july, august = panel.snapshot_dates
    first = scan_profiles(store).filter(pl.col("snapshot_date") == june).collect()
    # June: crawled again the same day (every profile twice, in files of 120 rows); July: a
    # second run wrote part of the day in files of 37 rows; today: two files, never compacted
    add_run(store, first, june, "again-june", 120)
    add_run(store, first.head(150), july, "more-july", 37)
    today = datetime.now(UTC).date()
    add_run(store, first.head(80), today, "today", 50)
    # August: a run still marked running writes to it (killed, or going): left alone
    add_run(store, first.head(60), august, "running-august", 30)
    record = load_run_records(store)[0]["running-august"]
    update_run_record(store, {**record, "status": "running", "finished_at": None})

    rows_before = every_row(store)
    counted_before = scan_profiles(store).collect().sort("snapshot_date", "profile_id")
    notes_before = store_notes(store)
    summary_before = run_olm("summary", "--store", str(store), "-f", "csv", check=True).stdout
    runs_before = index_dataset(store, PROFILES).run_ids()
    assert counted_before.height < rows_before.height  # June's second crawl: duplicates on disk
    june_folder = store / "profiles" / "platform=freelancer" / f"snapshot_date={june}"
    backup = tmp_path / "june-before"
    shutil.copytree(june_folder, backup)

    result = run_olm("store", "compact", "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert "2 partition(s) compacted, 1 left as they are" in result.stderr
    assert f"snapshot_date={august}: a run writing this day is still marked running" in (
        result.stdout
    )
    by_day = {}
    for path in part_files(store):
        by_day.setdefault(path.parent.name, []).append(path.name)
    assert len(by_day[f"snapshot_date={june}"]) == 1 and by_day[f"snapshot_date={june}"][
        0
    ].startswith("part-compact-")
    assert len(by_day[f"snapshot_date={july}"]) == 1
    assert len(by_day[f"snapshot_date={august}"]) == 3  # 1 + 60/30, untouched
    assert len(by_day[f"snapshot_date={today}"]) == 2  # today is never compacted
    # every row kept as it was, each count as it was, provenance the same runs
    assert every_row(store).equals(rows_before)
    assert scan_profiles(store).collect().sort("snapshot_date", "profile_id").equals(counted_before)
    assert run_olm("summary", "--store", str(store), "-f", "csv", check=True).stdout == (
        summary_before
    )
    assert index_dataset(store, PROFILES).run_ids() == runs_before
    assert "again-june" in runs_before
    assert store_notes(store) == notes_before
    check = run_olm("store", "check", "--store", str(store))
    assert check.returncode == 0, check.stdout + check.stderr
    # a reader listing the folder between the new file's link and the old files' removal sees
    # both: the counting rule keeps every count
    for old in backup.iterdir():
        shutil.copy2(old, june_folder / old.name)
    assert scan_profiles(store).collect().sort("snapshot_date", "profile_id").equals(counted_before)
    # an interrupted compaction (new file in, old ones not all removed) compacted again: the
    # copies merge into one set, never twice
    again = run_olm("store", "compact", "--store", str(store))
    assert again.returncode == 0, again.stderr
    assert len(list(june_folder.glob("part-*.parquet"))) == 1
    assert every_row(store).equals(rows_before)
    assert scan_profiles(store).collect().sort("snapshot_date", "profile_id").equals(counted_before)
    # again: nothing left to merge; a dry run writes nothing
    again = compact_store(store, until=date(2026, 12, 31), dry_run=True)
    assert [p.skipped for p in again.partitions] == [
        "a run writing this day is still marked running"
    ]
