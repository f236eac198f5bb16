"""Many small regressions at once: OLS per group with one fixed effect absorbed, HC1.

``grouped_ols(frame, group="country", absorb="occupation", outcome, regressors)`` gives, for
every group, what ``feols(f"{outcome} ~ {regressors} | {absorb}", rows of that group,
vcov="hetero")`` gives (a test checks this), without a loop over groups: one fixed effect is
absorbed exactly by demeaning within cells (cells = group × absorb; singleton cells dropped, as
feols does). The demeaned rows are never formed: each group's X'X and X'y come from per-cell
sums of the raw values and products (Σab − ΣaΣb/n per cell), its HC1 meat from per-cell sums of
e², e²x and e²xx, all taken for all groups at once with ``numpy.bincount``. Degrees of freedom:
k regressors plus the group's number of cells (feols' count for one fixed effect).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats

from olmstats.errors import InputError
from olmstats.estimation.feols import category_codes


def _labelled_codes(column: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """The distinct values (sorted) and each row's position among them (no nulls)."""
    labels = column.unique().sort()
    if column.dtype == pl.String:  # an Enum of the sorted labels: its codes are the positions
        return labels, column.cast(pl.Enum(labels)).to_physical().to_numpy().astype(np.int32)
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
    absorbed = data[absorb]
    a = _labelled_codes(absorbed)[1] if absorbed.dtype == pl.String else category_codes(absorbed)
    del absorbed
    n_groups, n_levels = labels.len(), int(a.max()) + 1
    g = g.astype(np.int32)
    cell = g * np.int32(n_levels) + a.astype(np.int32)  # group × absorbed level: small, dense
    del a
    y = data[outcome].cast(pl.Float64).to_numpy()
    x = [data[c].cast(pl.Float64).to_numpy() for c in names]  # one array per regressor
    del data  # from here on only the arrays are needed
    k = len(x)

    def cell_sums(values: np.ndarray | None = None) -> np.ndarray:
        """Sum of *values* (or the count) in every cell, as a groups × levels array."""
        flat = np.bincount(cell, weights=values, minlength=n_groups * n_levels)
        return flat.reshape(n_groups, n_levels).astype(np.float64)

    counts = cell_sums()
    kept = counts > 1  # singleton cells carry no within-cell information (feols drops them)
    safe_counts = np.where(kept, counts, 1.0)
    sum_x, sum_y = [cell_sums(v) for v in x], cell_sums(y)
    mean_x = [np.where(kept, s / safe_counts, 0.0) for s in sum_x]

    def within(products: np.ndarray, sum_a: np.ndarray, sum_b: np.ndarray) -> np.ndarray:
        """Per group, the sum over its rows of the cell-demeaned a × b: per cell
        Σab − Σa·Σb/n, singleton cells left out."""
        return np.where(kept, products - sum_a * sum_b / safe_counts, 0.0).sum(axis=1)

    xtx = np.empty((n_groups, k, k))
    for i in range(k):
        for j in range(i, k):
            xtx[:, i, j] = xtx[:, j, i] = within(cell_sums(x[i] * x[j]), sum_x[i], sum_x[j])
    xty = np.column_stack([within(cell_sums(x[i] * y), sum_x[i], sum_y) for i in range(k)])
    n = np.where(kept, counts, 0.0).sum(axis=1).astype(np.int64)
    cells_per_group = kept.sum(axis=1)
    df_k = k + cells_per_group
    usable = (n > df_k) & (np.linalg.matrix_rank(xtx) == k)
    beta = np.full((n_groups, k), np.nan)
    beta[usable] = np.linalg.solve(xtx[usable], xty[usable][..., None])[..., 0]
    fitted_beta = np.nan_to_num(beta)  # per group; gathered one regressor at a time (cheap)
    # the within residual: y − b·x less its cell mean, the cell mean from the cell sums
    cell_mean = (sum_y - sum(fitted_beta[:, j, None] * sum_x[j] for j in range(k))) / safe_counts
    residual = y - cell_mean.ravel()[cell]
    for j in range(k):
        residual -= x[j] * fitted_beta[g, j]
    squared = residual * residual
    del residual, y
    # HC1 meat per cell: Σe²(x_i − μ_i)(x_j − μ_j) = Σe²x_ix_j − μ_iΣe²x_j − μ_jΣe²x_i + μ_iμ_jΣe²
    sum_e2 = cell_sums(squared)
    sum_e2x = [cell_sums(squared * v) for v in x]
    meat = np.empty((n_groups, k, k))
    for i in range(k):
        weighted = squared * x[i]
        for j in range(i, k):
            per_cell = (
                cell_sums(weighted * x[j])
                - mean_x[i] * sum_e2x[j]
                - mean_x[j] * sum_e2x[i]
                + mean_x[i] * mean_x[j] * sum_e2
            )
            meat[:, i, j] = meat[:, j, i] = np.where(kept, per_cell, 0.0).sum(axis=1)
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
