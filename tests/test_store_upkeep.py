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
