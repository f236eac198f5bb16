"""Timing in a fresh process: each measurement's peak RSS is its own.

A benchmark module runs itself with ``--worker …``; the worker prints one JSON line with
:func:`best_of`'s figures, which :func:`in_fresh_process` reads back.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def best_of(task: Callable[[], T], runs: int) -> tuple[dict[str, float], T]:
    """Run *task* once to warm up, then *runs* times: best and median seconds, peak MB of this
    process so far, and the last run's result."""
    result = task()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = task()
        times.append(time.perf_counter() - start)
    figures = {
        "best_s": min(times),
        "median_s": sorted(times)[len(times) // 2],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    return figures, result


def in_fresh_process(module: str, *arguments: str) -> dict[str, Any]:
    """``python -m module *arguments`` in a new process; its last stdout line as JSON."""
    output = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])
