"""`make bench`: build the benchmark stores if missing, then run every benchmark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

STORES = {
    "bench/out/store-1m": ["--profiles", "1000000", "--jobs", "200000"],
    "bench/out/store-10m": ["--profiles", "10000000", "--jobs", "2000000"],
    "bench/out/store-10m-2runs": [
        "--profiles",
        "7000000",
        "--jobs",
        "2000000",
        "--revisit",
        "0.43",
    ],
}


def run(*args: str) -> None:
    print(f"\n$ python -m {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", *args], check=True)


def main() -> None:
    for store, args in STORES.items():
        if not Path(store).exists():
            run("bench.make_store", *args, "--out", store)
    run("bench.cli_summary", "--store", "bench/out/store-1m")
    run("bench.summary_vs_duckdb", "--store", "bench/out/store-10m")
    run("bench.summary_vs_duckdb", "--store", "bench/out/store-10m-2runs", "--runs", "3")
    run("bench.crawl_throughput")
    run("bench.feols_vs_pyfixest", "--rows", "2000000", "10000000")
    run("bench.demean_chain")
    run("bench.country_table", "--store", "bench/out/store-10m")
    run("bench.misspecification", "--replications", "500")  # the longest: about 15 minutes


if __name__ == "__main__":
    main()
