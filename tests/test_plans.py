"""Crawl plans: checked before crawling, run under a lock, one crawl per platform at a time,
scheduled by systemd or cron. Real crawls of loopback replays."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from olmstats import scan_jobs, scan_profiles
from olmstats.plans import load_plan, plan_lock
from olmstats.platforms.guru.replay import GuruReplay
from olmstats.replay import ReplayServer
from tests.conftest import ROOT, run_olm

DEMO_PLAN = ROOT / "plans" / "demo.toml"
FAST = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS=8"]


def write_plan(folder: Path, body: str, name: str = "test") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_example_plan_covers_the_demo(small_market):
    from olmstats.platforms.freelancer.replay import FreelancerReplay

    plan = load_plan(DEMO_PLAN)
    assert plan.name == "demo" and plan.cadence == "daily"
    assert plan.platforms == ["freelancer", "guru", "peopleperhour"]
    demo = {
        spider: arguments
        for spider, arguments in FreelancerReplay(small_market).demo_crawls()
        + GuruReplay(small_market).demo_crawls()
    }
    crawls = {c.spider: c.arguments for c in plan.crawls}
    assert set(demo) <= set(crawls)
    demo_countries = set(FreelancerReplay(small_market).countries)
    assert set(crawls["freelancer_profiles"]["countries"].split(",")) >= demo_countries
    assert crawls["freelancer_jobs"] == {}  # every skill: the listing is not filtered
    checked = run_olm("plan", "check", str(DEMO_PLAN))
    assert checked.returncode == 0, checked.stderr
    assert "plan demo: 6 crawl(s) on freelancer, guru, peopleperhour; daily" in checked.stderr


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'cadence = "daily"\n[[crawl]]\nspider = "freelancer_profile"\n',
            "unknown spider 'freelancer_profile' (did you mean freelancer_profiles",
        ),
        (
            'cadence = "daily"\n[[crawl]]\nspider = "freelancer_jobs"\nskills = ["Pyhton"]\n',
            "freelancer lists no skill 'Pyhton' in its taxonomy",
        ),
        (
            'cadence = "daily"\n[[crawl]]\nspider = "guru_jobs"\ncategories = ["gardening"]\n',
            "guru lists no category 'gardening'",
        ),
        (
            'cadence = "daily"\n[[crawl]]\nspider = "freelancer_profiles"\ncountries = ["XX"]\n',
            "unknown country",
        ),
        (
            'cadence = "daily"\n[[crawl]]\nspider = "guru_jobs"\ncountries = ["PK"]\n',
            "guru_jobs does not take countries",
        ),
        (
            'cadence = "fortnightly"\n[[crawl]]\nspider = "guru_jobs"\n',
            "cadence must be one of hourly, daily, weekly, monthly",
        ),
        (
            'cadence = "daily"\nweekday = "mon"\n[[crawl]]\nspider = "guru_jobs"\n',
            "weekday applies to weekly plans only",
        ),
        (
            'cadence = "daily"\nat = "25:00"\n[[crawl]]\nspider = "guru_jobs"\n',
            "at must be a UTC time HH:MM",
        ),
        ('cadence = "daily"\n', "the plan lists no crawl"),
        ('cadence = "daily"\ncrawls = 1\n', "unknown key 'crawls'"),
        (
            'cadence = "daily"\n[[crawl]]\nspider = "guru_jobs"\n[[crawl]]\nspider = "guru_jobs"\n',
            "crawl 2 repeats crawl 1",
        ),
        (
            'cadence = "daily"\n[[crawl]]\nspider = "guru_jobs"\nmax_pages = 0\n',
            "max_pages must be a whole number",
        ),
        ('cadence = "daily"\n[[crawl]]\nspider = "upwork_rss"\n', "imports archived files"),
        ("cadence = daily\n", "not valid TOML"),
    ],
)
def test_a_bad_plan_is_one_line_before_any_crawl(tmp_path, body, message):
    path = write_plan(tmp_path, body)
    checked = run_olm("plan", "check", str(path))
    assert checked.returncode == 2 and checked.stderr.count("\n") == 1, checked.stderr
    assert message in checked.stderr and str(path) in checked.stderr
    ran = run_olm("plan", "run", str(path), "--store", str(tmp_path / "store"))
    assert ran.returncode == 2 and message in ran.stderr
    assert not (tmp_path / "store").exists()  # nothing was started, not even the store


def test_categories_and_skills_are_matched_as_the_platform_spells_them(tmp_path):
    path = write_plan(
        tmp_path,
        'cadence = "weekly"\nweekday = "fri"\nat = "22:05"\n'
        '[[crawl]]\nspider = "guru_jobs"\ncategories = ["Programming & Development"]\n'
        '[[crawl]]\nspider = "freelancer_jobs"\nskills = ["python", "Graphic Design"]\n'
        '[[crawl]]\nspider = "peopleperhour_jobs"\ncategories = ["design/logo-design"]\n',
    )
    plan = load_plan(path)
    assert [c.arguments for c in plan.crawls] == [
        {"categories": "Programming & Development"},
        {"skills": "python,Graphic Design"},
        {"categories": "design/logo-design"},
    ]
    assert (plan.on_calendar, plan.cron) == ("Fri *-*-* 22:05:00 UTC", "5 22 * * 5")


SMALL_PLAN = """
name = "small"
cadence = "daily"

[[crawl]]
spider = "freelancer_profiles"
countries = ["PK", "IN", "BD"]

[[crawl]]
spider = "freelancer_jobs"

[[crawl]]
spider = "guru_jobs"
"""


def plan_run(path: Path, store: Path, urls: dict[str, str], *extra: str, popen: bool = False):
    args = ["plan", "run", str(path), "--store", str(store)]
    for setting in [*FAST, *(f"{k}={v}" for k, v in urls.items()), *extra]:
        args += ["--set", setting]
    if popen:
        from tests.conftest import start_olm

        return start_olm(*args)
    return run_olm(*args, timeout=300)


@pytest.fixture
def servers(replay, small_market):
    with ReplayServer(replay) as freelancer, ReplayServer(GuruReplay(small_market)) as guru:
        yield (
            {
                "FREELANCER_BASE_URL": freelancer.url + "/api",
                "GURU_BASE_URL": guru.url,
            },
            (freelancer, guru),
        )


@pytest.mark.slow
def test_a_plan_runs_its_crawls_one_per_platform_at_a_time(tmp_path, servers):
    urls, _ = servers
    path = write_plan(tmp_path, SMALL_PLAN)
    store = tmp_path / "store"
    result = plan_run(path, store, urls)
    assert result.returncode == 0, result.stderr
    records = {
        r["spider"]: r for r in (json.loads(p.read_text()) for p in (store / "runs").glob("*.json"))
    }
    assert set(records) == {"freelancer_profiles", "freelancer_jobs", "guru_jobs"}
    assert {r["plan"] for r in records.values()} == {"small"}
    assert all(r["status"] == "complete" for r in records.values())
    profiles, jobs = records["freelancer_profiles"], records["freelancer_jobs"]
    # one host, one crawl at a time: the jobs crawl started after the profiles crawl ended
    assert datetime.fromisoformat(jobs["started_at"]) >= datetime.fromisoformat(
        profiles["finished_at"]
    )
    # while the other platform ran beside them
    assert datetime.fromisoformat(records["guru_jobs"]["started_at"]) < datetime.fromisoformat(
        profiles["finished_at"]
    )
    stored = scan_profiles(store).collect()
    assert stored.height == profiles["items_kept"]["profiles"]
    assert set(stored["country"]) == {"PK", "IN", "BD"}
    assert scan_jobs(store).collect().group_by("platform").len().sort("platform").rows() == [
        ("freelancer", jobs["items_kept"]["jobs"]),
        ("guru", records["guru_jobs"]["items_kept"]["jobs"]),
    ]
    # the same plan again the same day adds no row to any count
    before = (scan_profiles(store).collect().height, scan_jobs(store).collect().height)
    again = plan_run(path, store, urls)
    assert again.returncode == 0, again.stderr
    assert len(list((store / "runs").glob("*.json"))) == 6  # six runs recorded ...
    assert (scan_profiles(store).collect().height, scan_jobs(store).collect().height) == before
    runs = run_olm("runs", "--store", str(store), "--plan", "small", "--check", "-f", "csv")
    assert runs.returncode == 0, runs.stderr  # ... and none flagged
    table = pl.read_csv(runs.stdout.encode())
    assert table.height == 6 and table["items_change"].drop_nulls().to_list() == [0.0] * 3


@pytest.mark.slow
def test_a_plan_still_running_is_not_started_twice(tmp_path, servers):
    urls, (freelancer, _) = servers
    path = write_plan(tmp_path, SMALL_PLAN)
    store = tmp_path / "store"
    store.mkdir()
    with plan_lock(store, load_plan(path)):
        refused = plan_run(path, store, urls)
    assert refused.returncode == 6, refused.stderr
    assert f"plan small is still running (pid {os.getpid()}" in refused.stderr
    assert refused.stderr.count("\n") == 1
    assert not (store / "runs").exists() and freelancer.requests == []
    # a holder killed with SIGKILL leaves its lock file, but not its lock
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from olmstats.plans import load_plan, plan_lock\n"
            f"with plan_lock({str(store)!r}, load_plan({str(path)!r})):\n"
            "    print('held', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert holder.stdout.readline().strip() == "held"
    assert plan_run(path, store, urls).returncode == 6
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert (store / "plans" / "small.lock").exists()
    after = plan_run(path, store, urls)
    assert after.returncode == 0, after.stderr
    check = run_olm("store", "check", "--store", str(store))
    assert check.returncode == 0, check.stdout + check.stderr  # plans/ belongs to the store


@pytest.mark.slow
def test_runs_check_flags_a_fall_an_incomplete_run_and_exits_1(tmp_path, replay, small_market):
    from olmstats.platforms.freelancer.replay import FreelancerReplay
    from olmstats.simulate import simulate_market
    from tests.fault_server import FaultServer

    path = write_plan(
        tmp_path,
        'cadence = "daily"\n[[crawl]]\nspider = "freelancer_profiles"\n'
        'countries = ["PK", "IN", "BD", "US"]\n',
        name="watch",
    )
    store = tmp_path / "store"
    with ReplayServer(replay) as server:
        first = plan_run(path, store, {"FREELANCER_BASE_URL": server.url + "/api"})
    assert first.returncode == 0, first.stderr
    smaller = FreelancerReplay(simulate_market(small_market.parameters.with_(n_profiles=300)))
    with ReplayServer(smaller) as server:
        second = plan_run(path, store, {"FREELANCER_BASE_URL": server.url + "/api"})
    assert second.returncode == 0, second.stderr
    with FaultServer(replay, "fail_page", page=1, only="India") as server:
        third = plan_run(path, store, {"FREELANCER_BASE_URL": server.url + "/api"})
    assert third.returncode == 3, third.stderr
    result = run_olm("runs", "--store", str(store), "--plan", "watch", "--check", "-f", "csv")
    assert result.returncode == 1
    table = pl.read_csv(result.stdout.encode())
    kept = table["items_kept"].to_list()
    assert kept[1] < 0.5 * kept[0]
    assert table["flags"][0] is None
    assert (
        f"{round(100 * (1 - kept[1] / kept[0]))}% fewer than {table['run_id'][0]}"
        in (table["flags"][1])
    )
    assert table["flags"][2] == "incomplete: 1 of 4 listings not read: country=IN page 2: http_500"
    assert "2 of 3 run(s) flagged" in result.stderr
    quiet = run_olm(
        "runs",
        "--store",
        str(store),
        "--plan",
        "watch",
        "--check",
        "--last",
        "1",
        "--max-fall",
        "0.9",
    )
    assert quiet.returncode == 1  # the incomplete run is flagged whatever the thresholds
    bad = run_olm("runs", "--store", str(store), "--max-fall", "2")
    assert bad.returncode == 2 and "max_fall must be a share between 0 and 1" in bad.stderr


def test_flag_runs_on_hand_made_records():
    """The rules on four records whose flags were worked out by hand."""
    from datetime import UTC

    from olmstats.monitoring import flag_runs
    from olmstats.store.runs import RUN_COLUMNS

    def run(run_id, started, status, kept, dropped=0, rejected=0, fixed=0, spider="s"):
        return {
            "run_id": run_id,
            "plan": "p",
            "spider": spider,
            "platform": "x",
            "arguments": "{}",
            "status": status,
            "started_at": started,
            "finished_at": None,
            "finish_reason": None,
            "items_kept": kept,
            "items_dropped": dropped,
            "items_rejected": rejected,
            "items_fixed": fixed,
            "listings": 1,
            "listings_not_read": 0,
            "problems": None,
            "data_origin": "platform",
            "base_url": None,
        }

    runs = pl.DataFrame(
        [
            run("a", "2026-11-01T03:00:00+00:00", "complete", 1000),
            run("b", "2026-11-02T03:00:00+00:00", "running", 10),  # killed long ago
            run("c", "2026-11-03T03:00:00+00:00", "complete", 400, dropped=60, rejected=60),
            run("d", "2026-11-04T03:00:00+00:00", "complete", 390, fixed=40),
            run("e", "2026-11-04T04:00:00+00:00", "complete", 5, spider="other"),
        ],
        schema=RUN_COLUMNS,
    )
    flagged = flag_runs(runs, now=datetime(2026, 11, 4, 12, tzinfo=UTC))
    flags = dict(zip(flagged["run_id"], flagged["flags"], strict=True))
    assert flags["a"] is None and flags["e"] is None  # e is another crawl: no previous run
    assert flags["b"] == "running for 57 h: killed or hung?"
    # c against a (b never ended): 400/1000 - 1 = -60%; 60 of 460 seen = 13.0% rejected
    assert flags["c"] == "kept 400 rows, 60% fewer than a (1000); 13.0% of rows dropped as invalid"
    # d against c: -2.5%, not flagged; 40 nulled per 390 kept = 10.3 per 100
    assert flags["d"] == "10.3 implausible values nulled per 100 rows"
    assert flagged.filter(pl.col("run_id") == "d")["items_change"].item() == pytest.approx(-0.025)


def test_schedule_prints_and_installs_units(tmp_path):
    printed = run_olm("schedule", str(DEMO_PLAN), "--store", "/srv/olm/store")
    assert printed.returncode == 0, printed.stderr
    text = printed.stdout
    assert "OnCalendar=*-*-* 03:17:00 UTC" in text and "Persistent=true" in text
    assert f"plan run {DEMO_PLAN} --store /srv/olm/store" in text
    assert "runs --store /srv/olm/store --plan demo --last 6 --check" in text
    assert "OnFailure=olm-plan-demo-failed.service" in text
    assert "CRON_TZ=UTC\n17 3 * * * set -a; . /etc/olmstats/olmstats.env; set +a;" in text
    units = tmp_path / "units"
    units.mkdir()
    args = ["schedule", str(DEMO_PLAN), "--store", "/srv/olm/store", "--install"]
    installed = run_olm(*args, "--unit-dir", str(units), "--user", "olm")
    assert installed.returncode == 0, installed.stderr
    assert sorted(p.name for p in units.iterdir()) == [
        "olm-plan-demo-failed.service",
        "olm-plan-demo.service",
        "olm-plan-demo.timer",
    ]
    assert "User=olm" in (units / "olm-plan-demo.service").read_text()
    assert "systemctl daemon-reload && systemctl enable --now olm-plan-demo.timer" in (
        installed.stderr
    )
    (units / "olm-plan-demo.timer").write_text("[Timer]\nOnCalendar=hourly\n")
    clash = run_olm(*args, "--unit-dir", str(units))
    assert clash.returncode == 2 and "exists with other content" in clash.stderr


@pytest.mark.slow
def test_a_stopped_plan_starts_nothing_more_and_says_so(tmp_path, replay):
    """SIGTERM (systemd stopping the service) during the first crawl: it stops gracefully as
    incomplete; the platform's next crawl is not started, and the last lines say both."""
    from olmstats.replay import Faults

    path = write_plan(tmp_path, SMALL_PLAN.replace('[[crawl]]\nspider = "guru_jobs"\n', ""))
    with ReplayServer(replay, faults=Faults(delay=0.2)) as server:
        process = plan_run(
            path,
            tmp_path / "store",
            {"FREELANCER_BASE_URL": server.url + "/api"},
            "CONCURRENT_REQUESTS=1",
            popen=True,
        )
        for _ in range(300):
            if len(server.api_requests()) >= 3:
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 3, stderr
    lines = stderr.strip().splitlines()[-2:]
    assert lines[0].startswith("freelancer_profiles: incomplete")
    assert lines[1].startswith("freelancer_jobs: incomplete")
    assert "not started: the plan was stopped before this crawl's turn" in lines[1]
    spiders = {json.loads(p.read_text())["spider"] for p in (tmp_path / "store/runs").glob("*")}
    assert spiders == {"freelancer_profiles"}  # no record for a crawl that never started


@pytest.mark.slow
def test_one_process_at_a_time_crawls_a_platform_into_a_store(tmp_path, replay):
    """A plan crawling Freelancer.com and an olm crawl of it into the same store would add up
    to twice the host's polite rate: the second is refused, names the first, exits 6."""
    from olmstats.plans import platform_locks

    store = tmp_path / "store"
    with ReplayServer(replay) as server:
        with platform_locks(store, ["freelancer"], "plan test"):
            crawl = run_olm(
                "crawl",
                "freelancer_profiles",
                "--country",
                "PK",
                *replay_settings_for(server, store),
            )
            guru = run_olm(
                "crawl",
                "guru_jobs",
                "--max-pages",
                "1",
                "--base-url",
                server.url,
                "--store",
                str(store),
                "--no-progress",
            )
        assert crawl.returncode == 6 and crawl.stderr.count("\n") == 1, crawl.stderr
        assert "freelancer is being crawled into" in crawl.stderr and "plan test" in crawl.stderr
        assert guru.returncode != 6  # another platform is not held (it fails here: no Guru)
        assert not (store / "runs").exists() or not list((store / "runs").glob("*freelancer*"))
        after = run_olm(
            "crawl", "freelancer_profiles", "--country", "PK", *replay_settings_for(server, store)
        )
    assert after.returncode == 0, after.stderr


def replay_settings_for(server, store):
    from tests.conftest import replay_settings

    return replay_settings(server.url, store)
