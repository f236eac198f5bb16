"""Every user mistake ends in one line naming it and a non-zero exit; the library raises
InputError, never a raw Polars or NumPy error."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import polars as pl
import pytest

import olmstats
from olmstats import InputError, progression, scan_profiles
from olmstats.store import scan_jobs
from tests.conftest import run_olm
from tests.test_cli import one_line_error

TABLE_COMMANDS = [
    ["summary"],
    ["summary", "--full"],
    ["progression"],
    ["competition"],
    ["earnings"],
    ["runs"],
    ["gradient"],
    ["dispersion"],
    ["hiring"],
]


@pytest.mark.parametrize("command", TABLE_COMMANDS)
def test_output_to_a_folder_or_a_missing_folder(demo_store, tmp_path, command):
    store = ["--store", str(demo_store)]
    line = one_line_error(run_olm(*command, *store, "--output", str(tmp_path)))
    assert f"--output {tmp_path} is a folder" in line
    missing = tmp_path / "no" / "such" / "table.csv"
    line = one_line_error(run_olm(*command, *store, "--output", str(missing)))
    assert f"folder {missing.parent} does not exist" in line


@pytest.mark.parametrize("fmt", ["csv", "parquet", "markdown"])
def test_output_to_a_full_device(demo_store, fmt):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    result = run_olm("summary", "--store", str(demo_store), "-f", fmt, "--output", "/dev/full")
    assert "cannot write --output /dev/full: No space left on device" in one_line_error(
        result, code=2
    )


@pytest.mark.parametrize(
    "command",
    [["summary", "--full"], ["progression", "--by", "country"], ["earnings"]],
)
def test_plot_paths_are_checked_before_any_work(demo_store, tmp_path, command):
    store = ["--store", str(demo_store)]
    cases = {
        str(tmp_path): "is a folder",
        str(tmp_path / "missing" / "p.png"): "does not exist",
        str(tmp_path / "rates"): "has no file extension; end the name in one of",
        str(tmp_path / "rates.xyz"): "has format .xyz; end the name in one of",
    }
    for target, message in cases.items():
        assert message in one_line_error(run_olm(*command, *store, "--plot", target))
    assert not list(tmp_path.iterdir())  # nothing written, not even rates.xyz.png


def test_plot_writes_exactly_the_named_file_in_its_format(demo_store, tmp_path):
    target = tmp_path / "rates.svg"
    run_olm("earnings", "--store", str(demo_store), "--plot", str(target), check=True)
    assert [p.name for p in tmp_path.iterdir()] == ["rates.svg"]
    assert target.read_text()[:200].lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    "command",
    [
        ["summary"],
        ["progression"],
        ["competition"],
        ["earnings"],
        ["gradient"],
        ["dispersion"],
        ["hiring"],
    ],
)
@pytest.mark.parametrize("value", ["0", "-3"])
def test_min_count_below_one_is_refused_alike(demo_store, command, value):
    result = run_olm(*command, "--store", str(demo_store), "--min-count", value)
    assert f"'--min-count': must be at least 1, got {value}" in one_line_error(result)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5"])
def test_hours_must_be_finite_and_positive(demo_store, value):
    result = run_olm("earnings", "--store", str(demo_store), "--hours", value)
    assert "--hours must be positive and finite" in one_line_error(result)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is neither labour_force nor a CSV file"),
        ("country,share\nIN,1\n", "needs the columns country,weight"),
        ("country,weight\nIN,1\nBD,lots\n", "weight of BD is not a number"),
        ("country,weight\nIN,-1\n", "group weight of 'IN' must be a positive number"),
    ],
)
def test_bad_group_weights_file(demo_store, tmp_path, content, message):
    path = tmp_path / "weights.csv"
    if content is not None:
        path.write_text(content)
    result = run_olm("earnings", "--store", str(demo_store), "--group-weights", str(path))
    assert message in one_line_error(result)


def test_group_weights_from_a_file_weight_the_regions(demo_store, tmp_path):
    path = tmp_path / "weights.csv"
    path.write_text("country,weight\nIN,1\nBD,1\nPK,1\n")
    result = run_olm(
        "earnings",
        "--store",
        str(demo_store),
        "--level",
        "region",
        "--format",
        "csv",
        "--group-weights",
        str(path),
        check=True,
    )
    assert "each country weighted by weights given by the user" in result.stderr
    assert "left out:" in result.stderr  # every other country, named


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "--port", "99999"], "'--port': Input should be less than or equal to 65535"),
        (["replay", "--port", "-1"], "'--port': Input should be greater than or equal to 0"),
        (["demo", "--profiles", "-5"], "--profiles"),
        (["demo", "--jobs", "0"], "--jobs"),
        (["crawl", "freelancer_jobs", "--log-level", "NONSENSE"], "--log-level must be one of"),
        (["crawl", "freelancer_jobs", "--set", "=5"], "NAME=VALUE"),
        (["crawl", "freelancer_jobs", "--set", "DOWNLOD_DELAY=2"], "did you mean DOWNLOAD_DELAY"),
        (["crawl", "freelancer_jobs", "--set", "DOWNLOAD_DELAY=fast"], "takes a number"),
        (["crawl", "freelancer_jobs", "--set", "DOWNLOAD_DELAY=nan"], "takes a finite number"),
        (["crawl", "freelancer_jobs", "--set", "ROBOTSTXT_OBEY=maybe"], "True or False"),
        (["crawl", "freelancer_jobs", "--set", "RETRY_TIMES=2.5"], "a whole number"),
        (["crawl", "freelancer_jobs", "--set", "ITEM_PIPELINES={oops"], "JSON"),
        (["crawl", "freelancer_jobs", "--run-id", "../escape"], "invalid run id"),
    ],
)
def test_crawl_demo_and_replay_mistakes(tmp_path, args, message):
    store = tmp_path / "store"
    if args[0] == "demo":
        args = [*args, "--store", str(store)]
    result = run_olm(*args, "--store", str(store)) if args[0] == "crawl" else run_olm(*args)
    assert message in one_line_error(result)
    assert not store.exists()  # refused before anything was created


def test_after_the_demo_the_next_commands_find_its_store(demo_store, tmp_path):
    shutil.copytree(demo_store, tmp_path / "demo-store")
    for command in (["summary", "-f", "csv"], ["runs"]):
        result = run_olm(*command, cwd=tmp_path, check=True)
        assert "note: showing demo-store/, the store `olm demo` wrote" in result.stderr
        assert result.stdout.strip()
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    line = one_line_error(run_olm("summary", cwd=empty))
    assert "store not found: store" in line and "`olm demo`, which writes demo-store/" in line


def test_crawl_keeps_scrapy_out_of_the_way(replay, tmp_path):
    from tests.conftest import replay_settings
    from tests.fault_server import FaultServer

    with FaultServer(replay, "none") as server:
        quiet = run_olm("crawl", "freelancer_jobs", *replay_settings(server.url, tmp_path / "a"))
        loud = run_olm(
            "crawl",
            "freelancer_jobs",
            *replay_settings(server.url, tmp_path / "b"),
            "--log-level",
            "info",
        )
    assert quiet.returncode == loud.returncode == 0
    assert quiet.stderr.count("\n") == 1 and quiet.stderr.startswith("freelancer_jobs: complete")
    assert "[scrapy.core.engine] INFO: Spider opened" in loud.stderr
    assert loud.stderr.strip().splitlines()[-1].startswith("freelancer_jobs: complete")


# -- the library -------------------------------------------------------------------------------


def test_a_path_none_or_other_object_is_not_a_frame(demo_store):
    for call in (
        lambda x: olmstats.country_summary(x),
        lambda x: progression.rate_progression(x),
        lambda x: olmstats.relative_earnings(x),
        lambda x: olmstats.competition.workers_per_job(x, scan_jobs(demo_store)),
        lambda x: olmstats.full_country_table(x),
    ):
        with pytest.raises(InputError, match=r"olmstats.scan_profiles\('store'\)"):
            call("store")
        with pytest.raises(InputError, match="got NoneType"):
            call(None)
        with pytest.raises(InputError, match="got dict"):
            call({"country": ["PK"]})
    with pytest.raises(InputError, match=r"jobs must be .* olmstats.scan_jobs"):
        olmstats.competition.bids_per_job(str(demo_store))


def test_missing_columns_and_wrong_types_are_named(demo_store):
    profiles = scan_profiles(demo_store)
    with pytest.raises(InputError, match=r"profiles lacks column.s. hourly_rate_usd"):
        olmstats.country_summary(profiles.drop("hourly_rate_usd"))
    with pytest.raises(
        InputError,
        match=r"profiles.hourly_rate_usd must be number \(an integer or float\), got String",
    ):
        olmstats.country_summary(profiles.with_columns(pl.col("hourly_rate_usd").cast(pl.String)))
    with pytest.raises(InputError, match=r"profiles.country must be text \(String\), got Categ"):
        olmstats.country_summary(profiles.with_columns(pl.col("country").cast(pl.Categorical)))
    with pytest.raises(InputError, match="min_count must be a whole number of at least 1"):
        progression.rate_progression(profiles, min_count=-1)
    with pytest.raises(InputError, match=r"since must be a datetime\.date"):
        olmstats.country_summary(profiles, since="2026-01-01")
    with pytest.raises(InputError, match="store must be a folder path, got NoneType"):
        scan_profiles(None)
    with pytest.raises(InputError, match=r"profiles lacks column.s. registration_date"):
        progression.rate_progression(profiles.drop("registration_date"))
    with pytest.raises(InputError, match=r"jobs lacks column.s. bid_count"):
        olmstats.competition.bids_per_job(scan_jobs(demo_store).drop("bid_count"))


@pytest.mark.parametrize("bad", [-5.0, math.inf, math.nan])
def test_negative_or_non_finite_rates_are_refused(demo_store, bad):
    data = scan_profiles(demo_store).collect()
    data = data.with_columns(
        hourly_rate_usd=pl.when(pl.int_range(pl.len()) < 3)
        .then(bad)
        .otherwise(pl.col("hourly_rate_usd"))
    )
    for call in (
        olmstats.country_summary,
        progression.rate_progression,
        olmstats.relative_earnings,
        olmstats.full_country_table,
    ):
        with pytest.raises(InputError, match="hourly_rate_usd has 3 negative or non-finite"):
            call(data)


def test_a_data_frame_is_as_good_as_a_lazy_frame(demo_store):
    lazy = scan_profiles(demo_store)
    assert olmstats.country_summary(lazy.collect()).equals(olmstats.country_summary(lazy))
