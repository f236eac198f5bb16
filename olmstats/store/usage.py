"""How much disk a store takes, by dataset, platform and month (``olm store du``)."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from olmstats.schema import DATASETS
from olmstats.store.layout import PLANS_DIR, RUNS_DIR
from olmstats.store.scanning import index_dataset

USAGE_COLUMNS = {
    "dataset": pl.String,
    "platform": pl.String,
    "month": pl.String,
    "files": pl.Int64,
    "rows": pl.Int64,
    "bytes": pl.Int64,
}


def _tree_bytes(folder: Path) -> tuple[int, int]:
    """(files, bytes) under *folder*, symlinks not followed."""
    files = size = 0
    for parent, _, names in os.walk(folder):
        for name in names:
            path = Path(parent) / name
            try:
                size += path.lstat().st_size
            except OSError:
                continue
            files += 1
    return files, size


def disk_usage(store: Path | str) -> pl.DataFrame:
    """One row per (dataset, platform, month of the snapshot) with the files readers take,
    their rows (from the Parquet footers) and bytes; then one row each for the run records,
    the plans' folder and the files readers skip (damaged or foreign: ``olm store check``).
    Rows are rows on disk: a profile crawled twice on one day is counted twice here, once by
    the tables."""
    from olmstats.store.scanning import require_store

    root = require_store(store)
    cells: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    skipped = [0, 0, 0]
    for dataset in DATASETS.values():
        index = index_dataset(root, dataset)
        for part in index.files:
            try:
                rows, size = pq.ParquetFile(part.path).metadata.num_rows, part.path.stat().st_size
            except FileNotFoundError:  # removed meanwhile (olm store compact): not on disk now
                continue
            cell = cells[(dataset.name, part.platform, part.snapshot_date.strftime("%Y-%m"))]
            cell[0] += 1
            cell[1] += rows
            cell[2] += size
        for problem in index.skipped:
            if problem.path.is_file():
                skipped[0] += 1
                skipped[2] += problem.path.stat().st_size
    rows = [
        {"dataset": d, "platform": p, "month": m, "files": f, "rows": n, "bytes": b}
        for (d, p, m), (f, n, b) in sorted(cells.items())
    ]
    for name in (RUNS_DIR, PLANS_DIR):
        if (root / name).is_dir():
            files, size = _tree_bytes(root / name)
            rows.append(
                {
                    "dataset": name,
                    "platform": None,
                    "month": None,
                    "files": files,
                    "rows": None,
                    "bytes": size,
                }
            )
    if skipped[0]:
        rows.append(
            {
                "dataset": "(skipped)",
                "platform": None,
                "month": None,
                "files": skipped[0],
                "rows": None,
                "bytes": skipped[2],
            }
        )
    return pl.DataFrame(rows, schema=USAGE_COLUMNS)
