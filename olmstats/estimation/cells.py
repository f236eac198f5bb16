"""OLS on categorical regressors from per-cell sufficient statistics.

When every regressor is a categorical variable (country, occupation, tenure band), a row's
design vector is the same for every row of its cell, so OLS needs only each cell's count n,
sum of y and sum of y². From them: X'X = Σ n·x xᵀ, X'y = Σ S·x, and each cell's residual sum of
squares Σ(y − ŷ)² = Q − 2ŷS + nŷ², which gives the exact heteroskedasticity-robust (HC1)
covariance without touching the rows again. The result equals ``feols`` with the same dummies
(or with the non-focal factors absorbed as fixed effects) on the rows; a test checks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from olmstats.errors import InputError


@dataclass(frozen=True)
class CellFit:
    names: list[str]
    coef: np.ndarray
    vcov: np.ndarray
    n_obs: int
    df_resid: int

    def effects(self, factor: str) -> pl.DataFrame:
        """level, estimate, std_error of *factor*'s dummies (the reference level omitted)."""
        prefix = f"{factor}::"
        rows = [
            (name.removeprefix(prefix), self.coef[i], float(np.sqrt(self.vcov[i, i])))
            for i, name in enumerate(self.names)
            if name.startswith(prefix)
        ]
        return pl.DataFrame(
            rows,
            schema={"level": pl.String, "estimate": pl.Float64, "std_error": pl.Float64},
            orient="row",
        )


def categorical_ols(
    frame: pl.LazyFrame | pl.DataFrame,
    outcome: str,
    factors: Sequence[str],
    *,
    reference: dict[str, str] | None = None,
) -> CellFit:
    """OLS of *outcome* on an intercept and dummies for every level of each factor except its
    reference (the first level in sorted order unless given); HC1 covariance."""
    reference = reference or {}
    columns = list(factors)
    cells = (
        frame.lazy()
        .drop_nulls([outcome, *columns])
        .group_by(columns)
        .agg(n=pl.len(), s=pl.col(outcome).sum(), q=(pl.col(outcome) ** 2).sum())
        .sort(columns)
        .collect()
    )
    if cells.is_empty():
        raise InputError(f"no rows with {outcome} and {', '.join(columns)} all present")
    names = ["Intercept"]
    blocks = [np.ones((cells.height, 1))]
    for factor in columns:
        levels = sorted(cells[factor].cast(pl.String).unique().to_list())
        base = reference.get(factor, levels[0])
        if base not in levels:
            raise InputError(f"reference level {base!r} of {factor} does not occur")
        values = cells[factor].cast(pl.String).to_numpy()
        kept = [lv for lv in levels if lv != base]
        names += [f"{factor}::{lv}" for lv in kept]
        blocks.append(
            np.column_stack([values == lv for lv in kept]).astype(np.float64)
            if kept
            else np.zeros((cells.height, 0))
        )
    design = np.hstack(blocks)
    n = cells["n"].to_numpy().astype(np.float64)
    sums = cells["s"].to_numpy()
    squares = cells["q"].to_numpy()
    xtx = design.T @ (design * n[:, None])
    if np.linalg.matrix_rank(xtx) < xtx.shape[0]:
        raise InputError(f"the factors {', '.join(columns)} are collinear in these data")
    bread = np.linalg.inv(xtx)
    coef = bread @ (design.T @ sums)
    fitted = design @ coef
    residual_ss = np.maximum(squares - 2 * fitted * sums + n * fitted**2, 0.0)
    meat = design.T @ (design * residual_ss[:, None])
    n_obs = int(n.sum())
    k = design.shape[1]
    if n_obs <= k:
        raise InputError(f"{n_obs} observations for {k} parameters: too few to estimate")
    vcov = bread @ meat @ bread * n_obs / (n_obs - k)
    return CellFit(names, coef, vcov, n_obs, n_obs - k)
