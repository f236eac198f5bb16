"""Refresh the WDI reference series from the World Bank API (wbgapi), as new dated files.

Old files are never touched: each run writes ``wdi/<code>@<today>.csv`` (the same long format as
the shipped files) and adds rows to ``vintages.csv`` in the update folder
(:func:`olmstats.reference.user_reference_dir`). Without a connection it says so and writes
nothing. World Bank regions and income groups, and ILO earnings, are not in this API: refresh
them by hand as their SOURCE.md describes.

Two halves: :func:`fetch_world_bank` talks to the API (through wbgapi) and returns its rows;
:func:`write_vintage` checks them and writes the files. Nothing is written until every series
has arrived, each file appears by atomic rename, and a vintage already present is refused rather
than overwritten.
"""

from __future__ import annotations

import csv
import hashlib
import io
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from olmstats.errors import OlmError
from olmstats.reference import INDICATORS

API_HOST = "api.worldbank.org"
MANIFEST_FIELDS = (
    "file",
    "dataset",
    "indicator",
    "meaning",
    "vintage",
    "first_year",
    "last_year",
    "sha256",
)


class OfflineError(OlmError):
    """The World Bank API cannot be reached; nothing was changed."""


@dataclass(frozen=True)
class SeriesDownload:
    """One WDI series as wbgapi returns it.

    *rows* are ``wbgapi.data.fetch`` rows: ``economy`` (ISO 3166 alpha-3 or a World Bank
    aggregate code), ``time`` (``"YR2024"``) and ``value`` (None where there is no figure).
    """

    code: str
    meaning: str
    rows: Sequence[Mapping[str, Any]]


def check_online(timeout: float = 5.0) -> None:
    try:
        with socket.create_connection((API_HOST, 443), timeout=timeout):
            return
    except OSError as exc:
        raise OfflineError(
            f"offline: cannot reach {API_HOST} ({exc.strerror or exc}); nothing changed"
        ) from None


def fetch_world_bank(timeout: float = 5.0) -> tuple[dict[str, str], list[SeriesDownload]]:
    """Economy names (alpha-3 → name) and every series of ``INDICATORS``, from the API."""
    check_online(timeout)
    try:
        import wbgapi as wb
    except ImportError:
        raise OlmError(
            "olm reference update needs wbgapi: pip install 'olmstats[reference]'"
        ) from None
    economies = {row["id"]: row["value"] for row in wb.economy.list()}
    downloads = [
        SeriesDownload(
            code=code,
            meaning=wb.series.get(code)["value"],
            rows=list(wb.data.fetch(code, economy="all")),
        )
        for code in INDICATORS.values()
    ]
    return economies, downloads


def _records(download: SeriesDownload, economies: Mapping[str, str]) -> list[list[object]]:
    records: list[list[object]] = []
    for row in download.rows:
        if row["value"] is None:
            continue
        year = str(row["time"]).removeprefix("YR")
        if not year.isdigit():
            raise OlmError(f"{download.code}: unexpected time {row['time']!r}; nothing changed")
        economy = row["economy"]
        records.append([economies.get(economy, economy), economy, int(year), float(row["value"])])
    if not records:
        raise OlmError(f"the World Bank API returned no data for {download.code}; nothing changed")
    records.sort(key=lambda r: (r[1], r[2]))
    return records


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8", newline="")
    partial.replace(path)


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_vintage(
    target: Path,
    economies: Mapping[str, str],
    downloads: Sequence[SeriesDownload],
    *,
    today: date | None = None,
) -> list[Path]:
    """Write *downloads* as vintage *today* under *target*; return the files written."""
    stamp = (today or date.today()).isoformat()
    manifest = target / "vintages.csv"
    existing: list[dict[str, str]] = []
    if manifest.is_file():
        with manifest.open(encoding="utf-8", newline="") as handle:
            existing = list(csv.DictReader(handle))
    present = {(row["indicator"], row["vintage"]) for row in existing}
    staged = []
    for download in downloads:  # check everything before writing anything
        if (download.code, stamp) in present:
            raise OlmError(
                f"{download.code} vintage {stamp} is already in {target}; nothing changed"
            )
        staged.append((download, _records(download, economies)))
    written: list[Path] = []
    added: list[dict[str, object]] = []
    for download, records in staged:
        path = target / "wdi" / f"{download.code.lower()}@{stamp}.csv"
        text = _csv_text(["Country Name", "Country Code", "Year", "Value"], records)
        _write_atomically(path, text)
        years = [int(r[2]) for r in records]  # type: ignore[call-overload]
        added.append(
            {
                "file": path.relative_to(target).as_posix(),
                "dataset": "wdi",
                "indicator": download.code,
                "meaning": download.meaning,
                "vintage": stamp,
                "first_year": min(years),
                "last_year": max(years),
                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            }
        )
        written.append(path)
    rows = [[row[field] for field in MANIFEST_FIELDS] for row in [*existing, *added]]
    _write_atomically(manifest, _csv_text(MANIFEST_FIELDS, rows))
    return written


def update(target: Path, *, today: date | None = None, timeout: float = 5.0) -> list[Path]:
    """Download every series of ``INDICATORS`` into *target*; return the files written."""
    economies, downloads = fetch_world_bank(timeout)
    return write_vintage(target, economies, downloads, today=today)
