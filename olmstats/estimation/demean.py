"""Absorb fixed effects by alternating projections (the method of fixest and pyfixest).

Each pass subtracts, for every fixed effect in turn, the (weighted) group means of every
column; passes repeat until no value moves by more than ``tol`` times the column's scale. The
fixed effects arrive as dense integer codes (made by Polars from the data); a pass is then one
``numpy.bincount`` (group sums) and one gather per column and fixed effect, which measured three
to four times faster than Polars window means on 10 million rows. Columns run on threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from olmstats.errors import InputError


def singleton_mask(codes: list[np.ndarray]) -> np.ndarray:
    """True for observations that are alone in a group of some fixed effect, repeated until
    none is left (dropping one singleton can make another)."""
    keep = np.ones(codes[0].size, dtype=bool)
    changed = True
    while changed:
        changed = False
        for code in codes:
            counts = np.bincount(code[keep], minlength=int(code.max()) + 1)
            lonely = keep & (counts[code] == 1)
            if lonely.any():
                keep &= ~lonely
                changed = True
    return ~keep


def _demean_column(
    values: np.ndarray,
    codes: list[np.ndarray],
    group_weights: list[np.ndarray],
    weights: np.ndarray | None,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, int]:
    x = values.astype(np.float64, copy=True)
    scale = max(1.0, float(np.max(np.abs(x)))) if x.size else 1.0
    for iteration in range(1, max_iter + 1):
        biggest = 0.0
        for code, totals in zip(codes, group_weights, strict=True):
            sums = np.bincount(
                code, weights=x if weights is None else x * weights, minlength=totals.size
            )
            means = sums / totals
            if len(codes) == 1:
                x -= means[code]
                return x, iteration
            biggest = max(biggest, float(np.max(np.abs(means))))
            x -= means[code]
        if biggest <= tol * scale:
            return x, iteration
    raise InputError(
        f"demeaning did not converge in {max_iter} passes (largest change {biggest:.2e}); "
        "the fixed effects may be nearly collinear"
    )


def demean(
    columns: np.ndarray,
    codes: list[np.ndarray],
    weights: np.ndarray | None = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> tuple[np.ndarray, int]:
    """Residualise each column of *columns* (n × k) on the fixed effects given by *codes*
    (dense 0..G-1 integer arrays). Returns the demeaned matrix and the passes used."""
    if not codes:
        return columns.astype(np.float64, copy=True), 0
    group_weights = [
        np.bincount(code, weights=weights, minlength=int(code.max()) + 1) for code in codes
    ]
    threads = max(1, min(columns.shape[1], os.cpu_count() or 1))
    with ThreadPoolExecutor(threads) as pool:
        results = list(
            pool.map(
                lambda j: _demean_column(
                    columns[:, j], codes, group_weights, weights, tol, max_iter
                ),
                range(columns.shape[1]),
            )
        )
    out = np.column_stack([r[0] for r in results]) if results else columns.copy()
    return out, max((r[1] for r in results), default=0)
