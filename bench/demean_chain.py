"""Demeaning on a poorly connected graph: 50,000 workers, each in two adjacent firms of a 200-firm
chain (worker w in firms f and f + 1), ``y ~ x + z | worker + firm`` (100,000 rows).

Engines, each in its own process on identical data (same seed), one warm-up fit (pyfixest
compiles its kernels), then the best of N timed fits:

- ``olmstats-auto``: the default, alternating projections accelerated by conjugate gradients
  (LSMR fallback unused here);
- ``olmstats-projections``: plain alternating projections, stopped at the default 10,000
  sweeps (they do not converge: the time is the time to give up);
- ``olmstats-lsmr``: scipy's LSMR on the one-hot dummy matrix;
- ``pyfixest-map``: pyfixest's default demeaner (alternating projections, tol 1e-6, 10,000
  iterations; it fails here too);
- ``pyfixest-lsmr``: pyfixest's preconditioned LSMR (``LsmrDemeaner``, tolerances 1e-10).

Ratios are against ``olmstats-auto`` in the same run; coefficient gaps are relative to a direct
solve of the full dummy regression (see ``reference``).

    python -m bench.demean_chain --runs 3
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bench.isolated import best_of, in_fresh_process
from olmstats.simulate import firm_chain

FORMULA = "y ~ x + z | worker + firm"
ENGINES = (
    "olmstats-auto",
    "olmstats-projections",
    "olmstats-lsmr",
    "pyfixest-map",
    "pyfixest-lsmr",
)


def reference(data: dict[str, np.ndarray]) -> list[float]:
    """x and z coefficients of the full dummy regression, computed directly: each worker's two
    rows are demeaned exactly (Frisch-Waugh-Lovell for the worker dummies), then x, z and the
    firm dummies (first dropped) are fitted by dense least squares (numpy lstsq)."""
    worker = data["worker"]
    counts = np.bincount(worker)

    def within_worker(column: np.ndarray) -> np.ndarray:
        return column - (np.bincount(worker, weights=column) / counts)[worker]

    firms = (data["firm"][:, None] == np.arange(1, data["firm"].max() + 1)[None, :]).astype(float)
    design = np.column_stack([data["x"], data["z"], firms])
    design = np.column_stack([within_worker(design[:, j]) for j in range(design.shape[1])])
    solution = np.linalg.lstsq(design, within_worker(data["y"]), rcond=None)[0]
    return [float(v) for v in solution[:2]]


def worker(engine: str, workers: int, firms: int, runs: int) -> dict:
    data = firm_chain(workers, firms)
    if engine.startswith("olmstats"):
        import polars as pl

        from olmstats import feols

        frame = pl.DataFrame(data)
        demeaner = engine.removeprefix("olmstats-")

        def fit():
            result = feols(FORMULA, frame, demeaner=demeaner)
            return list(map(float, result.coef)), result.demean.describe()
    else:
        import pandas as pd
        import pyfixest as pf
        from pyfixest.demeaners import LsmrDemeaner, MapDemeaner

        frame = pd.DataFrame(data)
        demeaner = (
            MapDemeaner()
            if engine == "pyfixest-map"
            else LsmrDemeaner(fixef_atol=1e-10, fixef_btol=1e-10, fixef_maxiter=100_000)
        )

        def fit():
            result = pf.feols(FORMULA, frame, demeaner=demeaner)
            return list(map(float, result.coef().to_numpy())), type(demeaner).__name__

    def attempt():
        try:
            return fit()
        except Exception as exc:  # the engines that cannot converge: time to give up
            return None, str(exc).splitlines()[0][:140]

    figures, (coef, how) = best_of(attempt, runs)
    return {**figures, "coef": coef, "how": how}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=50_000)
    parser.add_argument("--firms", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", choices=ENGINES)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.workers, args.firms, args.runs)))
        return
    results = {
        engine: in_fresh_process(
            "bench.demean_chain",
            "--worker",
            engine,
            "--workers",
            str(args.workers),
            "--firms",
            str(args.firms),
            "--runs",
            str(args.runs),
        )
        for engine in ENGINES
    }
    truth = reference(firm_chain(args.workers, args.firms))  # after the workers: its memory
    base = results["olmstats-auto"]["best_s"]  # (peak RSS is inherited by child processes)
    print(f"{args.workers:,} workers in a {args.firms}-firm chain ({2 * args.workers:,} rows)")
    for engine, result in results.items():
        if result["coef"] is None:
            gap = "did not converge"
        else:
            gap = "coef gap {:.1e}".format(
                max(abs(a / b - 1) for a, b in zip(result["coef"], truth, strict=True))
            )
        print(
            f"{engine:<22}{result['best_s']:>8.3f} s  {result['best_s'] / base:>7.2f}x auto  "
            f"{result['peak_mb']:>6,.0f} MB  {gap}  ({result['how']})"
        )


if __name__ == "__main__":
    main()
