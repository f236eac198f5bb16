"""`olm summary --full`, `olm competition`, `olm earnings`, `olm reference`: formats, plots,
and one-line errors. Uses the demo store of a small simulated market."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import ROOT, run_olm

pytestmark = pytest.mark.slow


def test_full_summary_in_every_format(demo_store, tmp_path):
    csv = run_olm("summary", "--store", str(demo_store), "--full", "--format", "csv", check=True)
    table = pl.read_csv(io.StringIO(csv.stdout))
    for column in (
        "tenure_pct_per_year",
        "workers_per_job",
        "bids_per_job",
        "nominal",
        "intl_rate_low",
        "local_high",
        "local_year",
        "ilo_year",
        "platform",
        "adj_local",
        "region",
        "income_group",
        "reference_year",
    ):
        assert column in table.columns
    assert table.filter(pl.col("country") == "IN")["income_group"].item() == ("Lower middle income")
    assert "Reference year" in csv.stderr and "SIMULATED DATA" in csv.stderr
    latex = run_olm(
        "summary", "--store", str(demo_store), "--full", "--format", "latex", check=True
    ).stdout
    assert latex.startswith("\\begin{table}") and "\\%/year tenure" in latex
    assert "SIMULATED DATA" in latex
    page = tmp_path / "table.html"
    run_olm(
        "summary",
        "--store",
        str(demo_store),
        "--full",
        "--format",
        "html",
        "--output",
        str(page),
        check=True,
    )
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "local, adjusted" in html
    picture = tmp_path / "local.png"
    run_olm("summary", "--store", str(demo_store), "--full", "--plot", str(picture), check=True)
    assert picture.read_bytes()[:4] == b"\x89PNG"


def test_competition_views(demo_store):
    workers = run_olm("competition", "--store", str(demo_store), "--format", "csv", check=True)
    frame = pl.read_csv(io.StringIO(workers.stdout))
    assert frame.height == 6 and (frame["workers_per_job"] > 0).all()
    bids = run_olm(
        "competition",
        "--store",
        str(demo_store),
        "--view",
        "bids",
        "--by",
        "budget_band",
        check=True,
    ).stdout
    assert "fixed $30-250" in bids and "not all active" in bids
    shares = run_olm(
        "competition",
        "--store",
        str(demo_store),
        "--view",
        "shares",
        "--format",
        "json",
        check=True,
    ).stdout
    assert '"worker_share"' in shares
    flow = run_olm(
        "competition",
        "--store",
        str(demo_store),
        "--view",
        "new-projects",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-23",
        "--by",
        "occupation,employer_country",
        "--format",
        "csv",
        check=True,
    )
    frame = pl.read_csv(io.StringIO(flow.stdout))
    assert frame["new_projects"].sum() > 0 and (frame["days"] == 8).all()
    assert "A flow, as the Online Labour Index counts" in flow.stderr
    assert "No crawl from 2026-11-16 to 2026-11-24" in flow.stderr  # said, not hidden
    wrong = run_olm("competition", "--store", str(demo_store), "--since", "2026-11-16")
    assert (
        wrong.returncode == 2 and "--since and --until go with --view new-projects" in wrong.stderr
    )
    bad = run_olm("competition", "--store", str(demo_store), "--view", "bids", "--by", "weekday")
    assert bad.returncode == 2 and "by must be one of" in bad.stderr
    assert bad.stderr.count("\n") == 1


def test_earnings_levels_and_plot(demo_store, tmp_path):
    table = run_olm("earnings", "--store", str(demo_store), check=True).stdout
    # the CPI and the private-consumption PPP factors end in 2024: one reference year, 2024
    assert "Relative earnings (country), reference year 2024" in table
    assert "Reference year 2024 for every index" in table
    assert "prices and exchange rates since 2024 are not in the indices" in table
    regions = run_olm(
        "earnings", "--store", str(demo_store), "--level", "region", "--format", "csv", check=True
    )
    frame = pl.read_csv(io.StringIO(regions.stdout))
    assert "South Asia" in frame["region"].to_list()
    assert (frame["nominal_low"] <= frame["nominal"]).all()
    picture = tmp_path / "bars.png"
    run_olm(
        "earnings",
        "--store",
        str(demo_store),
        "--index",
        "nominal",
        "--adjusted",
        "--plot",
        str(picture),
        check=True,
    )
    assert picture.stat().st_size > 20_000
    bad = run_olm("earnings", "--store", str(demo_store), "--year", "1900")
    assert bad.returncode == 2 and "outside the reference range" in bad.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summary", "--plot", "x.png"], "need --full"),
        (["summary", "--full", "--index", "gdp"], "--index must be one of"),
        (["earnings", "--hours", "0"], "--hours must be positive and finite"),
    ],
)
def test_table_mistakes_one_line(demo_store, args, message):
    result = run_olm(*args, "--store", str(demo_store))
    assert result.returncode == 2 and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_reference_update_offline_changes_nothing(tmp_path):
    shipped = ROOT / "data" / "reference"
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in shipped.rglob("*.csv")}
    target = tmp_path / "updates"
    result = run_olm("reference", "update", "--dir", str(target))
    assert result.returncode == 1
    assert "offline: cannot reach api.worldbank.org" in result.stderr
    assert "nothing changed" in result.stderr and result.stderr.count("\n") == 1
    assert not target.exists()
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in shipped.rglob("*.csv")}
    assert before == after
    listed = run_olm("reference", "list", check=True).stdout
    assert "NY.GDP.PCAP.CD" in listed and "2026-07-01" in listed


def test_reference_files_match_their_manifest():
    shipped = ROOT / "data" / "reference"
    manifest = pl.read_csv(shipped / "vintages.csv")
    for row in manifest.iter_rows(named=True):
        path = shipped / row["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"], row["file"]
        assert row["vintage"] in Path(row["file"]).name
