"""Two distributed workers against one process, on the same replay and a real redis-server.

Two questions, each one run per round of each kind:

- *throughput*, with no delay (loopback only): items written per second, from the first run
  record's start to the last one's end, for one process and for two workers sharing the crawl
  through Redis. The ratio is two workers over one process.
- *politeness*, with ``DOWNLOAD_DELAY`` (±20%): the requests per second the replay receives and
  the shortest gap between two arrivals, for one process and for two workers. Two workers must
  not be faster than one, and no gap may fall below ``DOWNLOAD_DELAY × 0.8``.

    python -m bench.distributed_soak --profiles 20000 --delay 0.05 --rounds 1

Needs ``redis-server`` on the PATH (started here on a free loopback port, nothing saved).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.crawl_throughput import free_port
from olmstats.platforms.freelancer.replay import FreelancerReplay
from olmstats.replay import ReplayServer
from olmstats.simulate import DEFAULT_COUNTRIES, MarketParameters, simulate_market

KEY = "olmstats-bench-pseudonym-key-0123"


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def crawl(
    url: str, store: Path, settings: dict[str, str], extra: list[str], stderr=subprocess.PIPE
) -> subprocess.Popen:
    """``olm crawl freelancer_profiles`` of every demo country against *url*, started."""
    args = [sys.executable, "-m", "olmstats.cli", "crawl", "freelancer_profiles"]
    args += ["--country", ",".join(c.iso2 for c in DEFAULT_COUNTRIES), "--store", str(store)]
    args += ["--base-url", url + "/api", "--no-progress"]
    for name, value in settings.items():
        args += ["--set", f"{name}={value}"]
    env = {**os.environ, "OLM_PSEUDONYM_KEY": KEY}
    return subprocess.Popen([*args, *extra], env=env, stderr=stderr, text=True)


def measure(server: ReplayServer, store: Path, processes: list[subprocess.Popen]) -> dict:
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            sys.exit(f"crawl failed: {err}")
    records = [json.loads(p.read_text()) for p in (store / "runs").glob("*.json")]
    start = min(datetime.fromisoformat(r["started_at"]) for r in records)
    end = max(datetime.fromisoformat(r["finished_at"]) for r in records)
    items = sum(sum(r["items_kept"].values()) for r in records)
    arrivals = sorted(r.received for r in server.requests)
    seconds = (end - start).total_seconds()
    return {
        "items": items,
        "items_per_s": items / seconds,
        "requests_per_s": (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]),
        "min_gap": min(b - a for a, b in itertools.pairwise(arrivals)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=1)
    options = parser.parse_args()
    market = simulate_market(MarketParameters(seed=11, n_profiles=options.profiles, n_jobs=10))
    replay = FreelancerReplay(market)
    fast = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS": "8"}
    polite = {**fast, "DOWNLOAD_DELAY": str(options.delay), "CONCURRENT_REQUESTS": "1"}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        redis_process, redis_url = start_redis(folder)
        try:
            for round_no, (kind, settings) in itertools.product(
                range(options.rounds), (("throughput", fast), ("politeness", polite))
            ):
                for mode in ("one process", "two workers"):
                    store = folder / f"{kind}-{mode.replace(' ', '-')}-{round_no}"
                    with ReplayServer(replay) as server:
                        if mode == "one process":
                            processes = [crawl(server.url, store, settings, [])]
                        else:
                            processes = [
                                crawl(server.url, store, settings, ["--redis", redis_url, *w])
                                for w in (["--worker", "a"], ["--worker", "b"])
                            ]
                        result = measure(server, store, processes)
                    rows.append({"round": round_no, "kind": kind, "mode": mode, **result})
                    print(json.dumps(rows[-1]), flush=True)
        finally:
            redis_process.terminate()
            redis_process.wait()
    for kind in ("throughput", "politeness"):
        one = [r for r in rows if r["kind"] == kind and r["mode"] == "one process"]
        two = [r for r in rows if r["kind"] == kind and r["mode"] == "two workers"]
        for a, b in zip(one, two, strict=True):
            print(
                f"{kind}: two workers / one process = {b['items_per_s'] / a['items_per_s']:.2f}× "
                f"items/s, {b['requests_per_s'] / a['requests_per_s']:.2f}× requests/s; "
                f"shortest gap {a['min_gap'] * 1000:.1f} ms vs {b['min_gap'] * 1000:.1f} ms"
            )


if __name__ == "__main__":
    main()
