"""`olm reference update`'s writing half, fed the shipped WDI series in wbgapi's row format.

The World Bank API itself cannot be reached here (no network); what arrives from it is the rows
``wbgapi.data.fetch`` yields: ``economy`` (alpha-3), ``time`` (``"YR2024"``), ``value``.
"""

from __future__ import annotations

import hashlib
import warnings
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from olmstats import reference
from olmstats.errors import OlmError
from olmstats.reference import INDICATORS
from olmstats.reference_update import SeriesDownload, write_vintage
from tests.conftest import ROOT, run_olm

SHIPPED = ROOT / "data" / "reference"
GDP_PC_SHIPPED_VINTAGE = "2026-07-01"
NEW_VINTAGE = date(2026, 12, 1)
# Pakistan's GDP per capita for 2024 in the shipped file is 1479.47755241191 US$; the new
# vintage carries a revision of it, as a later WDI release would.
REVISED_PK_2024 = 1512.25


def shipped_entry(code: str) -> dict[str, str]:
    manifest = pl.read_csv(SHIPPED / "vintages.csv").filter(pl.col("indicator") == code)
    return manifest.row(0, named=True)


def shipped_download(code: str) -> tuple[dict[str, str], SeriesDownload]:
    entry = shipped_entry(code)
    if entry["dataset"] == "wdi-api":  # the Bank's wide "Download CSV" file
        frame = reference.read_wdi_download(SHIPPED / entry["file"])
    else:
        frame = pl.read_csv(
            SHIPPED / entry["file"], schema_overrides={"Value": pl.Float64, "Year": pl.Int64}
        )
    economies = dict(frame.select("Country Code", "Country Name").unique().iter_rows())
    rows = [
        {"series": code, "economy": iso3, "time": f"YR{year}", "value": value}
        for iso3, year, value in frame.select("Country Code", "Year", "Value").iter_rows()
    ]
    return economies, SeriesDownload(code, f"{code} (test download)", rows)


def api_answer() -> tuple[dict[str, str], list[SeriesDownload]]:
    economies: dict[str, str] = {}
    downloads = []
    for code in INDICATORS.values():
        names, download = shipped_download(code)
        economies.update(names)
        if code == "NY.GDP.PCAP.CD":
            rows = [
                {**row, "value": REVISED_PK_2024}
                if (row["economy"], row["time"]) == ("PAK", "YR2024")
                else row
                for row in download.rows
            ]
            # the API lists years without a figure as value None; they are not written
            rows.append({"series": code, "economy": "PAK", "time": "YR2026", "value": None})
            download = SeriesDownload(code, download.meaning, rows)
        downloads.append(download)
    return economies, downloads


def digests(folder: Path) -> dict[Path, str]:
    return {
        p: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def pakistan_2024(**kwargs: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = reference.for_year("gdp_pc_usd", 2024, countries=["PK"], **kwargs)
    return frame.row(0, named=True)["value"]


def test_new_vintage_sits_beside_the_shipped_one_and_is_used(tmp_path, monkeypatch):
    shipped_before = digests(SHIPPED)
    target = tmp_path / "updates"
    written = write_vintage(target, *api_answer(), today=NEW_VINTAGE)

    assert sorted(p.name for p in written) == sorted(
        f"{code.lower()}@2026-12-01.csv" for code in INDICATORS.values()
    )
    assert digests(SHIPPED) == shipped_before
    manifest = pl.read_csv(target / "vintages.csv")
    assert manifest.height == len(INDICATORS)
    for row in manifest.iter_rows(named=True):
        assert hashlib.sha256((target / row["file"]).read_bytes()).hexdigest() == row["sha256"]
    assert not list(target.rglob(".*.partial"))

    monkeypatch.setenv("OLM_REFERENCE_DIR", str(target))
    assert pakistan_2024() == REVISED_PK_2024
    assert pakistan_2024(vintage=GDP_PC_SHIPPED_VINTAGE) == 1479.47755241191
    gdp = manifest.filter(pl.col("indicator") == "NY.GDP.PCAP.CD").row(0, named=True)
    assert (gdp["first_year"], gdp["last_year"]) == (1960, 2025)  # the None for 2026 is not data
    # every other series round-trips exactly: same economies, years and values as shipped
    for code in INDICATORS.values():
        if code == "NY.GDP.PCAP.CD":
            continue
        shipped = reference.wdi(code, vintage=shipped_entry(code)["vintage"])
        assert reference.wdi(code).equals(shipped), code

    listed = run_olm("reference", "list", env={"OLM_REFERENCE_DIR": str(target)}, check=True)
    assert "2026-12-01" in listed.stdout and GDP_PC_SHIPPED_VINTAGE in listed.stdout


def test_a_vintage_already_present_is_refused(tmp_path):
    target = tmp_path / "updates"
    write_vintage(target, *api_answer(), today=NEW_VINTAGE)
    before = digests(target)
    with pytest.raises(OlmError, match=r"vintage 2026-12-01 is already in .*; nothing changed"):
        write_vintage(target, *api_answer(), today=NEW_VINTAGE)
    assert digests(target) == before
    write_vintage(target, *api_answer(), today=date(2027, 1, 5))
    assert pl.read_csv(target / "vintages.csv")["vintage"].unique().sort().to_list() == [
        "2026-12-01",
        "2027-01-05",
    ]


def test_a_series_without_data_writes_nothing(tmp_path):
    economies, downloads = api_answer()
    empty = SeriesDownload(
        "SP.POP.TOTL", "Population", [{"economy": "PAK", "time": "YR2024", "value": None}]
    )
    downloads = [d if d.code != "SP.POP.TOTL" else empty for d in downloads]
    with pytest.raises(OlmError, match=r"returned no data for SP\.POP\.TOTL; nothing changed"):
        write_vintage(tmp_path / "updates", economies, downloads, today=NEW_VINTAGE)
    assert not (tmp_path / "updates").exists()
