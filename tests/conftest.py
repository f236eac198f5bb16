"""Shared test helpers: real Scrapy crawlers, real replay servers, real stores. No mocks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

import olmcrawl.settings as project_settings_module
from olmstats.platforms.freelancer.replay import FreelancerReplay
from olmstats.replay import Faults, ReplayServer
from olmstats.simulate import MarketParameters, SimulatedMarket, simulate_market

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "data" / "replay" / "freelancer"
TEST_KEY = "olmstats-test-pseudonym-key-0123"
OLM = [sys.executable, "-m", "olmstats.cli"]


@pytest.fixture(scope="session", autouse=True)
def shipped_reference_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests see the shipped reference data only, never a user's ``olm reference update``."""
    before = os.environ.get("OLM_REFERENCE_DIR")
    os.environ["OLM_REFERENCE_DIR"] = str(tmp_path_factory.mktemp("no-reference-updates"))
    yield
    if before is None:
        del os.environ["OLM_REFERENCE_DIR"]
    else:
        os.environ["OLM_REFERENCE_DIR"] = before


def load_recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())


def project_settings(**overrides: Any) -> dict[str, Any]:
    """spiders/settings.py as a dict, with *overrides*."""
    values = {
        name: getattr(project_settings_module, name)
        for name in dir(project_settings_module)
        if name.isupper()
    }
    values.update(overrides)
    return values


def make_spider(spidercls: type, settings: dict[str, Any] | None = None, **arguments: str):
    """A spider bound to a real, configured (not started) crawler."""
    crawler = get_crawler(spidercls, project_settings(**(settings or {})))
    spider = spidercls.from_crawler(crawler, **arguments)
    crawler.spider = spider
    return spider


def json_response(url: str, body: Any, **meta: Any) -> TextResponse:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return TextResponse(
        url=url,
        body=payload,
        encoding="utf-8",
        headers={"Content-Type": "application/json"},
        request=Request(url, meta=meta),
    )


SMALL_MARKET = MarketParameters(seed=7, n_profiles=1200, n_jobs=500)


@pytest.fixture(scope="session")
def small_market() -> SimulatedMarket:
    return simulate_market(SMALL_MARKET)


@pytest.fixture(scope="session")
def replay(small_market: SimulatedMarket) -> FreelancerReplay:
    return FreelancerReplay(small_market)


@pytest.fixture
def replay_server(replay: FreelancerReplay) -> Iterator[ReplayServer]:
    with ReplayServer(replay) as server:
        yield server


def replay_settings(url: str, store: Path, **extra: Any) -> list[str]:
    """`olm crawl --set` arguments for a fast crawl of a loopback replay."""
    settings = {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        **extra,
    }
    args = ["--store", str(store), "--base-url", url + "/api", "--no-progress"]
    for name, value in settings.items():
        args += ["--set", f"{name}={value}"]
    return args


def run_olm(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    check: bool = False,
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OLM_PSEUDONYM_KEY": TEST_KEY, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (environment.get("PYTHONPATH"), str(ROOT)) if p
    )
    result = subprocess.run(
        [*OLM, *args], capture_output=True, text=True, env=environment, timeout=timeout, cwd=cwd
    )
    if check and result.returncode != 0:
        raise AssertionError(f"olm {' '.join(args)} failed:\n{result.stderr}")
    return result


def start_olm(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    environment = {**os.environ, "OLM_PSEUDONYM_KEY": TEST_KEY, **(env or {})}
    return subprocess.Popen(
        [*OLM, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=ROOT,
    )


__all__ = ["Faults", "ReplayServer"]


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store crawled by ``olm demo`` from a small simulated market (2,500 profiles, 800 jobs)."""
    store = tmp_path_factory.mktemp("tables") / "demo"
    run_olm(
        "demo",
        "--store",
        str(store),
        "--profiles",
        "2500",
        "--jobs",
        "800",
        "--format",
        "csv",
        check=True,
    )
    return store


#: The test Redis asks for a password, so that tests can check no record ever shows it.
REDIS_PASSWORD = "olm-test-redis-secret"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server of its own on a free loopback port (with a password, nothing saved
    to disk), stopped afterwards; skipped only where the redis-server binary is missing."""
    import shutil
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (.ci/run installs it with apt-get)")
    import redis

    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    process = subprocess.Popen(
        [
            *(binary, "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(folder)),
            *("--requirepass", REDIS_PASSWORD),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"redis-server did not start on port {port}") from None
            time.sleep(0.05)
    try:
        yield url
    finally:
        client.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
