"""Refresh the WDI reference series from the World Bank API (wbgapi), as new dated files.

Old files are never touched: each run writes ``wdi/<code>@<today>.csv`` (the same long format as
the shipped files) and appends rows to ``vintages.csv`` in the update folder
(:func:`olmstats.reference.user_reference_dir`). Without a connection it says so and writes
nothing. World Bank regions and income groups, and ILO earnings, are not in this API: refresh
them by hand as their SOURCE.md describes.
"""

from __future__ import annotations

import csv
import hashlib
import socket
from datetime import date
from pathlib import Path

from olmstats.errors import OlmError
from olmstats.reference import INDICATORS

API_HOST = "api.worldbank.org"


class OfflineError(OlmError):
    """The World Bank API cannot be reached; nothing was changed."""


def check_online(timeout: float = 5.0) -> None:
    try:
        with socket.create_connection((API_HOST, 443), timeout=timeout):
            return
    except OSError as exc:
        raise OfflineError(
            f"offline: cannot reach {API_HOST} ({exc.strerror or exc}); nothing changed"
        ) from None


def update(target: Path, *, today: date | None = None, timeout: float = 5.0) -> list[Path]:
    """Download every series of ``INDICATORS`` into *target*; return the files written."""
    check_online(timeout)
    try:
        import wbgapi as wb
    except ImportError:
        raise OlmError(
            "olm reference update needs wbgapi: pip install 'olmstats[reference]'"
        ) from None
    stamp = (today or date.today()).isoformat()
    economies = {row["id"]: row["value"] for row in wb.economy.list()}
    rows_out: list[dict[str, object]] = []
    written: list[Path] = []
    staged: list[tuple[Path, list[list[object]], str, str]] = []
    for code in INDICATORS.values():
        records = [
            [
                economies.get(r["economy"], r["economy"]),
                r["economy"],
                int(str(r["time"]).removeprefix("YR")),
                r["value"],
            ]
            for r in wb.data.fetch(code, economy="all")
            if r["value"] is not None
        ]
        if not records:
            raise OlmError(f"the World Bank API returned no data for {code}; nothing changed")
        staged.append(
            (
                target / "wdi" / f"{code.lower()}@{stamp}.csv",
                records,
                code,
                wb.series.get(code)["value"],
            )
        )
    for path, records, code, meaning in staged:  # write only once everything has arrived
        path.parent.mkdir(parents=True, exist_ok=True)
        records.sort(key=lambda r: (r[1], r[2]))
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Country Name", "Country Code", "Year", "Value"])
            writer.writerows(records)
        years = [r[2] for r in records]
        rows_out.append(
            {
                "file": str(path.relative_to(target)),
                "dataset": "wdi",
                "indicator": code,
                "meaning": meaning,
                "vintage": stamp,
                "first_year": min(years),
                "last_year": max(years),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            }
        )
        written.append(path)
    manifest = target / "vintages.csv"
    new = not manifest.exists()
    with manifest.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows_out[0]))
        if new:
            writer.writeheader()
        writer.writerows(rows_out)
    return written
