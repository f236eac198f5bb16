"""The Parquet store: atomic part-file writing, lazy scans and run records.

Writers never show a reader a partial file: rows are buffered, written to a hidden temporary
file (``.part-….parquet.tmp``) in the partition folder, flushed to disk, then renamed into place,
which is atomic on POSIX file systems. A crawl killed at any moment leaves only complete part
files (and perhaps a hidden temporary file that readers skip). Files are never rewritten: every
crawl adds its own ``part-<run_id>-<seq>.parquet`` files.

Invariant: within one run, each entity (profile or project) is stored at most once. Crawls keep
it with the deduplicate stage, ``write_frame`` checks it, and summaries rely on it to skip
deduplication when all rows come from one run.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from olmstats.errors import StoreError
from olmstats.schema import DATASETS, JOBS, PARTITION_COLUMNS, PROFILES, SCHEMA_VERSION, Dataset

RUNS_DIR = "runs"
TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write *data* to *path* so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{TEMP_PREFIX}{path.name}{TEMP_SUFFIX}")
    with temp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temp.replace(path)
    _fsync_dir(path.parent)


def partition_dir(store: Path, dataset: Dataset, platform: str, snapshot_date: date) -> Path:
    return (
        Path(store)
        / dataset.name
        / f"platform={platform}"
        / f"snapshot_date={snapshot_date.isoformat()}"
    )


class PartWriter:
    """Buffers rows of one dataset and writes them as atomic, zstd-compressed part files.

    ``rows_per_file`` bounds both memory and how much a killed crawl can lose (the rows still in
    the buffer). Rows are dicts holding at least the dataset's columns; extra keys are ignored.
    """

    def __init__(
        self,
        store: Path | str,
        dataset: Dataset,
        *,
        platform: str,
        snapshot_date: date,
        run_id: str,
        rows_per_file: int = 50_000,
    ) -> None:
        if rows_per_file < 1:
            raise ValueError("rows_per_file must be at least 1")
        self.dataset = dataset
        self.directory = partition_dir(Path(store), dataset, platform, snapshot_date)
        self.run_id = run_id
        self.rows_per_file = rows_per_file
        self.files: list[Path] = []
        self.rows_written = 0
        self._columns = dataset.column_names
        self._buffer: dict[str, list[Any]] = {name: [] for name in self._columns}
        self._buffered = 0
        self._metadata = {
            "olmstats.schema_version": str(SCHEMA_VERSION),
            "olmstats.dataset": dataset.name,
            "olmstats.run_id": run_id,
        }

    def add(self, row: dict[str, Any]) -> None:
        for name in self._columns:
            self._buffer[name].append(row[name])
        self._buffered += 1
        if self._buffered >= self.rows_per_file:
            self.flush()

    def flush(self) -> Path | None:
        """Write buffered rows as one part file; return its path (None if nothing was buffered)."""
        if not self._buffered:
            return None
        frame = pl.DataFrame(self._buffer, schema=self.dataset.polars_schema, strict=False)
        path = self.write_chunk(frame)
        self._buffer = {name: [] for name in self._columns}
        self._buffered = 0
        return path

    def write_chunk(self, frame: pl.DataFrame) -> Path:
        """Write *frame* (the dataset's columns, in order) as one atomic part file.

        The ``run_id`` column is this writer's run id, whatever the rows said: readers rely on
        it to know which rows come from one run.
        """
        frame = frame.with_columns(run_id=pl.lit(self.run_id, pl.String))
        self._check_required(frame)
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"part-{self.run_id}-{len(self.files):05d}.parquet"
        temp = final.with_name(f"{TEMP_PREFIX}{final.name}{TEMP_SUFFIX}")
        with temp.open("wb") as handle:
            frame.write_parquet(handle, compression="zstd", metadata=self._metadata)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(final)
        _fsync_dir(self.directory)
        self.files.append(final)
        self.rows_written += frame.height
        return final

    def close(self) -> None:
        self.flush()

    def _check_required(self, frame: pl.DataFrame) -> None:
        nulls = frame.select(pl.col(self.dataset.required()).null_count()).row(0, named=True)
        bad = {name: n for name, n in nulls.items() if n}
        if bad:
            raise ValueError(f"{self.dataset.name}: nulls in required columns {bad}")


def write_frame(
    store: Path | str,
    dataset: Dataset,
    frame: pl.DataFrame,
    *,
    platform: str,
    snapshot_date: date,
    run_id: str,
    rows_per_file: int = 1_000_000,
) -> list[Path]:
    """Append a whole DataFrame to the store (bulk import), with the same atomic part files."""
    missing = set(dataset.column_names) - set(frame.columns)
    if missing:
        raise ValueError(f"{dataset.name}: frame lacks columns {sorted(missing)}")
    frame = frame.select(dataset.column_names).cast(dict(dataset.polars_schema))
    key = dataset.column_names[0]
    if not frame[key].is_unique().all():
        raise ValueError(f"{dataset.name}: {key} repeats within one run")
    writer = PartWriter(
        store,
        dataset,
        platform=platform,
        snapshot_date=snapshot_date,
        run_id=run_id,
        rows_per_file=rows_per_file,
    )
    for offset in range(0, frame.height, rows_per_file):
        writer.write_chunk(frame.slice(offset, rows_per_file))
    return writer.files


def _require_store(store: Path | str) -> Path:
    path = Path(store)
    if not path.is_dir():
        raise StoreError(f"store not found: {path} (crawl into it first, e.g. `olm demo`)")
    return path


def has_data(store: Path | str, dataset: Dataset) -> bool:
    root = Path(store) / dataset.name
    return root.is_dir() and any(root.glob("platform=*/snapshot_date=*/part-*.parquet"))


def scan(store: Path | str, dataset: Dataset) -> pl.LazyFrame:
    """Lazily scan one dataset: its documented columns, then ``platform`` and ``snapshot_date``.

    Filters on ``platform`` or ``snapshot_date`` prune whole partition folders before any file is
    opened; other filters are pushed into the Parquet reader.
    """
    path = _require_store(store)
    if not has_data(path, dataset):
        raise StoreError(f"store {path} has no {dataset.name} yet")
    frame = pl.scan_parquet(
        path / dataset.name / "**" / "*.parquet",
        hive_partitioning=True,
        hive_schema=PARTITION_COLUMNS,
        hidden_file_prefix=TEMP_PREFIX,
        schema=dataset.polars_schema,
        missing_columns="insert",
    )
    return frame.select(*PARTITION_COLUMNS, *dataset.column_names)


def scan_profiles(store: Path | str) -> pl.LazyFrame:
    """Freelancer profiles in *store* (schema: ``olmstats.schema.PROFILES``).

    One row per profile per crawl run. A profile seen on several snapshot dates has one row per
    date; :func:`olmstats.summary.latest_per_profile` keeps the most recent.
    """
    return scan(store, PROFILES)


def scan_jobs(store: Path | str) -> pl.LazyFrame:
    """Open projects in *store* (schema: ``olmstats.schema.JOBS``), one row per project per run."""
    return scan(store, JOBS)


# -- run records -----------------------------------------------------------------------------


def run_record_path(store: Path | str, run_id: str) -> Path:
    return Path(store) / RUNS_DIR / f"{run_id}.json"


def write_run_record(store: Path | str, record: dict[str, Any]) -> Path:
    path = run_record_path(store, record["run_id"])
    atomic_write_bytes(path, json.dumps(record, indent=2, sort_keys=True, default=str).encode())
    return path


def iter_run_records(store: Path | str) -> Iterable[dict[str, Any]]:
    folder = Path(store) / RUNS_DIR
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.json")):
        with contextlib.suppress(OSError, json.JSONDecodeError):
            yield json.loads(path.read_text())


def read_runs(store: Path | str) -> pl.DataFrame:
    """One row per crawl run: what ran, when, what it kept and dropped, and how it ended."""
    rows = [
        {
            "run_id": r.get("run_id"),
            "spider": r.get("spider"),
            "status": r.get("status"),
            "started_at": r.get("started_at"),
            "finished_at": r.get("finished_at"),
            "finish_reason": r.get("finish_reason"),
            "items_kept": sum((r.get("items_kept") or {}).values()),
            "items_dropped": sum((r.get("items_dropped") or {}).values()),
            "data_origin": r.get("data_origin"),
            "base_url": r.get("base_url"),
        }
        for r in iter_run_records(_require_store(store))
    ]
    return pl.DataFrame(
        rows,
        schema={
            "run_id": pl.String,
            "spider": pl.String,
            "status": pl.String,
            "started_at": pl.String,
            "finished_at": pl.String,
            "finish_reason": pl.String,
            "items_kept": pl.Int64,
            "items_dropped": pl.Int64,
            "data_origin": pl.String,
            "base_url": pl.String,
        },
    )


def simulated_origins(store: Path | str) -> list[str]:
    """Descriptions of simulated sources in the store's runs (empty when all data is real)."""
    return sorted(
        {
            r["data_origin"]
            for r in iter_run_records(store)
            if str(r.get("data_origin") or "").startswith("simulated")
        }
    )


__all__ = [
    "DATASETS",
    "JOBS",
    "PROFILES",
    "PartWriter",
    "atomic_write_bytes",
    "read_runs",
    "scan",
    "scan_jobs",
    "scan_profiles",
    "simulated_origins",
    "write_frame",
    "write_run_record",
]
