"""The job directory of a resumable crawl: what a crawl killed with SIGKILL needs to finish.

Set ``OLM_JOB_DIR`` (``olm plan run`` gives each crawl of a plan its own) and the crawl keeps a
journal there, ``journal.jsonl``, one JSON object per line, each written and fsynced before the
crawl goes on:

- ``start``: the run id, snapshot date, start time, spider and arguments;
- ``lookups``: what the spider fetched before its listings (a platform's skill and country
  lists), so that a resumed crawl reads its listings with the same ids;
- ``listing``: a listing read to its end (or failed for good) *after* every row it yielded
  is in a part file in the store - its record as the run record shows it;
- ``end``: the run closed (any status but ``running``).

A crawl that finds a journal without ``end`` for the same spider and arguments resumes it: the
same run id and snapshot date (its rows join the run's), the listings journaled as done are not
read again, the others are read from their first page. Rows already stored are not stored twice:
the run's own part files give the deduplication stage the keys it has seen, and numbering of
part files goes on after the last one. Scrapy's own ``JOBDIR`` is not used for this: it loses
the requests in flight when the process is killed, which would lose their pages' rows.

A journal that ends with ``end`` belongs to a finished run: the next crawl starts a new run
(the old journal is kept as ``journal-<run id>.jsonl``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from olmstats.errors import InputError

JOURNAL = "journal.jsonl"


@dataclass(frozen=True)
class ListingDone:
    """Not an item: the marker a spider yields after the last items of a listing read to its
    end. Pipeline stages pass it on; the store stage flushes its part files and journals the
    listing (items are processed in order: ``CONCURRENT_ITEMS`` is 1 with a job directory)."""

    label: str


@dataclass
class Resumed:
    """What a journal says about an unfinished run."""

    run_id: str
    snapshot_date: str
    started_at: str
    lookups: dict[str, Any] = field(default_factory=dict)
    listings: dict[str, dict[str, Any]] = field(default_factory=dict)
    resumed_before: int = 0


class Journal:
    """Append-only, fsynced lines in ``<job dir>/journal.jsonl``."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.path = self.folder / JOURNAL

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        found = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                break  # a line cut by the kill: everything before it holds
            if isinstance(entry, dict):
                found.append(entry)
        return found

    def unfinished(self, spider: str, arguments: dict[str, str]) -> Resumed | None:
        """The run this journal holds if it never ended; None for none (or a finished one,
        which is set aside). InputError if it belongs to another spider or other arguments."""
        entries = self.entries()
        if not entries:
            return None
        start = entries[0]
        if start.get("kind") != "start":
            raise InputError(f"{self.path} is not an olmstats journal (first entry {start})")
        if any(e.get("kind") == "end" for e in entries):
            self.path.rename(self.folder / f"journal-{start['run_id']}.jsonl")
            return None
        if start.get("spider") != spider or start.get("arguments") != arguments:
            raise InputError(
                f"{self.folder} holds an unfinished {start.get('spider')} run "
                f"({start.get('run_id')}, arguments {start.get('arguments')}): finish it with "
                "the same arguments, or give this crawl another job directory"
            )
        resumed = Resumed(start["run_id"], start["snapshot_date"], start["started_at"])
        for entry in entries[1:]:
            if entry.get("kind") == "lookups":
                resumed.lookups = entry.get("lookups") or {}
            elif entry.get("kind") == "listing":
                resumed.listings[entry["record"]["listing"]] = entry["record"]
            elif entry.get("kind") == "resumed":
                resumed.resumed_before += 1
        return resumed

    def append(self, entry: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(entry, sort_keys=True, default=str) + "\n").encode()
        with self.path.open("ab") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
