"""The full country table (and its parts) on a large store: time and peak memory.

Each measurement runs in a fresh process (peak RSS is its own), warmed once, best of N. The
aim: the whole country table, 200 bootstrap draws included, under 5 s and 2 GB on 10 million
profiles and 2 million jobs.

    python -m bench.country_table --store bench/out/store-10m --runs 3
"""

from __future__ import annotations

import argparse
import json
import warnings

from bench.isolated import best_of, in_fresh_process

PARTS = ("full_country_table", "relative_earnings", "competition")


def worker(part: str, store: str, runs: int) -> dict:
    import olmstats
    from olmstats import competition
    from olmstats.country_table import full_country_table
    from olmstats.earnings import relative_earnings

    warnings.simplefilter("ignore")
    profiles, jobs = olmstats.scan_profiles(store), olmstats.scan_jobs(store)

    def task():
        if part == "full_country_table":
            return full_country_table(profiles, jobs, draws=200)
        if part == "relative_earnings":
            return relative_earnings(profiles, draws=200)
        return (
            competition.workers_per_job(profiles, jobs, by_country=True),
            competition.bids_per_job(jobs),
            competition.supply_demand_shares(profiles, jobs),
        )

    figures, _ = best_of(task, runs)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", default="bench/out/store-10m")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", choices=PARTS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.store, args.runs)))
        return
    for part in PARTS:
        result = in_fresh_process(
            "bench.country_table", "--worker", part, "--store", args.store, "--runs", str(args.runs)
        )
        print(f"{part:20s} {result['best_s']:.2f} s, peak {result['peak_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
