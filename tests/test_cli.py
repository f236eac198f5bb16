"""`olm` from a terminal: formats, and one-line errors with non-zero exits for user mistakes."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest

from olmstats import scan_jobs, scan_profiles
from olmstats.summary import country_summary
from tests.conftest import run_olm
from tests.test_summary import hand_store  # noqa: F401 (fixture)


def one_line_error(result, code: int = 2) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("olm: error: ")
    return lines[0]


def test_summary_csv_equals_the_library(hand_store):  # noqa: F811
    result = run_olm("summary", "--store", str(hand_store), "--format", "csv", check=True)
    from_cli = pl.read_csv(io.StringIO(result.stdout), try_parse_dates=True)
    expected = country_summary(scan_profiles(hand_store), scan_jobs(hand_store))
    assert from_cli["country"].to_list() == expected["country"].to_list()
    assert from_cli["rate_median_usd"].to_list() == expected["rate_median_usd"].to_list()
    assert from_cli.filter(pl.col("country") == "NA")["country_name"].item() == "Namibia"


def test_summary_json_markdown_table_and_parquet(hand_store, tmp_path):  # noqa: F811
    as_json = json.loads(run_olm("summary", "-s", str(hand_store), "-f", "json", check=True).stdout)
    assert as_json[0]["country"] == "PK" and as_json[0]["rate_median_usd"] == 6.5
    markdown = run_olm("summary", "-s", str(hand_store), "-f", "markdown", check=True).stdout
    assert "| PK" in markdown and "$6.50" in markdown and "suppressed" in markdown
    table = run_olm("summary", "-s", str(hand_store), check=True).stdout
    assert "Pakistan" in table and "3.00–10.00" in table and "–" in table
    out = tmp_path / "summary.parquet"
    run_olm("summary", "-s", str(hand_store), "-f", "parquet", "--output", str(out), check=True)
    assert pl.read_parquet(out)["profiles"].to_list()[:3] == [12, 10, 3]


def test_summary_filters_from_the_command_line(hand_store):  # noqa: F811
    result = run_olm(
        "summary",
        "-s",
        str(hand_store),
        "-f",
        "csv",
        "--country",
        "in",
        "--occupation",
        "creative_multimedia",
        "--min-count",
        "1",
        check=True,
    )
    frame = pl.read_csv(io.StringIO(result.stdout))
    assert frame["country"].to_list() == ["IN"] and frame["profiles"].to_list() == [4]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summary", "--store", "/nonexistent/store"], "store not found"),
        (["summary", "--country", "XX"], "unknown country 'XX'"),
        (["summary", "--occupation", "plumbing"], "unknown occupation"),
        (["summary", "--since", "yesterday"], "--since must be a date"),
        (["summary", "--format", "parquet"], "needs --output"),
        (["summary", "--format", "excel"], "excel"),
        (["summary", "--min-count", "0"], "'--min-count': must be at least 1"),
        (["summary", "--country", "NA", "--occupation", "sales_marketing"], "no profiles"),
        (["schema", "people"], "unknown dataset"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_user_mistakes_get_one_line(hand_store, args, message):  # noqa: F811
    if "--store" not in args and args[0] == "summary":
        args = [*args, "--store", str(hand_store)]
    assert message in one_line_error(run_olm(*args))


def test_empty_store_is_named(tmp_path):
    assert "has no profiles" in one_line_error(run_olm("summary", "--store", str(tmp_path)))


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["crawl", "freelancer_gigs"], {}, "unknown spider"),
        (["crawl", "freelancer_profiles", "--country", "Pakistan"], {}, "did you mean PK"),
        (["crawl", "freelancer_profiles", "--country", "XX"], {}, "unknown country 'XX'"),
        (["crawl", "freelancer_jobs", "--country", "PK"], {}, "does not apply to freelancer_jobs"),
        (["crawl", "freelancer_jobs", "--since", "2099-01-01"], {}, "in the future"),
        (["crawl", "freelancer_jobs", "--max-pages", "0"], {}, "at least 1"),
        (["crawl", "freelancer_jobs", "--set", "NOEQUALS"], {}, "NAME=VALUE"),
        (["crawl", "freelancer_jobs"], {"OLM_PSEUDONYM_KEY": ""}, "OLM_PSEUDONYM_KEY"),
        (["crawl", "freelancer_jobs"], {"OLM_PSEUDONYM_KEY": "short"}, "at least 16"),
    ],
)
def test_crawl_mistakes_get_one_line_before_any_request(tmp_path, args, env, message):
    result = run_olm(*args, "--store", str(tmp_path), env=env)
    assert message in one_line_error(result)
    assert not (tmp_path / "runs").exists()


def test_schema_runs_and_occupations(hand_store):  # noqa: F811
    schema = run_olm("schema", "jobs", check=True).stdout
    assert "employer_country" in schema and "ISO 3166-1 alpha-2" in schema
    occupations = run_olm("occupations", check=True).stdout.splitlines()
    assert len(occupations) == 6 and occupations[0].startswith("clerical_data_entry")
    assert "has no" not in run_olm("runs", "--store", str(hand_store)).stderr


@pytest.mark.slow
def test_demo_runs_offline_and_says_it_is_simulated(tmp_path):
    store = tmp_path / "demo"
    result = run_olm(
        "demo",
        "--store",
        str(store),
        "--profiles",
        "1500",
        "--jobs",
        "400",
        "--format",
        "csv",
        check=True,
    )
    table = pl.read_csv(io.StringIO(result.stdout))  # stdout is pure CSV
    assert table.height >= 40 and table["profiles"].sum() >= 1500
    assert "note: SIMULATED DATA" in result.stderr
    assert (
        "profiles from Freelancer.com, Guru, PeoplePerHour; "
        "jobs from Freelancer.com, Guru, PeoplePerHour, Upwork" in result.stderr
    )
    again = run_olm("summary", "--store", str(store), check=True).stdout
    assert "SIMULATED DATA" in again
    picture = tmp_path / "demo-rates.png"
    progression = run_olm(
        "progression", "--store", str(store), "--by", "country", "--plot", str(picture), check=True
    ).stdout
    assert "% per year of tenure" in progression and "IN" in progression
    assert picture.stat().st_size > 20_000
    occupied = tmp_path / "mine"
    occupied.mkdir()
    (occupied / "thesis.tex").write_text("keep me")
    assert "not a demo store" in one_line_error(run_olm("demo", "--store", str(occupied)))
    assert (occupied / "thesis.tex").exists()
