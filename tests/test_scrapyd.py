"""scrapyd: a real scrapyd on loopback, the project deployed with scrapyd-deploy as an egg,
a crawl of the replay scheduled through schedule.json, its rows and run record in the store.

scrapyd runs from a Python environment holding olmstats's dependencies but not olmstats
itself, as deploy/scrapyd.conf describes: the code that crawls is the deployed egg's (its
shipped data extracted from the zip), not this checkout's."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPBasicAuthHandler, HTTPPasswordMgrWithDefaultRealm, build_opener

import pytest

from olmstats import scan_profiles
from olmstats.replay import ReplayServer
from tests.conftest import ROOT, TEST_KEY

pytestmark = pytest.mark.slow
USER, PASSWORD = "olm", "a-test-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Scrapyd:
    """scrapyd with the documented configuration, its folders under *root*."""

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        config = (ROOT / "deploy" / "scrapyd.conf").read_text()
        for name, value in {
            "http_port": self.port,
            "username": USER,
            "password": PASSWORD,
            "jobs_dir": root / "jobs",
            "dbs_dir": root / "dbs",
            "eggs_dir": root / "eggs",
            "logs_dir": root / "logs",
            "poll_interval": 0.2,
        }.items():
            lines = [
                f"{name:<12} = {value}" if line.split("=")[0].strip() == name else line
                for line in config.splitlines()
            ]
            config = "\n".join(lines)
        (root / "scrapyd.conf").write_text(config + "\n")
        # an environment with olmstats's dependencies but without olmstats: the egg's code runs
        env_dir = root / "env"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", env_dir], check=True)
        site = Path(sysconfig.get_paths(vars={"base": str(env_dir)})["purelib"])
        dependencies = sysconfig.get_paths()["purelib"]
        (site / "olmstats-dependencies.pth").write_text(dependencies + "\n")  # a path, no hooks
        self.python = env_dir / "bin" / "python"

    def __enter__(self) -> Scrapyd:
        environment = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.root),
            "XDG_CACHE_HOME": str(self.root / "cache"),
            "OLM_PSEUDONYM_KEY": TEST_KEY,
        }
        self.process = subprocess.Popen(
            [self.python, "-m", "scrapyd"],
            cwd=self.root,
            env=environment,
            stdout=(self.root / "scrapyd.out").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(150):
            try:
                if self.get("daemonstatus.json")["status"] == "ok":
                    return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError((self.root / "scrapyd.out").read_text())

    def __exit__(self, *exc: object) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)

    def opener(self, password: str = PASSWORD):
        manager = HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, self.url, USER, password)
        return build_opener(HTTPBasicAuthHandler(manager))

    def get(self, endpoint: str, **query: str) -> dict:
        url = self.url + endpoint + (f"?{urlencode(query)}" if query else "")
        with self.opener().open(url, timeout=10) as answer:
            return json.loads(answer.read())

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict:
        with self.opener().open(self.url + endpoint, urlencode(fields).encode(), 10) as answer:
            return json.loads(answer.read())


def deploy(scrapyd: Scrapyd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [Path(sys.executable).parent / "scrapyd-deploy", "olm", "-p", "olmstats"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "OLM_SCRAPYD_URL": scrapyd.url,
            "OLM_SCRAPYD_USERNAME": USER,
            "OLM_SCRAPYD_PASSWORD": PASSWORD,
        },
    )


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    root = tmp_path_factory.mktemp("scrapyd")
    with Scrapyd(root) as scrapyd:
        done = deploy(scrapyd)
        assert '"status": "ok"' in done.stdout + done.stderr, done.stderr
        yield scrapyd


def test_deploy_schedule_and_the_rows_land_in_the_store(deployed, tmp_path, replay):
    store, scrapyd = tmp_path / "store", deployed
    with ReplayServer(replay) as server:
        with pytest.raises(HTTPError) as refused:
            scrapyd.opener("wrong").open(scrapyd.url + "daemonstatus.json", timeout=10)
        assert refused.value.code == 401  # basic authentication on every endpoint
        spiders = scrapyd.get("listspiders.json", project="olmstats")["spiders"]
        assert {"freelancer_profiles", "guru_jobs", "peopleperhour_jobs"} <= set(spiders)
        job = scrapyd.post(
            "schedule.json",
            [
                ("project", "olmstats"),
                ("spider", "freelancer_profiles"),
                ("countries", "PK,IN"),
                ("setting", f"OLM_STORE={store}"),
                ("setting", f"FREELANCER_BASE_URL={server.url}/api"),
                ("setting", "DOWNLOAD_DELAY=0"),
                ("setting", "AUTOTHROTTLE_ENABLED=False"),
            ],
        )["jobid"]
        for _ in range(600):
            finished = scrapyd.get("listjobs.json", project="olmstats")["finished"]
            if any(j["id"] == job for j in finished):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the scheduled crawl did not finish")
        (entry,) = [j for j in finished if j["id"] == job]
    assert entry["items_url"] is None  # rows went to the store, not to scrapyd's items folder
    (path,) = (store / "runs").glob("*.json")
    record = json.loads(path.read_text())
    assert record["status"] == "complete" and record["scrapyd_job"] == job
    assert record["versions"]["olmstats_from"].startswith(str(scrapyd.root / "eggs"))  # the egg
    assert list((scrapyd.root / "cache" / "olmstats").glob("data-*/taxonomy"))  # data unzipped
    rows = scan_profiles(store).collect()
    assert rows.height == record["items_kept"]["profiles"] > 0
    assert set(rows["country"]) == {"PK", "IN"}
    assert (scrapyd.root / "jobs" / "olmstats" / "freelancer_profiles" / job).is_dir()  # JOBDIR


def test_a_plan_runs_on_scrapyd_one_crawl_per_platform_at_a_time(
    deployed, tmp_path, replay, small_market
):
    from olmstats.platforms.guru.replay import GuruReplay
    from tests.conftest import run_olm
    from tests.test_plans import SMALL_PLAN, write_plan

    plan, store = write_plan(tmp_path, SMALL_PLAN), tmp_path / "store"
    guru = GuruReplay(small_market)
    with ReplayServer(replay) as freelancer, ReplayServer(guru) as guru_server:
        settings = [
            f"FREELANCER_BASE_URL={freelancer.url}/api",
            f"GURU_BASE_URL={guru_server.url}",
            "DOWNLOAD_DELAY=0",
            "AUTOTHROTTLE_ENABLED=False",
        ]
        result = run_olm(
            "plan",
            "run",
            str(plan),
            "--store",
            str(store),
            "--scrapyd",
            deployed.url,
            *(part for s in settings for part in ("--set", s)),
            env={"OLM_SCRAPYD_USERNAME": USER, "OLM_SCRAPYD_PASSWORD": PASSWORD},
            timeout=300,
        )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and all(": complete" in line for line in lines)
    records = {
        r["spider"]: r for r in (json.loads(p.read_text()) for p in (store / "runs").glob("*.json"))
    }
    assert set(records) == {"freelancer_profiles", "freelancer_jobs", "guru_jobs"}
    assert {r["plan"] for r in records.values()} == {"small"}
    assert all(r["scrapyd_job"] for r in records.values())
    profiles, jobs = records["freelancer_profiles"], records["freelancer_jobs"]
    assert jobs["started_at"] >= profiles["finished_at"]  # one crawl of a host at a time
    wrong = run_olm(
        "plan",
        "run",
        str(plan),
        "--store",
        str(store),
        "--scrapyd",
        deployed.url,
        env={"OLM_SCRAPYD_USERNAME": USER, "OLM_SCRAPYD_PASSWORD": "wrong"},
    )
    assert wrong.returncode == 2 and "answered 401" in wrong.stderr
    assert wrong.stderr.count("\n") == 1


def slow_crawl_settings(store: Path, server: ReplayServer) -> dict[str, object]:
    """A crawl of the replay that takes minutes: pages of 2 profiles, one a second."""
    return {
        "OLM_STORE": str(store),
        "FREELANCER_BASE_URL": f"{server.url}/api",
        "FREELANCER_PAGE_SIZE": 2,
        "DOWNLOAD_DELAY": 1,
        "AUTOTHROTTLE_ENABLED": False,
    }


def scrapyd_job_records(store: Path) -> dict[str, dict]:
    records = (json.loads(p.read_text()) for p in (store / "runs").glob("*.json"))
    return {r["scrapyd_job"]: r for r in records if r.get("scrapyd_job")}


def test_a_plan_past_its_timeout_cancels_its_crawl_on_scrapyd(deployed, tmp_path, replay):
    from olmstats.errors import InputError
    from olmstats.plans import Crawl
    from olmstats.scrapyd import ScrapydClient

    store, client = tmp_path / "store", ScrapydClient(deployed.url, USER, PASSWORD)
    crawl = Crawl("freelancer_profiles", "freelancer", {"countries": "PK,IN"})
    with ReplayServer(replay) as server:
        with pytest.raises(InputError, match=r"ran past 0.003 h: cancelled"):
            client.run_chains(
                [[crawl]], slow_crawl_settings(store, server), store, timeout_hours=0.003
            )  # 10.8 s
        (job,) = scrapyd_job_records(store)  # it had started: a record names its job
        for _ in range(300):  # cancelled: scrapyd stops it and lists it as finished
            states = client.jobs()
            if job in states["finished"]:
                break
            time.sleep(0.2)
    assert job in states["finished"] and job not in states["running"] | states["pending"]
    record = scrapyd_job_records(store)[job]
    assert record["status"] == "incomplete", record  # cut short, and it says so
    assert record["finished_at"]


def test_a_job_lost_in_a_restart_of_scrapyd_is_reported_failed(deployed, tmp_path, replay):
    """A job scrapyd no longer lists anywhere (here: scrapyd and its crawl killed, scrapyd
    started again) ends the plan's wait after VANISHED_POLLS polls; its outcome is read from
    the record it left, which still says running: failed, never complete. Runs last: it
    restarts the module's scrapyd."""
    import threading

    from olmstats.plans import Crawl
    from olmstats.scrapyd import VANISHED_POLLS, ScrapydClient

    store, client = tmp_path / "store", ScrapydClient(deployed.url, USER, PASSWORD)
    crawl = Crawl("freelancer_profiles", "freelancer", {"countries": "PK,IN"})
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["results"] = client.run_chains(
                [[crawl]], slow_crawl_settings(store, server), store
            )
        except BaseException as exc:  # reported below, not lost in the thread
            outcome["error"] = exc

    with ReplayServer(replay) as server:
        waiting = threading.Thread(target=run)
        waiting.start()
        for _ in range(300):  # until the crawl runs and has written its record
            if (store / "runs").is_dir() and scrapyd_job_records(store):
                break
            time.sleep(0.2)
        (job,) = scrapyd_job_records(store)
        os.killpg(deployed.process.pid, signal.SIGKILL)  # scrapyd and its crawl, at once
        deployed.process.wait(timeout=30)
        started = time.monotonic()
        deployed.__enter__()  # the same port, folders and job storage
        waiting.join(timeout=120)
    assert not waiting.is_alive() and "error" not in outcome, outcome
    assert time.monotonic() - started >= (VANISHED_POLLS - 1) * 1.0  # it waited, polling
    (result,) = outcome["results"]
    states = client.jobs()
    assert job not in states["pending"] | states["running"] | states["finished"]  # vanished
    assert result.status == "failed" and result.run_id == scrapyd_job_records(store)[job]["run_id"]
    assert "still says running" in result.problems[-1]
