"""`olm summary` end to end (process start included) on a store of 1 million profiles.

Each run is a fresh process; wall time and that process's peak resident memory (wait4) are
recorded. The aim: under 1 second, well under 1 GB.

    python -m bench.cli_summary --store bench/out/store-1m --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

OLM = [sys.executable, "-m", "olmstats.cli"]


def one_run(args: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen([*OLM, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"olm {' '.join(args)} failed")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", default="bench/out/store-1m")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for label, extra in (("terminal table", []), ("csv", ["--format", "csv"])):
        command = ["summary", "--store", args.store, *extra]
        one_run(command)  # warm the file cache
        runs = [one_run(command) for _ in range(args.runs)]
        times = [t for t, _ in runs]
        print(
            f"olm summary ({label}): median {statistics.median(times):.2f} s, "
            f"min {min(times):.2f} s, max {max(times):.2f} s; "
            f"peak RSS {max(m for _, m in runs):,.0f} MB ({args.runs} runs)"
        )
    start = time.perf_counter()
    import polars  # noqa: F401  (the floor: importing the engine)

    print(f"for scale: importing polars alone takes {time.perf_counter() - start:.2f} s here")


if __name__ == "__main__":
    main()
