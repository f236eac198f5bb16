"""Reading the store: only the writer's own files, one row per entity per snapshot.

Readers list each dataset's partition folders themselves and take a file only when it is one
the writer made (its name, its Parquet footer, its stamped identity: see
:mod:`olmstats.store.layout`). Anything else - a truncated or unreadable file, a foreign schema
or mismatched dtypes, a folder such as ``snapshot_date=notadate``, a stray or misplaced copy -
is skipped and named: one :class:`~olmstats.errors.StoreWarning` per scan, and every problem in
``olm store check``.

**The counting rule.** A scan returns one row per entity per snapshot: per (``platform``,
dataset key, ``snapshot_date``), the row observed last (latest ``observed_at``, then the later
run id). A second run on the same day, a re-crawl after a kill or a stray copy therefore changes
no count. Within one run each entity is stored once (the writer checks it), so only partitions
holding several runs, or files too old to carry their full identity, need deduplicating.
"""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from olmstats.errors import InputError, StoreError, StoreWarning
from olmstats.schema import (
    PARTITION_COLUMNS,
    SCHEMA_VERSION,
    Dataset,
    schema_of_version,
    upgrade,
)
from olmstats.store.layout import (
    META_COMPACTED_RUNS,
    META_DATASET,
    META_PLATFORM,
    META_RUN_ID,
    META_SCHEMA,
    META_SEQ,
    META_SNAPSHOT,
    PART_PATTERN,
    PLATFORM_PATTERN,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    PartFile,
)


@dataclass(frozen=True, slots=True)
class StoreProblem:
    """Something in a store that readers skip: where, what kind, and a one-line explanation."""

    path: Path
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.message}"


#: Problems that are harmless leftovers rather than skipped data.
LEFTOVER_KINDS = frozenset({"temporary_file"})


@dataclass(frozen=True, slots=True)
class DatasetIndex:
    """The files of one dataset that readers take, and the problems they skipped."""

    dataset: Dataset
    files: tuple[PartFile, ...]
    problems: tuple[StoreProblem, ...]

    @property
    def skipped(self) -> tuple[StoreProblem, ...]:
        return tuple(p for p in self.problems if p.kind not in LEFTOVER_KINDS)

    def partitions(self) -> dict[tuple[str, date], list[PartFile]]:
        grouped: dict[tuple[str, date], list[PartFile]] = defaultdict(list)
        for part in self.files:
            grouped[(part.platform, part.snapshot_date)].append(part)
        return dict(grouped)

    def run_ids(self) -> set[str]:
        """The runs whose rows the files hold (a compacted file holds several)."""
        return {run for part in self.files for run in part.runs}


def _partition_value(name: str, key: str) -> str | None:
    prefix = f"{key}="
    return name[len(prefix) :] if name.startswith(prefix) else None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _children(folder: Path, problems: list[StoreProblem]) -> list[Path]:
    """The entries of *folder*; an unreadable folder is a problem, not the end of the scan."""
    try:
        return sorted(folder.iterdir())
    except OSError as exc:
        problems.append(StoreProblem(folder, "unreadable", f"cannot list it: {exc.strerror}"))
        return []


def index_dataset(store: Path | str, dataset: Dataset) -> DatasetIndex:
    """Walk ``<store>/<dataset>/`` and sort every entry into taken files and problems."""
    root = Path(store) / dataset.name
    files: list[PartFile] = []
    problems: list[StoreProblem] = []
    if not root.is_dir():
        if root.exists():
            problem = StoreProblem(
                root, "stray_file", f"a file where the {dataset.name} folder belongs"
            )
            return DatasetIndex(dataset, (), (problem,))
        return DatasetIndex(dataset, (), ())
    for platform_dir in _children(root, problems):
        if platform_dir.name.startswith(TEMP_PREFIX):
            continue
        platform = _partition_value(platform_dir.name, "platform")
        if not platform_dir.is_dir() or platform is None or not PLATFORM_PATTERN.match(platform):
            problems.append(
                StoreProblem(
                    platform_dir,
                    "bad_partition" if platform_dir.is_dir() else "stray_file",
                    "not a platform=<name> folder written by olmstats",
                )
            )
            continue
        for day_dir in _children(platform_dir, problems):
            if day_dir.name.startswith(TEMP_PREFIX):
                continue
            value = _partition_value(day_dir.name, "snapshot_date")
            try:
                day = date.fromisoformat(value) if value and len(value) == 10 else None
            except ValueError:
                day = None
            if not day_dir.is_dir() or day is None:
                problems.append(
                    StoreProblem(
                        day_dir,
                        "bad_partition" if day_dir.is_dir() else "stray_file",
                        f"folder name {day_dir.name!r} is not snapshot_date=<YYYY-MM-DD>",
                    )
                )
                continue
            for path in _children(day_dir, problems):
                found = _inspect_file(path, dataset, platform, day)
                if isinstance(found, PartFile):
                    files.append(found)
                elif found is not None:
                    problems.append(found)
    return DatasetIndex(dataset, tuple(files), tuple(problems))


def _inspect_file(
    path: Path, dataset: Dataset, platform: str, day: date
) -> PartFile | StoreProblem | None:
    name = path.name
    if name.startswith(TEMP_PREFIX):
        if name.endswith(TEMP_SUFFIX):
            return StoreProblem(
                path,
                "temporary_file",
                "left by a write that never finished (a killed crawl); safe to delete",
            )
        return None  # hidden files of other programs (.DS_Store ...)
    match = PART_PATTERN.match(name)
    if path.is_dir() or match is None:
        return StoreProblem(
            path, "stray_file", "not a part-<run_id>-<seq>.parquet file written by olmstats"
        )
    try:
        metadata = pl.read_parquet_metadata(path)
        schema = pl.read_parquet_schema(path)
    except Exception as exc:
        return StoreProblem(
            path, "unreadable", f"not a readable Parquet file (truncated?): {first_line(exc)}"
        )
    try:
        version = int(metadata.get(META_SCHEMA) or 1)
        expected = schema_of_version(dataset, version)
    except ValueError:
        return StoreProblem(
            path,
            "foreign_schema",
            f"schema version {metadata.get(META_SCHEMA)!r} is not one this olmstats reads "
            f"(up to {SCHEMA_VERSION}); a newer olmstats wrote it?",
        )
    missing = [c for c in expected if c not in schema]
    if missing:
        return StoreProblem(
            path,
            "foreign_schema",
            f"lacks {dataset.name} columns {missing[:4]}{' …' if len(missing) > 4 else ''}",
        )
    wrong = [
        f"{c} is {schema[c]}, expected {expected[c]}" for c in expected if schema[c] != expected[c]
    ]
    if wrong:
        return StoreProblem(path, "mismatched_dtypes", "; ".join(wrong[:3]))
    run_id, seq = match.group("run_id"), int(match.group("seq"))
    if metadata.get(META_DATASET) != dataset.name or metadata.get(META_RUN_ID) != run_id:
        return StoreProblem(
            path,
            "foreign_file",
            f"its metadata does not say it is {dataset.name} of run {run_id} "
            f"(dataset {metadata.get(META_DATASET)!r}, run {metadata.get(META_RUN_ID)!r})",
        )
    stamped = (metadata.get(META_PLATFORM), metadata.get(META_SNAPSHOT), metadata.get(META_SEQ))
    if stamped == (None, None, None):
        return PartFile(path, platform, day, run_id, seq, verified=False, schema_version=version)
    if stamped != (platform, day.isoformat(), str(seq)):
        return StoreProblem(
            path,
            "misplaced_copy",
            f"a copy of platform={stamped[0]}/snapshot_date={stamped[1]}/part {stamped[2]} of "
            f"run {run_id}; readers take the original only",
        )
    merged = metadata.get(META_COMPACTED_RUNS)
    if merged is not None:
        try:
            listed = json.loads(merged)
            if not isinstance(listed, list) or not listed:
                raise ValueError
            runs = tuple(listed)
            if not all(isinstance(r, str) for r in runs):
                raise ValueError
        except ValueError:
            return StoreProblem(path, "foreign_file", "its list of compacted runs is unreadable")
        return PartFile(
            path, platform, day, run_id, seq, schema_version=version, runs=runs, compacted=True
        )
    return PartFile(path, platform, day, run_id, seq, schema_version=version)


def require_store(store: Path | str) -> Path:
    if not isinstance(store, str | Path):
        raise InputError(f"store must be a folder path, got {type(store).__name__}")
    path = Path(store)
    if not path.is_dir():
        if path.exists():
            raise StoreError(f"store {path} is a file, not a folder")
        raise StoreError(f"store not found: {path} (crawl into it first, e.g. `olm demo`)")
    return path


def warn_skipped(store: Path, index: DatasetIndex, stacklevel: int = 3) -> None:
    skipped = index.skipped
    if not skipped:
        return
    first = skipped[0]
    warnings.warn(
        StoreWarning(
            f"{len(skipped)} damaged or foreign {index.dataset.name} "
            f"entr{'y' if len(skipped) == 1 else 'ies'} in {store} skipped "
            f"(first: {first.path} — {first.kind}); `olm store check {store}` lists them"
        ),
        stacklevel=stacklevel,
    )


def scan_index(index: DatasetIndex) -> pl.LazyFrame:
    """One LazyFrame over the index's files: one row per entity per snapshot, current schema."""
    dataset = index.dataset
    key = dataset.column_names[0]
    groups: dict[tuple[bool, int], list[str]] = defaultdict(list)
    for parts in index.partitions().values():
        # a compacted file may hold several runs, or (after an interrupted compaction was
        # compacted again) the same rows twice: always deduplicated, like several runs
        several_runs = len({p.run_id for p in parts}) > 1 or any(p.compacted for p in parts)
        dirty = several_runs or not all(p.verified for p in parts)
        for part in parts:
            groups[(dirty, part.schema_version)].append(str(part.path))
    clean, dirty = [], []
    for (needs_dedup, version), paths in sorted(groups.items()):
        frame = pl.scan_parquet(
            paths,
            hive_partitioning=True,
            hive_schema=PARTITION_COLUMNS,
            schema=schema_of_version(dataset, version),
            extra_columns="ignore",
        )
        frame = upgrade(frame, version).select(*PARTITION_COLUMNS, *dataset.column_names)
        (dirty if needs_dedup else clean).append(frame)
    if dirty:
        several = dirty[0] if len(dirty) == 1 else pl.concat(dirty, how="vertical")
        clean.append(
            several.sort("observed_at", "run_id").unique(
                subset=["platform", key, "snapshot_date"], keep="last"
            )
        )
    return clean[0] if len(clean) == 1 else pl.concat(clean, how="vertical")


def scan(store: Path | str, dataset: Dataset, *, missing_ok: bool = False) -> pl.LazyFrame | None:
    """Lazily scan one dataset: its documented columns, then ``platform`` and ``snapshot_date``.

    One row per entity per snapshot (the counting rule in this module's docstring). Filters on
    ``platform`` or ``snapshot_date`` prune whole files before any is opened; other filters are
    pushed into the Parquet reader. Damaged or foreign files are skipped with a StoreWarning.
    A dataset with no readable file is a StoreError, or None with *missing_ok*.
    """
    path = require_store(store)
    index = index_dataset(path, dataset)
    warn_skipped(path, index)
    if not index.files and missing_ok:
        return None
    if not index.files:
        skipped = len(index.skipped)
        extra = (
            f" ({skipped} damaged or foreign files skipped: `olm store check`)" if skipped else ""
        )
        raise StoreError(f"store {path} has no {dataset.name} yet{extra}")
    return scan_index(index)
