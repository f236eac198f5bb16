"""Do the pipelines and the Parquet store keep up with the replay server?

The same profiles crawl runs against one replay server (its own process) twice per round:
with every pipeline stage and the Parquet store, and bare (no pipelines; Scrapy's JSON Lines
feed export). Items per second come from the run records' start and end times (process start
excluded); the ratio is bare items/s over full items/s, i.e. how much longer the full path takes
per item. Rounds alternate the order.

    python -m bench.crawl_throughput --profiles 60000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from olmstats.simulate import DEFAULT_COUNTRIES

OUT = Path("bench/out/crawl")
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_replay(profiles: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "olmstats.cli",
            "replay",
            "--port",
            str(port),
            "--profiles",
            str(profiles),
            "--jobs",
            "10",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stderr.readline()  # "Replaying ... at http://127.0.0.1:PORT/api"
    if "Replaying" not in line:
        raise RuntimeError(f"replay did not start: {line}")
    return process, f"http://127.0.0.1:{port}"


def crawl(url: str, store: Path, *, bare: bool) -> dict:
    if store.exists():
        shutil.rmtree(store)
    settings = dict(FAST)
    if bare:
        settings["ITEM_PIPELINES"] = "{}"
        settings["FEEDS"] = json.dumps({str(store / "items.jsonl"): {"format": "jsonlines"}})
    countries = ",".join(c.iso2 for c in DEFAULT_COUNTRIES)
    command = [
        sys.executable,
        "-m",
        "olmstats.cli",
        "crawl",
        "freelancer_profiles",
        "--country",
        countries,
        "--store",
        str(store),
        "--base-url",
        url + "/api",
        "--no-progress",
        "--log-level",
        "WARNING",
    ]
    for name, value in settings.items():
        command += ["--set", f"{name}={value}"]
    env = {**os.environ, "OLM_PSEUDONYM_KEY": "benchmark-key-not-a-secret"}
    subprocess.run(command, check=True, env=env, capture_output=True)
    record = json.loads(next((store / "runs").glob("*.json")).read_text())
    seconds = (
        datetime.fromisoformat(record["finished_at"]) - datetime.fromisoformat(record["started_at"])
    ).total_seconds()
    if bare:
        items = sum(1 for _ in (store / "items.jsonl").open())
    else:
        items = record["items_kept"]["profiles"]
    return {"items": items, "seconds": seconds, "items_per_s": items / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    replay, url = start_replay(args.profiles)
    try:
        results: dict[str, list[dict]] = {"full": [], "bare": []}
        for round_number in range(args.rounds):
            order = ("full", "bare") if round_number % 2 == 0 else ("bare", "full")
            for kind in order:
                results[kind].append(crawl(url, OUT / kind, bare=kind == "bare"))
                time.sleep(0.5)
    finally:
        replay.terminate()
        replay.wait()
    full = statistics.median(r["items_per_s"] for r in results["full"])
    bare = statistics.median(r["items_per_s"] for r in results["bare"])
    print(
        f"profiles crawled per run: full {results['full'][0]['items']:,}, "
        f"bare {results['bare'][0]['items']:,}"
    )
    for kind in ("full", "bare"):
        runs = ", ".join(f"{r['items_per_s']:,.0f}" for r in results[kind])
        print(f"{kind:5s} items/s per round: {runs}")
    print(
        f"median items/s: full {full:,.0f}, bare {bare:,.0f}; "
        f"time per item full/bare = {bare / full:.2f}x"
    )


if __name__ == "__main__":
    main()
