"""``olm store compact``: one file per partition for closed days, every row kept as it was.

A crawl writes a partition (dataset, platform, snapshot day) in part files of up to
``OLM_STORE_ROWS_PER_FILE`` rows, and every run of the day adds its own: months of daily crawls
leave many small files. Compaction merges the files of each *closed* partition - a day before
today (UTC) that no run still marked ``running`` is writing - into one file:

1. read every part file of the partition (all verified, of the current schema; others are left
   alone and reported) and fingerprint its rows: the sorted 128-bit hashes of every row, all
   columns, with the partition's platform and day;
2. write them as ``part-compact-<time>-<hex>-00000.parquet`` (exclusive create, then a hard
   link: the writer's own no-clobber path), stamped with the partition's identity and, in
   ``olmstats.compacted_runs``, the runs whose rows it holds;
3. read the new file back and compare fingerprints; only if they match are the old files
   removed. A mismatch removes the new file instead and is an error.

One compaction runs at a time (``plans/compact.lock``). If one is interrupted between steps 2
and 3, the partition holds the compacted file and some originals: readers deduplicate it, and
the next compaction merges them, keeping one copy of each identical row.

Readers stay correct throughout: a reader that lists the partition between steps 2 and 3 sees
the rows twice, and the one-row-per-entity rule (a compacted file counts as rows of several
runs) keeps every count unchanged. Run records keep naming the files their run wrote; after
compaction those rows live in the compacted file, whose metadata names the runs.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from olmstats.errors import StoreError
from olmstats.schema import DATASETS, SCHEMA_VERSION, Dataset
from olmstats.store.layout import META_COMPACTED_RUNS, PLANS_DIR, identity_metadata, part_name
from olmstats.store.runs import RUNNING, load_run_records
from olmstats.store.scanning import index_dataset, require_store
from olmstats.store.writing import write_new_file

COMPACT_PREFIX = "compact-"


@dataclass
class PartitionResult:
    dataset: str
    platform: str
    snapshot_date: date
    files_before: int
    rows: int
    fingerprint: str
    written: Path | None = None
    skipped: str | None = None


@dataclass
class CompactionReport:
    partitions: list[PartitionResult] = field(default_factory=list)

    @property
    def compacted(self) -> list[PartitionResult]:
        return [p for p in self.partitions if p.written is not None]


def fingerprint(frame: pl.DataFrame) -> str:
    """An order-free digest of *frame*'s rows: sha256 of the sorted 128-bit row hashes (two
    64-bit hashes of every row, all columns, with different seeds)."""
    pairs = pl.DataFrame({"a": frame.hash_rows(seed=0), "b": frame.hash_rows(seed=1)}).sort(
        "a", "b"
    )
    payload = pairs["a"].to_numpy().tobytes() + pairs["b"].to_numpy().tobytes()
    return hashlib.sha256(payload + str(frame.height).encode()).hexdigest()


def _read(paths: list[Path], dataset: Dataset) -> pl.DataFrame:
    return pl.concat(
        [pl.read_parquet(p, hive_partitioning=False).select(dataset.column_names) for p in paths],
        how="vertical",
    )


def _compaction_id(now: datetime) -> str:
    return f"{COMPACT_PREFIX}{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def compact_store(
    store: Path | str, *, until: date | None = None, dry_run: bool = False
) -> CompactionReport:
    """Compact every closed partition of *store* holding more than one part file.

    *until*: compact only days up to this one (default: yesterday, UTC); today's partitions
    are never compacted (a crawl may still add to them). With *dry_run*, report what would be
    merged and write nothing.
    """
    root = require_store(store)
    now = datetime.now(UTC)
    last_day = min(until or date.max, date.fromordinal(now.date().toordinal() - 1))
    with _store_lock(root):
        return _compact(root, now, last_day, dry_run)


@contextmanager
def _store_lock(root: Path) -> Iterator[None]:
    """One compaction of a store at a time (a second one says so and stops)."""
    folder = root / PLANS_DIR
    folder.mkdir(exist_ok=True)
    with (folder / "compact.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another olm store compact is running on {root}") from None
        yield


def _busy(root: Path, platform: str, day: date) -> bool:
    """Whether a run still marked running writes to (platform, day); a record that names no
    platform (an import) counts for every platform of its day."""
    records, _ = load_run_records(root)
    return any(
        r.get("status") == RUNNING
        and r.get("snapshot_date") == day.isoformat()
        and r.get("platform") in (platform, None)
        for r in records.values()
    )


def _compact(root: Path, now: datetime, last_day: date, dry_run: bool) -> CompactionReport:
    report = CompactionReport()
    for dataset in DATASETS.values():
        index = index_dataset(root, dataset)
        for (platform, day), parts in sorted(index.partitions().items()):
            if day > last_day or len(parts) < 2:
                continue
            result = PartitionResult(dataset.name, platform, day, len(parts), 0, "")
            report.partitions.append(result)
            if not all(p.verified and p.schema_version == SCHEMA_VERSION for p in parts):
                result.skipped = "holds files of an older schema (left as they are)"
                continue
            if _busy(root, platform, day):  # looked at again just before reading
                result.skipped = "a run writing this day is still marked running"
                continue
            paths = [p.path for p in parts]
            rows = _read(paths, dataset)
            if any(p.compacted for p in parts):
                # an earlier compaction was interrupted between writing its file and removing
                # the originals: the same rows are there twice; keep one copy of each
                rows = rows.unique(maintain_order=True)
            result.rows, result.fingerprint = rows.height, fingerprint(rows)
            if dry_run:
                continue
            runs = sorted({r for p in parts for r in p.runs})
            compaction = _compaction_id(now)
            metadata = identity_metadata(
                dataset,
                platform=platform,
                snapshot_date=day,
                run_id=compaction,
                seq=0,
                schema=SCHEMA_VERSION,
            )
            metadata[META_COMPACTED_RUNS] = json.dumps(runs)
            target = paths[0].parent / part_name(compaction, 0)
            write_new_file(
                target,
                lambda handle, frame=rows, meta=metadata: frame.write_parquet(
                    handle, compression="zstd", metadata=meta
                ),
            )
            back = _read([target], dataset)
            if fingerprint(back) != result.fingerprint:
                target.unlink()
                raise StoreError(
                    f"compacting {paths[0].parent} changed rows; nothing removed, "
                    "the compacted file deleted"
                )
            for path in paths:
                path.unlink()
            result.written = target
    return report
