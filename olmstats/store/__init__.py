"""The Parquet store: append-only part files, run records, readers that cannot double-count.

::

    store/
      profiles/platform=<name>/snapshot_date=2026-11-25/part-<run_id>-00000.parquet
      jobs/platform=<name>/snapshot_date=2026-11-25/part-<run_id>-00000.parquet
      runs/<run_id>.json

- :mod:`~olmstats.store.writing`: files appear whole and exclusively (nothing is replaced);
  a failed write leaves nothing behind and says why.
- :mod:`~olmstats.store.scanning`: readers take only the writer's own files and keep one row
  per entity per snapshot; damaged files are skipped with a StoreWarning.
- :mod:`~olmstats.store.runs`: run records, outcomes, exit codes, provenance notes.
- :mod:`~olmstats.store.check`: ``olm store check``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from olmstats.errors import StoreWarning
from olmstats.schema import DATASETS, JOBS, PROFILES
from olmstats.store.check import StoreReport, check_store
from olmstats.store.layout import partition_dir, run_record_path
from olmstats.store.runs import (
    EXIT_CODES,
    Outcome,
    create_run_record,
    exit_code,
    iter_run_records,
    listing_outcomes,
    load_run_records,
    provenance_notes,
    read_runs,
    update_run_record,
)
from olmstats.store.scanning import StoreProblem, index_dataset, scan
from olmstats.store.writing import PartWriter, probe_writable, write_frame


def for_platforms(frame: pl.LazyFrame | None, platforms: Sequence[str] | None) -> Any:
    """*frame* restricted to *platforms* (every platform when None); InputError for a name
    that is no platform. The filter is on the partition column, so files of other platforms
    are never opened."""
    if frame is None or not platforms:
        return frame
    from olmstats.platforms import platform

    names = [platform(name).name for name in platforms]
    return frame.filter(pl.col("platform").is_in(names))


def scan_profiles(
    store: Path | str, *, platforms: Sequence[str] | None = None, missing_ok: bool = False
) -> pl.LazyFrame | None:
    """Worker profiles in *store* (schema: ``olmstats.schema.PROFILES``), of every platform or
    of *platforms* only.

    One row per profile per snapshot date; :func:`olmstats.summary.latest_per_profile` keeps
    each profile's most recent. No readable profiles: StoreError, or None with *missing_ok*.
    """
    return for_platforms(scan(store, PROFILES, missing_ok=missing_ok), platforms)


def scan_jobs(
    store: Path | str, *, platforms: Sequence[str] | None = None, missing_ok: bool = False
) -> pl.LazyFrame | None:
    """Open projects in *store* (schema: ``olmstats.schema.JOBS``), one row per project per
    snapshot date, of every platform or of *platforms* only. No readable jobs: StoreError, or
    None with *missing_ok*."""
    return for_platforms(scan(store, JOBS, missing_ok=missing_ok), platforms)


def store_notes(store: Path | str) -> list[str]:
    """Provenance notes for tables built from *store*'s profiles and jobs."""
    run_ids: set[str] = set()
    for dataset in (PROFILES, JOBS):
        run_ids |= index_dataset(store, dataset).run_ids()
    return provenance_notes(store, run_ids)


__all__ = [
    "DATASETS",
    "EXIT_CODES",
    "JOBS",
    "PROFILES",
    "Outcome",
    "PartWriter",
    "StoreProblem",
    "StoreReport",
    "StoreWarning",
    "check_store",
    "create_run_record",
    "exit_code",
    "for_platforms",
    "index_dataset",
    "iter_run_records",
    "listing_outcomes",
    "load_run_records",
    "partition_dir",
    "probe_writable",
    "provenance_notes",
    "read_runs",
    "run_record_path",
    "scan",
    "scan_jobs",
    "scan_profiles",
    "store_notes",
    "update_run_record",
    "write_frame",
]
