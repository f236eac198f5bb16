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

Readers stay correct throughout: a reader that lists the partition between steps 2 and 3 sees
the rows twice, and the one-row-per-entity rule (a compacted file counts as rows of several
runs) keeps every count unchanged. Run records keep naming the files their run wrote; after
compaction those rows live in the compacted file, whose metadata names the runs.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from olmstats.errors import StoreError
from olmstats.schema import DATASETS, SCHEMA_VERSION, Dataset
from olmstats.store.layout import META_COMPACTED_RUNS, identity_metadata, part_name
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
    records, _ = load_run_records(root)
    busy = {
        (r.get("platform"), r.get("snapshot_date"))
        for r in records.values()
        if r.get("status") == RUNNING
    }
    report = CompactionReport()
    for dataset in DATASETS.values():
        index = index_dataset(root, dataset)
        for (platform, day), parts in sorted(index.partitions().items()):
            if day > last_day or len(parts) < 2:
                continue
            result = PartitionResult(dataset.name, platform, day, len(parts), 0, "")
            report.partitions.append(result)
            if {(platform, day.isoformat()), (None, day.isoformat())} & busy:  # None: any
                result.skipped = "a run writing this day is still marked running"
                continue
            if not all(p.verified and p.schema_version == SCHEMA_VERSION for p in parts):
                result.skipped = "holds files of an older schema (left as they are)"
                continue
            paths = [p.path for p in parts]
            rows = _read(paths, dataset)
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
