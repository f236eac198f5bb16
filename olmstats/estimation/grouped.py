"""Many small regressions at once: OLS per group with one fixed effect absorbed, HC1.

``grouped_ols(frame, group="country", absorb="occupation", outcome, regressors)`` gives, for
every group, what ``feols(f"{outcome} ~ {regressors} | {absorb}", rows of that group,
vcov="hetero")`` gives (a test checks this), without a loop over groups: one fixed effect is
absorbed exactly by subtracting cell means (cells = group × absorb; singleton cells dropped, as
feols does), and each group's X'X, X'y and HC1 meat are sums over its rows, taken for all groups
at once with ``numpy.bincount``. Degrees of freedom: k regressors plus the group's number of
cells (feols' count for one fixed effect).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats

from olmstats.errors import InputError
from olmstats.estimation.feols import category_codes


def _labelled_codes(column: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """The distinct values (sorted) and each row's position among them."""
    labels = column.unique().sort()
    codes = column.replace_strict(
        labels, pl.int_range(labels.len(), eager=True), return_dtype=pl.Int64
    ).to_numpy()
    return labels, codes


def grouped_ols(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    group: str,
    absorb: str,
    outcome: str,
    regressors: Sequence[str],
    alpha: float = 0.05,
) -> pl.DataFrame:
    """One row per group and regressor: n_obs, estimate, std_error, conf_low, conf_high, and
    ``note`` when the group's regressors are collinear or too few rows remain."""
    names = list(regressors)
    data = frame.lazy().select(group, absorb, outcome, *names).drop_nulls().collect()
    if data.is_empty():
        raise InputError(f"no complete rows of {outcome}, {', '.join(names)}, {absorb}")
    labels, g = _labelled_codes(data[group])
    a = category_codes(data[absorb])
    n_groups, n_levels = labels.len(), int(a.max()) + 1
    cell = (g * n_levels + a).astype(np.int32)  # group × absorbed level: small, dense
    g = g.astype(np.int32)
    del a
    sizes = np.bincount(cell, minlength=n_groups * n_levels)
    keep = sizes[cell] > 1  # singleton cells carry no within-cell information
    if not keep.all():
        data, g, cell = data.filter(pl.Series(keep)), g[keep], cell[keep]
    counts = np.bincount(cell, minlength=n_groups * n_levels)
    cells_per_group = (counts.reshape(n_groups, n_levels) > 0).sum(axis=1)
    safe_counts = np.maximum(counts, 1)

    def demeaned(values: np.ndarray) -> np.ndarray:
        sums = np.bincount(cell, weights=values, minlength=counts.size)
        return values - (sums / safe_counts)[cell]

    y = demeaned(data[outcome].cast(pl.Float64).to_numpy())
    x = np.column_stack([demeaned(data[c].cast(pl.Float64).to_numpy()) for c in names])
    del data  # from here on only the arrays are needed
    k = x.shape[1]

    def per_group(values: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=values, minlength=n_groups)

    xtx = np.empty((n_groups, k, k))
    for i in range(k):
        for j in range(i, k):
            xtx[:, i, j] = xtx[:, j, i] = per_group(x[:, i] * x[:, j])
    xty = np.column_stack([per_group(x[:, i] * y) for i in range(k)])
    n = np.bincount(g, minlength=n_groups)
    df_k = k + cells_per_group
    usable = (n > df_k) & (np.linalg.matrix_rank(xtx) == k)
    beta = np.full((n_groups, k), np.nan)
    beta[usable] = np.linalg.solve(xtx[usable], xty[usable][..., None])[..., 0]
    residual = y - np.einsum("ij,ij->i", x, np.nan_to_num(beta[g]))
    meat = np.empty((n_groups, k, k))
    for i in range(k):
        for j in range(i, k):
            meat[:, i, j] = meat[:, j, i] = per_group(residual**2 * x[:, i] * x[:, j])
    bread = np.full_like(xtx, np.nan)
    bread[usable] = np.linalg.inv(xtx[usable])
    scale = np.where(usable, n / np.maximum(n - df_k, 1), np.nan)
    vcov = bread @ meat @ bread * scale[:, None, None]
    critical = stats.t.ppf(1 - alpha / 2, np.maximum(n - df_k, 1))
    rows = []
    for index in range(n_groups):
        for j, name in enumerate(names):
            se = float(np.sqrt(vcov[index, j, j])) if usable[index] else None
            estimate = float(beta[index, j]) if usable[index] else None
            rows.append(
                {
                    group: labels[index],
                    "term": name,
                    "n_obs": int(n[index]),
                    "estimate": estimate,
                    "std_error": se,
                    "conf_low": None if se is None else estimate - critical[index] * se,
                    "conf_high": None if se is None else estimate + critical[index] * se,
                    "note": None if usable[index] else "not estimable: collinear or too few rows",
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            group: labels.dtype,
            "term": pl.String,
            "n_obs": pl.Int64,
            "estimate": pl.Float64,
            "std_error": pl.Float64,
            "conf_low": pl.Float64,
            "conf_high": pl.Float64,
            "note": pl.String,
        },
    )
