"""olmstats.feols against pyfixest on the same data: two fixed effects (50,000 and 200 levels),
two regressors, CRV1 by the 200-level variable.

Each engine runs in its own process on identical data (same seed), fits once to warm up (for
pyfixest this compiles its kernels), then reports the best of N timed fits and the process's peak
resident memory (data included; the data are the same size for both). Coefficients and standard
errors of the two are compared too.

    python -m bench.feols_vs_pyfixest --rows 2000000 10000000 --runs 3
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bench.isolated import best_of, in_fresh_process

FORMULA = "y ~ x1 + x2 | firm + region"
VCOV = {"CRV1": "region"}


def make_data(rows: int, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    firm = rng.integers(0, 50_000, rows)
    region = rng.integers(0, 200, rows)
    x1 = rng.normal(size=rows) + 0.1 * (firm % 13)
    x2 = rng.normal(size=rows)
    y = 0.5 * x1 - 0.2 * x2 + 0.001 * firm + 0.01 * region + rng.normal(size=rows)
    return {"y": y, "x1": x1, "x2": x2, "firm": firm, "region": region}


def worker(engine: str, rows: int, runs: int) -> dict:
    data = make_data(rows)
    if engine == "olmstats":
        import polars as pl

        from olmstats import feols

        frame = pl.DataFrame(data)

        def fit():
            result = feols(FORMULA, frame, vcov=VCOV)
            return result.coef, result.std_error
    else:
        import pandas as pd
        import pyfixest as pf

        frame = pd.DataFrame(data)

        def fit():
            result = pf.feols(FORMULA, frame, vcov=VCOV)
            table = result.tidy()
            return table["Estimate"].to_numpy(), table["Std. Error"].to_numpy()

    figures, (coef, se) = best_of(fit, runs)  # the warm-up run compiles pyfixest's kernels
    return {**figures, "coef": list(map(float, coef)), "se": list(map(float, se))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[2_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", choices=["olmstats", "pyfixest"])
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.rows[0], args.runs)))
        return
    for rows in args.rows:
        results = {}
        for engine in ("olmstats", "pyfixest"):
            results[engine] = in_fresh_process(
                "bench.feols_vs_pyfixest",
                "--worker",
                engine,
                "--rows",
                str(rows),
                "--runs",
                str(args.runs),
            )
        ours, theirs = results["olmstats"], results["pyfixest"]
        coef_gap = max(abs(a / b - 1) for a, b in zip(ours["coef"], theirs["coef"], strict=True))
        se_gap = max(abs(a / b - 1) for a, b in zip(ours["se"], theirs["se"], strict=True))
        print(
            f"{rows:>12,} rows: olmstats {ours['best_s']:.2f} s ({ours['peak_mb']:,.0f} MB)  "
            f"pyfixest {theirs['best_s']:.2f} s ({theirs['peak_mb']:,.0f} MB)  "
            f"time ratio {ours['best_s'] / theirs['best_s']:.2f}x  "
            f"max relative gap: coef {coef_gap:.1e}, se {se_gap:.1e}"
        )


if __name__ == "__main__":
    main()
