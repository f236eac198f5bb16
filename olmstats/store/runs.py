"""Run records: ``<store>/runs/<run_id>.json``, one per crawl or import.

A record is created exclusively when the run starts (status ``running``; a run id that exists
is refused) and replaced by the same run as it goes: when the first response says where the
data comes from, and when the run ends with its outcome. A run killed at any moment therefore
leaves a record that says ``running`` and names its data origin.

Outcomes and the exit codes of ``olm crawl``:

==============  ====  =====================================================================
status          exit  meaning
==============  ====  =====================================================================
``complete``    0     every listing was read to its end (an empty page, the announced total,
                      or ``max_pages``, which is truncation by choice)
(bad argument)  2     a user mistake: nothing was crawled (``finish_reason`` names it)
``incomplete``  3     some listing was cut short (a page failed after its retries, robots.txt
                      disallowed it, a callback or pipeline raised, the crawl was stopped);
                      the record names the listings and reasons
``failed``      4     the run could not do its job (the store cannot be written, the skill or
                      country list could not be read, no pseudonymisation key ...)
``blocked``     5     the platform blocked the crawler or rate-limited it past its retries
``running``     —     the run has not ended: it is still going, or it was killed
==============  ====  =====================================================================
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl

from olmstats.errors import StoreWarning, StoreWriteError
from olmstats.store.layout import RUNS_DIR, TEMP_PREFIX, check_run_id, run_record_path
from olmstats.store.scanning import StoreProblem, require_store
from olmstats.store.writing import replace_own_file, write_new_file


class Outcome(StrEnum):
    complete = "complete"
    incomplete = "incomplete"
    failed = "failed"
    blocked = "blocked"


class ListingOutcome(StrEnum):
    """How one listing (a paged query) ended; see spiders/base/listings.py."""

    read_to_end = "read_to_end"
    truncated_by_max_pages = "truncated_by_max_pages"
    failed = "failed"
    skipped_by_robots_txt = "skipped_by_robots_txt"
    unfinished = "unfinished"


#: Listing outcomes that count as read to the end.
READ_OUTCOMES = frozenset({ListingOutcome.read_to_end, ListingOutcome.truncated_by_max_pages})

RUNNING = "running"
#: Records written before outcomes existed said only that the run ended.
LEGACY_FINISHED = "finished"
STATUSES = frozenset({RUNNING, LEGACY_FINISHED, *Outcome})

EXIT_COMPLETE = 0
EXIT_BAD_ARGUMENTS = 2
EXIT_CODES: dict[str, int] = {
    Outcome.complete: EXIT_COMPLETE,
    Outcome.incomplete: 3,
    Outcome.failed: 4,
    Outcome.blocked: 5,
}
#: Finish reasons that are a user's mistake (exit code 2 although the status is ``failed``).
BAD_ARGUMENT_REASONS = frozenset({"bad_arguments", "unknown_skill", "unknown_country"})


def exit_code(status: str, finish_reason: str | None = None) -> int:
    """The documented exit code of a run with *status* (see the module docstring)."""
    if status == Outcome.failed and finish_reason in BAD_ARGUMENT_REASONS:
        return EXIT_BAD_ARGUMENTS
    return EXIT_CODES.get(status, EXIT_CODES[Outcome.failed])


def _encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, indent=2, sort_keys=True, default=str).encode()


def create_run_record(store: Path | str, record: dict[str, Any]) -> Path:
    """Create the record of a new run; StoreWriteError if the run id exists already."""
    run_id = check_run_id(record["run_id"])
    path = run_record_path(store, run_id)
    if path.exists():
        raise StoreWriteError(f"run id {run_id} already exists in {store}; choose another")
    data = _encode(record)
    return write_new_file(path, lambda handle: handle.write(data))


@contextmanager
def importing(
    store: Path | str,
    run_id: str,
    *,
    source: str,
    data_origin: str,
    snapshot_date: str,
    **details: Any,
) -> Iterator[dict[str, int]]:
    """The run record of a bulk write (an import, a simulation), kept like a crawl's.

    Created (``running``, with its data origin) before the first row is written; on leaving
    the block it says ``complete`` with the rows per dataset the block put into the dict it
    was given, or ``failed`` if the block raised. A write killed half-way therefore leaves
    rows whose record says where they came from and that the run never finished::

        with importing(store, "archive-2024-07", source="olm import", ...) as items:
            write_frame(...)
            items["jobs"] = frame.height
    """
    from datetime import UTC, datetime

    items: dict[str, int] = {}
    record: dict[str, Any] = {
        "run_id": run_id,
        "spider": source,
        "status": RUNNING,
        "finish_reason": None,
        "problems": [],
        "data_origin": data_origin,
        "started_at": datetime.now(UTC).isoformat(),
        "finished_at": None,
        "snapshot_date": snapshot_date,
        "items_kept": items,
        "items_dropped": {},
        "listings": [],
        **details,
    }
    create_run_record(store, record)
    try:
        yield items
    except BaseException as exc:
        record.update(status=str(Outcome.failed), finish_reason="error", problems=[str(exc)])
        raise
    else:
        record.update(status=str(Outcome.complete), finish_reason="imported")
    finally:
        record["finished_at"] = datetime.now(UTC).isoformat()
        update_run_record(store, record)


def update_run_record(store: Path | str, record: dict[str, Any]) -> Path:
    """Replace the record of a run this process created with :func:`create_run_record`."""
    return replace_own_file(run_record_path(store, record["run_id"]), _encode(record))


def _problem(path: Path, message: str) -> StoreProblem:
    return StoreProblem(path, "bad_run_record", message)


def read_run_record(path: Path) -> dict[str, Any] | StoreProblem:
    """The record at *path*, or the problem that makes it unusable."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return _problem(path, f"cannot read it: {getattr(exc, 'strerror', None) or exc}")
    except json.JSONDecodeError as exc:
        return _problem(path, f"not valid JSON ({exc.msg} at line {exc.lineno})")
    if not isinstance(record, dict):
        return _problem(path, "not a JSON object")
    if record.get("run_id") != path.stem:
        return _problem(path, f"its run_id {record.get('run_id')!r} is not its file name")
    if record.get("status") not in STATUSES:
        return _problem(path, f"unknown status {record.get('status')!r}")
    for name in ("started_at", "spider"):
        if not isinstance(record.get(name), str):
            return _problem(path, f"{name} is missing or not text")
    for name in ("finished_at", "data_origin", "finish_reason"):
        if record.get(name) is not None and not isinstance(record[name], str):
            return _problem(path, f"{name} is not text")
    if not isinstance(record.get("problems", []), list):
        return _problem(path, "problems is not a list")
    for name in ("items_kept", "items_dropped"):
        value = record.get(name, {})
        if not isinstance(value, dict) or not all(isinstance(v, int) for v in value.values()):
            return _problem(path, f"{name} is not a table of counts")
    return record


def load_run_records(store: Path | str) -> tuple[dict[str, dict[str, Any]], list[StoreProblem]]:
    """Every readable record by run id, and the problems of the others."""
    folder = Path(store) / RUNS_DIR
    records: dict[str, dict[str, Any]] = {}
    problems: list[StoreProblem] = []
    if not folder.is_dir():
        return records, problems
    for path in sorted(folder.iterdir()):
        if path.name.startswith(TEMP_PREFIX):
            continue
        if path.suffix != ".json" or not path.is_file():
            problems.append(StoreProblem(path, "stray_file", "not a <run_id>.json run record"))
            continue
        found = read_run_record(path)
        if isinstance(found, StoreProblem):
            problems.append(found)
        else:
            records[found["run_id"]] = found
    return records, problems


def iter_run_records(store: Path | str) -> Iterable[dict[str, Any]]:
    """The readable run records, oldest run id first."""
    return load_run_records(store)[0].values()


#: Drops that filter what is out of scope, not what failed a check: items a platform lists
#: but that are not open jobs (showcases, closed projects), and an entity met twice in a run.
OUT_OF_SCOPE_DROPS = frozenset({"not_open", "duplicate"})

RUN_COLUMNS = {
    "run_id": pl.String,
    "plan": pl.String,
    "spider": pl.String,
    "platform": pl.String,
    "arguments": pl.String,
    "status": pl.String,
    "started_at": pl.String,
    "finished_at": pl.String,
    "finish_reason": pl.String,
    "items_kept": pl.Int64,
    "items_dropped": pl.Int64,
    "items_rejected": pl.Int64,
    "items_fixed": pl.Int64,
    "listings": pl.Int64,
    "listings_not_read": pl.Int64,
    "problems": pl.String,
    "data_origin": pl.String,
    "base_url": pl.String,
}


LISTING_COLUMNS = {
    "platform": pl.String,
    "snapshot_date": pl.Date,
    "run_id": pl.String,
    "query_country": pl.String,
    "query_skill": pl.String,
    "outcome": pl.String,
    "complete": pl.Boolean,
}


def listing_outcomes(store: Path | str) -> pl.DataFrame:
    """How every listing of every run ended: platform, snapshot_date, run_id, the listing's
    country and skill filters (``query_country``, ``query_skill``, as profile rows carry them),
    its outcome, and ``complete`` (read to its end - not cut short, not truncated by
    ``max_pages``: only then does a profile it no longer lists count as gone)."""
    from datetime import date

    rows = []
    for record in iter_run_records(store):
        listings = record.get("listings")
        if not isinstance(listings, list) or not record.get("snapshot_date"):
            continue
        try:
            day = date.fromisoformat(str(record["snapshot_date"]))
        except ValueError:
            continue
        for listing in listings:
            if not isinstance(listing, dict):
                continue
            outcome = listing.get("outcome")
            rows.append(
                {
                    "platform": record.get("platform"),
                    "snapshot_date": day,
                    "run_id": record.get("run_id"),
                    "query_country": listing.get("country"),
                    "query_skill": listing.get("skill"),
                    "outcome": outcome,
                    "complete": outcome == ListingOutcome.read_to_end,
                }
            )
    return pl.DataFrame(rows, schema=LISTING_COLUMNS)


def read_runs(store: Path | str) -> pl.DataFrame:
    """One row per recorded run: what ran, when, what it kept and dropped, how it ended.

    ``items_kept`` counts rows durably written to the store; ``items_rejected`` the dropped
    rows that failed a check (``items_dropped`` less :data:`OUT_OF_SCOPE_DROPS`);
    ``items_fixed`` values set to null as implausible; ``listings_not_read`` the listings not
    read to their end; ``problems`` says why the run is not ``complete``; ``plan`` the crawl
    plan that ran it (if any) and ``arguments`` its spider arguments as sorted JSON (runs with
    equal plan, spider and arguments are comparable).
    """
    records, problems = load_run_records(require_store(store))
    if problems:
        warnings.warn(
            StoreWarning(
                f"{len(problems)} run record(s) in {store} skipped (first: {problems[0].path} — "
                f"{problems[0].message}); `olm store check {store}` lists them"
            ),
            stacklevel=2,
        )
    rows = []
    for r in records.values():
        listings = r.get("listings") if isinstance(r.get("listings"), list) else []
        rows.append(
            {
                "run_id": r.get("run_id"),
                "plan": r.get("plan") if isinstance(r.get("plan"), str) else None,
                "spider": r.get("spider"),
                "platform": r.get("platform") if isinstance(r.get("platform"), str) else None,
                "arguments": _arguments_key(r.get("arguments")),
                "status": r.get("status"),
                "started_at": r.get("started_at"),
                "finished_at": r.get("finished_at"),
                "finish_reason": r.get("finish_reason"),
                "items_kept": sum((r.get("items_kept") or {}).values()),
                "items_dropped": sum((r.get("items_dropped") or {}).values()),
                "items_rejected": sum(
                    v
                    for k, v in (r.get("items_dropped") or {}).items()
                    if k not in OUT_OF_SCOPE_DROPS
                ),
                "items_fixed": _fixes(r.get("data_quality")),
                "listings": len(listings),
                "listings_not_read": sum(
                    1
                    for listing in listings
                    if isinstance(listing, dict) and listing.get("outcome") not in READ_OUTCOMES
                ),
                "problems": "; ".join(map(str, r.get("problems") or [])) or None,
                "data_origin": r.get("data_origin"),
                "base_url": r.get("base_url"),
            }
        )
    return pl.DataFrame(rows, schema=RUN_COLUMNS)


def _arguments_key(arguments: Any) -> str | None:
    """The spider arguments that make runs comparable (run_id left out), as sorted JSON."""
    if not isinstance(arguments, dict):
        return None
    kept = {str(k): str(v) for k, v in arguments.items() if k != "run_id"}
    return json.dumps(kept, sort_keys=True)


def _fixes(quality: Any) -> int:
    """Values set to null as implausible (``olm/fix/<what>`` counters)."""
    if not isinstance(quality, dict):
        return 0
    return sum(v for k, v in quality.items() if str(k).startswith("fix/") and isinstance(v, int))


def _ids(run_ids: list[str], limit: int = 3) -> str:
    shown = ", ".join(run_ids[:limit])
    return shown + (f" and {len(run_ids) - limit} more" if len(run_ids) > limit else "")


def provenance_notes(store: Path | str, run_ids: Iterable[str]) -> list[str]:
    """Notes a table built from rows of *run_ids* must carry about where they came from.

    Simulated origins (``SIMULATED DATA: …``); runs whose record is missing or unreadable
    (provenance unknown); runs that never finished; runs that did not read every listing.
    """
    records, _ = load_run_records(store)
    wanted = sorted(set(run_ids))
    notes: list[str] = []
    simulated = sorted(
        {
            str(records[r]["data_origin"])
            for r in wanted
            if r in records and str(records[r].get("data_origin") or "").startswith("simulated")
        }
    )
    notes += [
        f"SIMULATED DATA: crawled from the replay of a {origin}; not real market data."
        for origin in simulated
    ]
    unknown = [r for r in wanted if r not in records or not records[r].get("data_origin")]
    if unknown:
        notes.append(
            f"PROVENANCE UNKNOWN for {len(unknown)} run(s) ({_ids(unknown)}): their run record "
            "is missing, unreadable or names no data origin, so whether their rows are real "
            "or simulated is not known (`olm store check`)."
        )
    running = [r for r in wanted if r in records and records[r].get("status") == RUNNING]
    if running:
        notes.append(
            f"Includes rows of {len(running)} run(s) that never finished (killed, or still "
            f"running): {_ids(running)}."
        )
    incremental = [
        r
        for r in wanted
        if r in records
        and isinstance(records[r].get("arguments"), dict)
        and records[r]["arguments"].get("since") == "stored"
    ]
    if incremental:
        notes.append(
            f"Includes rows of {len(incremental)} incremental jobs run(s) (since=stored): "
            f"{_ids(incremental)}; their snapshots hold projects posted since the previous "
            "crawl, not every open project (a flow, not a stock)."
        )
    short = [
        r
        for r in wanted
        if r in records
        and records[r].get("status") in (Outcome.incomplete, Outcome.blocked, Outcome.failed)
    ]
    if short:
        notes.append(
            f"Includes rows of {len(short)} run(s) that did not read every listing: "
            f"{_ids(short)} (`olm runs` says why)."
        )
    return notes
