"""Where things live in a store, and what a file the writer made looks like.

::

    <store>/<dataset>/platform=<platform>/snapshot_date=<YYYY-MM-DD>/part-<run_id>-<seq>.parquet
    <store>/runs/<run_id>.json

A part file is one the writer made when its name has that pattern *and* the identity the writer
stamped into its Parquet metadata (dataset, platform, snapshot date, run id, sequence number)
matches the path it is found at. A copy under another name or in another folder fails one of
the two and is skipped by readers (and listed by ``olm store check``), so it cannot double a
count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from olmstats.errors import InputError
from olmstats.schema import Dataset

RUNS_DIR = "runs"
#: Per crawl plan: its lock (``<name>.lock``) and, later, its job state.
PLANS_DIR = "plans"
TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"
PLATFORM_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,159}$")
PART_PATTERN = re.compile(
    r"^part-(?P<run_id>[A-Za-z0-9][A-Za-z0-9_.:+-]*)-(?P<seq>\d{5})\.parquet$"
)
SEQ_LIMIT = 100_000  # five digits

# Parquet key-value metadata the writer stamps into every part file.
META_DATASET = "olmstats.dataset"
META_RUN_ID = "olmstats.run_id"
META_PLATFORM = "olmstats.platform"
META_SNAPSHOT = "olmstats.snapshot_date"
META_SEQ = "olmstats.part"
META_SCHEMA = "olmstats.schema_version"
#: In a compacted file (olmstats.store.compaction): the runs whose rows it holds, as JSON.
META_COMPACTED_RUNS = "olmstats.compacted_runs"


def check_run_id(run_id: str) -> str:
    """*run_id* if it can name files (letters, digits, ``_ . : + -``); InputError otherwise."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id):
        raise InputError(
            f"invalid run id {run_id!r}: use letters, digits and _ . : + - (at most 160)"
        )
    return run_id


def check_platform(platform: str) -> str:
    if not isinstance(platform, str) or not PLATFORM_PATTERN.match(platform):
        raise InputError(f"invalid platform name {platform!r}: lower-case letters, digits, _")
    return platform


def partition_dir(store: Path | str, dataset: Dataset, platform: str, snapshot_date: date) -> Path:
    return (
        Path(store)
        / dataset.name
        / f"platform={platform}"
        / f"snapshot_date={snapshot_date.isoformat()}"
    )


def part_name(run_id: str, seq: int) -> str:
    return f"part-{run_id}-{seq:05d}.parquet"


def temp_name(final: Path) -> Path:
    """The hidden name a file is written under before it is linked into place."""
    return final.with_name(f"{TEMP_PREFIX}{final.name}{TEMP_SUFFIX}")


def run_record_path(store: Path | str, run_id: str) -> Path:
    return Path(store) / RUNS_DIR / f"{run_id}.json"


@dataclass(frozen=True, slots=True)
class PartFile:
    """A part file that passed the checks: where it is and what it holds."""

    path: Path
    platform: str
    snapshot_date: date
    run_id: str
    seq: int
    #: False for files written before the writer stamped its full identity (schema 1, early
    #: 2026): their folder cannot be verified, so readers deduplicate their partition.
    verified: bool = True
    #: The schema version the file was written with (readers convert older ones).
    schema_version: int = 2
    #: The runs whose rows the file holds: its own run, or those a compaction merged.
    runs: tuple[str, ...] = ()
    #: Written by ``olm store compact`` (readers always deduplicate its partition).
    compacted: bool = False

    def __post_init__(self) -> None:
        if not self.runs:
            object.__setattr__(self, "runs", (self.run_id,))


def identity_metadata(
    dataset: Dataset, *, platform: str, snapshot_date: date, run_id: str, seq: int, schema: int
) -> dict[str, str]:
    return {
        META_DATASET: dataset.name,
        META_PLATFORM: platform,
        META_SNAPSHOT: snapshot_date.isoformat(),
        META_RUN_ID: run_id,
        META_SEQ: str(seq),
        META_SCHEMA: str(schema),
    }


def run_part_files(store: Path | str, run_id: str) -> list[Path]:
    """Every file named as a part file of *run_id* in *store* (any dataset and partition)."""
    found = []
    for path in Path(store).glob("*/platform=*/snapshot_date=*/part-*.parquet"):
        match = PART_PATTERN.match(path.name)
        if match and match.group("run_id") == run_id:
            found.append(path)
    return sorted(found)
