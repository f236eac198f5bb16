"""Soak: two distributed workers crawl at least 200,000 pages through Redis, against the replay.

Records, for one long distributed crawl of the directory replay (every country, pages of
``--page-size`` profiles):

- pages per second, over the whole run and in each tenth of it;
- each worker's resident memory over time (``VmRSS``, sampled every ``--sample-every``
  seconds) against the pages served so far, and its growth per 100,000 pages after the first
  tenth (flat means no growth with pages crawled);
- the requests the replay received in every whole second, and the most in any one second,
  against the polite rate set (``1 / DOWNLOAD_DELAY`` per second, across both workers);
- lost and duplicated pages and rows: each page URL fetched once, each profile the replay
  serves stored once (raw Parquet rows, not the readers' one-row-per-entity view).

    nice python -m bench.soak --pages 200000 --page-size 2 --delay 0.015

Each worker's memory rises while it buffers ``--rows-per-file`` rows and falls when it writes
them (a sawtooth); a small buffer makes many cycles, so that growth across cycles shows.

Needs ``redis-server`` on the PATH (started on a free loopback port, nothing saved). Writes
the samples and the summary to ``bench/out/soak.json``.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import tempfile
import time
from pathlib import Path

import polars as pl

from bench.distributed_soak import crawl, start_redis
from olmstats.platforms.freelancer.replay import FreelancerReplay
from olmstats.replay import ReplayServer
from olmstats.simulate import DEFAULT_COUNTRIES, MarketParameters, simulate_market


def resident_mb(pid: int) -> float | None:
    """A process's resident set size in MB (from /proc), or None once it has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def read_from_start(log) -> str:
    log.seek(0)
    return log.read()


def growth_per_100k(samples: list[dict], worker: str) -> float:
    """Least-squares slope of a worker's RSS (MB) on pages served, per 100,000 pages, over the
    samples after the first tenth of the run (start-up and warm-up excluded)."""
    last = samples[-1]["pages"]
    points = [(s["pages"], s[worker]) for s in samples if s[worker] and s["pages"] > last / 10]
    if len(points) < 3:
        return math.nan
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return sxy / sxx * 100_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=200_000)
    parser.add_argument("--page-size", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.015, help="DOWNLOAD_DELAY, seconds")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight/worker")
    parser.add_argument(
        "--rows-per-file",
        type=int,
        default=50_000,
        help="OLM_STORE_ROWS_PER_FILE: rows each worker buffers before writing a part file",
    )
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds")
    parser.add_argument("--out", default="bench/out/soak.json")
    options = parser.parse_args()

    profiles = options.pages * options.page_size
    market = simulate_market(MarketParameters(seed=29, n_profiles=profiles, n_jobs=10))
    replay = FreelancerReplay(market, recorded=False)
    countries = [c.iso2 for c in DEFAULT_COUNTRIES]
    served = replay.served_profiles(countries)
    settings = {
        "DOWNLOAD_DELAY": str(options.delay),
        "AUTOTHROTTLE_ENABLED": "False",
        "CONCURRENT_REQUESTS": str(options.concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(options.concurrency),
        "FREELANCER_PAGE_SIZE": str(options.page_size),
        "LOG_LEVEL": "WARNING",
        "OLM_STORE_ROWS_PER_FILE": str(options.rows_per_file),
    }
    samples: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        redis_process, redis_url = start_redis(folder)
        store = folder / "store"
        try:
            with ReplayServer(replay) as server:
                logs = {name: (folder / f"worker-{name}.log").open("w+") for name in "ab"}
                workers = {
                    name: crawl(
                        server.url,
                        store,
                        settings,
                        ["--redis", redis_url, "--worker", name],
                        stderr=logs[name],
                    )
                    for name in logs
                }
                started = time.monotonic()
                while any(p.poll() is None for p in workers.values()):
                    samples.append(
                        {
                            "seconds": round(time.monotonic() - started, 1),
                            "pages": len(server.requests),
                            **{name: resident_mb(p.pid) for name, p in workers.items()},
                        }
                    )
                    time.sleep(options.sample_every)
                elapsed = time.monotonic() - started
                errors = {name: read_from_start(log) for name, log in logs.items()}
                codes = {name: p.returncode for name, p in workers.items()}
                requests = list(server.requests)
            records = [json.loads(p.read_text()) for p in (store / "runs").glob("*.json")]
            raw = pl.scan_parquet(store / "profiles" / "**" / "*.parquet", hive_partitioning=False)
            stored_rows = raw.select(pl.len()).collect().item()
            distinct = raw.select(pl.col("profile_id").n_unique()).collect().item()
        finally:
            redis_process.terminate()
            redis_process.wait()

    api = [r for r in requests if r.path.startswith("/api/users/")]
    per_url = collections.Counter((r.path, json.dumps(r.query, sort_keys=True)) for r in api)
    per_second = collections.Counter(int(r.received - requests[0].received) for r in requests)
    whole_seconds = [n for second, n in per_second.items() if 0 < second < max(per_second)]
    tenths = []
    for k in range(1, 11):
        upto = [s for s in samples if s["pages"] <= len(requests) * k / 10]
        if upto:
            tenths.append({"tenth": k, **upto[-1]})
    summary = {
        "pages": len(api),
        "requests": len(requests),
        "seconds": round(elapsed, 1),
        "pages_per_s": round(len(api) / elapsed, 1),
        "exit_codes": codes,
        "runs": [
            {
                "worker": r.get("worker"),
                "outcome": r.get("outcome"),
                "items_kept": r.get("items_kept"),
            }
            for r in records
        ],
        "pages_fetched_twice": sum(n - 1 for n in per_url.values() if n > 1),
        "profiles_served": len(served),
        "rows_stored": stored_rows,
        "profiles_stored": distinct,
        "rows_lost": len(served) - distinct,
        "rows_duplicated": stored_rows - distinct,
        "rows_per_file": options.rows_per_file,
        "polite_rate_per_s": round(1 / options.delay, 1) if options.delay else None,
        "most_requests_in_one_second": max(whole_seconds, default=0),
        "mean_requests_per_s": round(sum(whole_seconds) / max(len(whole_seconds), 1), 1),
        "peak_rss_mb": {w: round(max(s[w] or 0 for s in samples), 1) for w in workers},
        "rss_growth_mb_per_100k_pages": {w: round(growth_per_100k(samples, w), 2) for w in workers},
        "by_tenth": tenths,
    }
    out = Path(options.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "samples": samples}, indent=1))
    for name, text in errors.items():
        if codes[name] != 0:
            print(f"worker {name} exited {codes[name]}: {text.strip()[-500:]}")
    print(json.dumps({k: v for k, v in summary.items() if k != "by_tenth"}, indent=1))
    print("pages served | seconds | RSS a, b (MB)")
    for row in tenths:
        print(f"{row['pages']:>12,} | {row['seconds']:>7} | {row['a']}, {row['b']}")


if __name__ == "__main__":
    main()
