"""``olm store check``: every problem in a store, with its path.

What readers skip (see :mod:`olmstats.store.scanning`) plus what only a whole-store look finds:
run records that cannot be read, part files whose run has no record (provenance unknown),
temporary files left by killed writes, entries that do not belong in a store, and - with
``deep=True`` - files whose footer is fine but whose data pages do not decode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from olmstats.schema import DATASETS
from olmstats.store.layout import PLANS_DIR, RUNS_DIR, TEMP_PREFIX, TEMP_SUFFIX, run_record_path
from olmstats.store.runs import load_run_records
from olmstats.store.scanning import (
    DatasetIndex,
    StoreProblem,
    first_line,
    index_dataset,
    require_store,
)


@dataclass(slots=True)
class StoreReport:
    """What a check found: problems, and what the readers take."""

    store: Path
    problems: list[StoreProblem] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    runs: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_store(store: Path | str, *, deep: bool = True) -> StoreReport:
    """Check every file and run record in *store*; *deep* also decodes every part file."""
    root = require_store(store)
    report = StoreReport(root)
    records, record_problems = load_run_records(root)
    report.runs = len(records)
    indices: list[DatasetIndex] = [index_dataset(root, dataset) for dataset in DATASETS.values()]
    for index in indices:
        report.problems.extend(index.problems)
        report.files[index.dataset.name] = len(index.files)
        rows = 0
        for part in index.files:
            try:
                rows += (
                    pl.read_parquet(part.path).height
                    if deep
                    else pl.scan_parquet(part.path).select(pl.len()).collect().item()
                )
            except Exception as exc:
                report.problems.append(
                    StoreProblem(
                        part.path, "unreadable", f"data does not decode: {first_line(exc)}"
                    )
                )
        report.rows[index.dataset.name] = rows
    report.problems.extend(record_problems)
    bad_records = {p.path.stem for p in record_problems}
    for index in indices:
        for run_id in sorted(index.run_ids() & set(records)):
            if not records[run_id].get("data_origin"):
                report.problems.append(
                    StoreProblem(
                        run_record_path(root, run_id),
                        "no_data_origin",
                        f"run {run_id} wrote {index.dataset.name} but its record names no data "
                        "origin (platform or simulated): provenance unknown",
                    )
                )
        for run_id in sorted(index.run_ids() - set(records)):
            first = next(p.path for p in index.files if run_id in p.runs)
            why = "is unreadable" if run_id in bad_records else "is missing"
            report.problems.append(
                StoreProblem(
                    first,
                    "no_run_record",
                    f"run {run_id}'s record {RUNS_DIR}/{run_id}.json {why}: provenance unknown",
                )
            )
    report.problems.extend(_leftovers(root))
    return report


def _leftovers(root: Path) -> list[StoreProblem]:
    problems = []
    known = {*DATASETS, RUNS_DIR, PLANS_DIR}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(TEMP_PREFIX):
            if entry.name.endswith(TEMP_SUFFIX):
                problems.append(
                    StoreProblem(entry, "temporary_file", "left by a write that never finished")
                )
            continue
        if entry.name not in known:
            problems.append(StoreProblem(entry, "stray_file", "not part of an olmstats store"))
    runs = root / RUNS_DIR
    if runs.exists() and not runs.is_dir():
        problems.append(StoreProblem(runs, "stray_file", "a file where the runs folder belongs"))
    if runs.is_dir():
        problems += [
            StoreProblem(p, "temporary_file", "left by a write that never finished")
            for p in sorted(runs.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))
        ]
    return problems
