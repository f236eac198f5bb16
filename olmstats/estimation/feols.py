"""Linear models with high-dimensional fixed effects, in the vocabulary of fixest/pyfixest.

    fit = olmstats.feols("log_rate ~ tenure_years + log1p_reviews | country + occupation",
                         data, vcov={"CRV1": "country"})
    fit.tidy()       # term, estimate, std_error, statistic, p_value, conf_low, conf_high
    print(fit.summary())

How it works: Polars prepares the data (columns, transforms, complete rows, integer codes for
fixed effects and clusters); observations alone in a fixed-effect group are dropped
(``fixef_rm="singleton"``, repeated until none is left); the fixed effects are absorbed by
alternating projections, accelerated by conjugate gradients where they converge slowly, with a
sparse least-squares (LSMR) fallback (:mod:`olmstats.estimation.demean`; ``demeaner``,
``fixef_tol``, ``fixef_maxiter``; the result's ``demean`` says which solver converged after how
many sweeps or iterations); statsmodels fits OLS on the
demeaned data and computes the iid, HC1 or cluster (CRV1) covariance. ``weights`` are analytic
weights: demeaning uses weighted means and the demeaned data are multiplied by √w.

Degrees of freedom (pyfixest's defaults, ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True,
G_df="min")``): with N observations, K regressors and fixed effects with L_1..L_m levels,
``df_k = K + ΣL_j − (m − 1)`` (the intercept the fixed effects absorb counted once). The iid
covariance is ``SSR/(N − df_k)·(X'X)⁻¹``; HC1 multiplies the sandwich by ``N/(N − df_k)``;
CRV1 by ``G/(G − 1)·(N − 1)/(N − df_k)``, where, for CRV1 only, a fixed effect nested in the
cluster variable (each of its levels inside one cluster) contributes 1 instead of its L_j levels.
t-statistics use N − df_k degrees of freedom (iid, HC1) or G − 1 (CRV1). statsmodels sees only
the K demeaned regressors, so its covariances are rescaled by ``(N − K)/(N − df_k)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from olmstats.errors import InputError
from olmstats.estimation.demean import DemeanReport, check_options, demean, singleton_mask
from olmstats.estimation.formula import Formula, parse
from olmstats.estimation.wild_bootstrap import (
    DEFAULT_REPS,
    DEFAULT_SEED,
    WildBootstrapResult,
    wild_cluster_bootstrap,
)
from olmstats.estimation.wild_bootstrap import check_options as check_bootstrap_options

VcovSpec = str | dict[str, str]
INFERENCE = ("t", "wild")


@dataclass(frozen=True)
class _BootstrapInputs:
    """What the wild cluster bootstrap needs from a clustered fit: the demeaned (×√w) data."""

    y: np.ndarray
    x: np.ndarray
    cluster: pl.Series  # the cluster variable's values, row by row
    fe_codes: list[np.ndarray]
    weights: np.ndarray | None


@dataclass
class FeolsResult:
    """A fitted model. ``tidy()`` for the table, ``summary()`` for text."""

    formula: str
    names: list[str]
    coef: np.ndarray
    vcov: np.ndarray
    vcov_type: str
    cluster: str | None
    n_obs: int
    n_dropped_missing: int
    n_singletons: int
    fixed_effects: dict[str, int]
    df_k: int
    df_t: int
    n_clusters: int | None
    r2: float
    r2_within: float | None
    rmse: float
    demean: DemeanReport
    notes: list[str] = field(default_factory=list)
    wild: WildBootstrapResult | None = None
    _bootstrap_inputs: _BootstrapInputs | None = field(default=None, repr=False)

    @property
    def inference(self) -> str:
        """``"wild"`` when p-values and intervals come from the wild cluster bootstrap, else
        ``"t"`` (the covariance's t distribution)."""
        return "wild" if self.wild is not None else "t"

    def wildboottest(
        self,
        param: str | list[str] | None = None,
        reps: int = DEFAULT_REPS,
        weights_type: str = "rademacher",
        seed: int = DEFAULT_SEED,
    ) -> WildBootstrapResult:
        """Wild cluster restricted bootstrap (WCR) of *param* (all coefficients by default),
        clustered as the fit; see :mod:`olmstats.estimation.wild_bootstrap`.

        Parameters
        ----------
        param : str or list of str, optional
            Coefficient(s) to test (H0: coefficient = 0) and give intervals for.
        reps : int
            Bootstrap draws (default 9,999); Rademacher weights with 2^G ≤ reps use all 2^G
            sign vectors instead (full enumeration).
        weights_type : {"rademacher", "webb"}
            Cluster weights; Webb's six points are recommended for fewer than about 12
            clusters.
        seed : int
            Seed of the draws (shown in the result's ``describe()``).
        """
        if self._bootstrap_inputs is None:
            raise InputError(
                "the wild cluster bootstrap needs a clustered fit: vcov={'CRV1': column}"
            )
        inputs = self._bootstrap_inputs
        # clusters numbered in sorted order of their values, so that each cluster gets the same
        # bootstrap weights whatever the order of the rows (computed here: fits never
        # bootstrapped do not pay for the sort)
        cluster = (inputs.cluster.rank("dense").to_numpy() - 1).astype(np.int64)
        return wild_cluster_bootstrap(
            inputs.y,
            inputs.x,
            cluster,
            names=self.names,
            cluster_name=self.cluster or "",
            fe_codes=inputs.fe_codes,
            weights=inputs.weights,
            terms=[param] if isinstance(param, str) else param,
            reps=reps,
            weights_type=weights_type,
            seed=seed,
        )

    def inference_label(self) -> str:
        """The standard errors, and where p-values and intervals come from, in one line."""
        label = self._vcov_label()
        return (
            label
            if self.wild is None
            else f"{label}; p-values and intervals: " + (self.wild.describe())
        )

    @property
    def demean_passes(self) -> int:
        """Sweeps over the fixed effects used by the demeaning (see ``demean``)."""
        return self.demean.passes

    @property
    def std_error(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))

    def tidy(self, alpha: float = 0.05) -> pl.DataFrame:
        """One row per coefficient: estimate, standard error, t, p, confidence interval, and
        ``inference``: ``"t(df)"`` when p and the interval come from the t distribution with
        df degrees of freedom, ``"wild bootstrap (WCR)"`` when from the wild cluster bootstrap
        (``statistic`` is then still the CRV1 t; ``summary()`` gives draws, weights, seed)."""
        from scipy import stats

        se = self.std_error
        statistic = self.coef / se
        critical = stats.t.ppf(1 - alpha / 2, self.df_t)
        p_value = 2 * stats.t.sf(np.abs(statistic), self.df_t)
        low, high = self.coef - critical * se, self.coef + critical * se
        inference = [f"t({self.df_t})"] * len(self.names)
        if self.wild is not None:
            for j, name in enumerate(self.names):
                if name in self.wild.terms:
                    p_value[j] = self.wild.p_value(name)
                    low[j], high[j] = self.wild.interval(name, alpha)
                    inference[j] = "wild bootstrap (WCR)"
        return pl.DataFrame(
            {
                "term": self.names,
                "estimate": self.coef,
                "std_error": se,
                "statistic": statistic,
                "p_value": p_value,
                "conf_low": low,
                "conf_high": high,
                "inference": inference,
            }
        )

    def coefficient(self, term: str) -> float:
        return float(self.coef[self.names.index(term)])

    def summary(self) -> str:
        table = self.tidy()
        dropped = [
            text
            for count, text in (
                (self.n_dropped_missing, "with missing values"),
                (self.n_singletons, "singletons"),
            )
            if count
            for text in [f"{count:,} {text} dropped"]
        ]
        lines = [
            f"OLS: {self.formula}",
            f"Observations: {self.n_obs:,}" + (f" ({'; '.join(dropped)})" if dropped else ""),
            "Fixed effects: "
            + (", ".join(f"{k} ({v:,} levels)" for k, v in self.fixed_effects.items()) or "none")
            + (f"; absorbed by {self.demean.describe()}" if self.fixed_effects else ""),
            f"Standard errors: {self._vcov_label()}; t with {self.df_t:,} df",
            *([f"p-values and intervals: {self.wild.describe()}"] if self.wild else []),
            "",
            f"{'term':<28}{'estimate':>12}{'std.error':>12}{'t':>9}{'p':>9}{'95% CI':>24}",
        ]
        for row in table.iter_rows(named=True):
            lines.append(
                f"{row['term']:<28}{row['estimate']:>12.6g}{row['std_error']:>12.6g}"
                f"{row['statistic']:>9.3f}{row['p_value']:>9.4f}"
                f"{'[' + format(row['conf_low'], '.4g') + ', ':>14}"
                f"{format(row['conf_high'], '.4g') + ']':<10}"
            )
        lines.append("")
        fit = f"R2: {self.r2:.4f}"
        if self.r2_within is not None:
            fit += f"   R2 within: {self.r2_within:.4f}"
        lines.append(fit + f"   RMSE: {self.rmse:.4g}")
        lines += self.notes
        return "\n".join(lines)

    def _vcov_label(self) -> str:
        if self.vcov_type == "CRV1":
            return f"clustered by {self.cluster} ({self.n_clusters:,} clusters, CRV1)"
        return {"iid": "iid", "hetero": "heteroskedasticity-robust (HC1)"}[self.vcov_type]


def _vcov_kind(vcov: VcovSpec) -> tuple[str, str | None]:
    if isinstance(vcov, str):
        if vcov.lower() in ("iid", "hetero", "hc1"):
            return ("hetero" if vcov.lower() == "hc1" else vcov.lower()), None
    elif isinstance(vcov, dict) and len(vcov) == 1:
        kind, column = next(iter(vcov.items()))
        if kind.upper() == "CRV1" and isinstance(column, str):
            return "CRV1", column
    raise InputError(f"vcov must be 'iid', 'hetero' or {{'CRV1': column}}, got {vcov!r}")


def category_codes(column: pl.Series) -> np.ndarray:
    """Dense 0..G-1 integer codes of a column's values (in order of value for integers).

    Integers in a range not much wider than the data go through a lookup table (linear time);
    anything else through a hash of the distinct values.
    """
    if column.dtype.is_integer():
        values = column.to_numpy()
        low, high = int(values.min()), int(values.max())
        if high - low <= 4 * values.size + 1_000_000:
            present = np.zeros(high - low + 1, dtype=bool)
            present[values - low] = True
            return (np.cumsum(present) - 1)[values - low]
    keys = column.unique()
    return column.replace_strict(
        keys, pl.int_range(keys.len(), eager=True), return_dtype=pl.Int64
    ).to_numpy()


def _nested(fe: np.ndarray, cluster: np.ndarray) -> bool:
    """Whether every level of *fe* lies inside a single cluster."""
    first = np.full(int(fe.max()) + 1, -1, dtype=np.int64)
    first[fe] = cluster
    return bool(np.array_equal(first[fe], cluster))


def feols(
    formula: str,
    data: pl.DataFrame | pl.LazyFrame,
    *,
    vcov: VcovSpec = "iid",
    weights: str | None = None,
    fixef_rm: str = "singleton",
    fixef_tol: float = 1e-10,
    fixef_maxiter: int = 10_000,
    demeaner: str = "auto",
    inference: str = "t",
    reps: int | None = None,
    weights_type: str | None = None,
    seed: int | None = None,
) -> FeolsResult:
    """Fit *formula* by OLS with fixed effects absorbed. See the module docstring.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 | fe1 + fe2"`` in fixest syntax.
    data : polars.DataFrame or polars.LazyFrame
        The observations.
    vcov : str or dict
        ``"iid"``, ``"hetero"`` (HC1) or ``{"CRV1": column}``.
    weights : str, optional
        Column of analytic weights.
    fixef_rm : {"singleton", "none"}
        Drop observations alone in a fixed-effect group (repeatedly), or keep them.
    fixef_tol : float
        Demeaning tolerance, relative to each variable's scale (its largest absolute value, at
        least 1); see :func:`olmstats.estimation.demean.demean`.
    fixef_maxiter : int
        Limit on demeaning sweeps over the fixed effects, and on LSMR iterations (for the
        fallback, at least the number of fixed-effect levels).
    demeaner : {"auto", "accelerated", "projections", "lsmr"}
        ``"auto"``: alternating projections accelerated by conjugate gradients, falling back to
        sparse LSMR if they reach ``fixef_maxiter``; ``"projections"``: plain alternating
        projections only; ``"accelerated"``: no fallback; ``"lsmr"``: LSMR only.
    inference : {"t", "wild"}
        Where ``tidy()``'s p-values and intervals come from: the t distribution (df as in the
        module docstring), or the wild cluster restricted bootstrap (needs CRV1;
        :meth:`FeolsResult.wildboottest` with *reps*, *weights_type*, *seed*).
    reps, weights_type, seed : optional
        Bootstrap options for ``inference="wild"`` (defaults: 9,999 draws, Rademacher weights,
        seed 2023).
    """
    spec = parse(formula)
    kind, cluster = _vcov_kind(vcov)
    check_options(fixef_tol, fixef_maxiter, demeaner)
    if inference not in INFERENCE:
        raise InputError(f"inference must be 't' or 'wild', got {inference!r}")
    if inference == "wild":
        if kind != "CRV1":
            raise InputError("inference='wild' needs a cluster: vcov={'CRV1': column}")
        reps = DEFAULT_REPS if reps is None else reps
        weights_type = "rademacher" if weights_type is None else weights_type
        seed = DEFAULT_SEED if seed is None else seed
        check_bootstrap_options(reps, weights_type, seed)
    elif (reps, weights_type, seed) != (None, None, None):
        raise InputError("reps, weights_type and seed are options of inference='wild'")
    if fixef_rm not in ("singleton", "none"):
        raise InputError("fixef_rm must be 'singleton' or 'none'")
    frame = _prepare(spec, data, weights, cluster)
    n_raw = frame.height
    if any(frame.null_count().row(0)):
        frame = frame.filter(pl.all_horizontal(pl.all().is_not_null()))
    n_dropped = n_raw - frame.height
    if frame.is_empty():
        raise InputError(
            f"no complete rows for {formula!r}: every row has a missing or "
            "non-finite value in a column the formula uses"
        )

    codes = [category_codes(frame[f"__fe_{j}"]) for j in range(len(spec.fixed_effects))]
    n_singletons = 0
    if codes and fixef_rm == "singleton":
        drop = singleton_mask(codes)
        n_singletons = int(drop.sum())
        if n_singletons:
            frame = frame.filter(pl.Series(~drop))
            codes = [category_codes(frame[f"__fe_{j}"]) for j in range(len(spec.fixed_effects))]

    names, regressors = _design(spec, frame)
    y = frame["__y"].to_numpy().astype(np.float64)
    w = frame["__w"].to_numpy().astype(np.float64) if weights else None
    n, k = regressors.shape
    levels = {fe: int(c.max()) + 1 for fe, c in zip(spec.fixed_effects, codes, strict=True)}
    k_fe = sum(levels.values())
    k_fe_adj = k_fe - (len(levels) - 1) if len(levels) > 1 else k_fe
    df_k = k + (k_fe_adj if levels else 0)
    if n <= df_k:
        raise InputError(
            f"{n:,} observations for {df_k:,} parameters (regressors and fixed "
            "effect levels): too few to estimate"
        )

    demeaned, demean_report = demean(
        np.column_stack([y, regressors]),
        codes,
        w,
        tol=fixef_tol,
        max_iter=fixef_maxiter,
        demeaner=demeaner,
    )
    if w is not None:
        demeaned *= np.sqrt(w)[:, None]
    yd, xd = demeaned[:, 0], demeaned[:, 1:]
    _check_identified(names, regressors, xd, w)

    import statsmodels.api as sm

    model = sm.OLS(yd, xd, hasconst=spec.intercept)
    n_clusters = None
    df_k_vcov = df_k
    if kind == "iid":
        fit = model.fit()
    elif kind == "hetero":
        fit = model.fit(cov_type="HC1")
    else:
        same = [j for j, fe in enumerate(spec.fixed_effects) if fe == cluster]
        groups = codes[same[0]] if same else category_codes(frame["__cluster"])
        n_clusters = int(groups.max()) + 1
        if n_clusters < 2:
            raise InputError(f"clustering needs at least 2 clusters; {cluster} has 1")
        nested = [lvl for c, lvl in zip(codes, levels.values(), strict=True) if _nested(c, groups)]
        if nested:
            df_k_vcov = df_k - sum(nested) + len(nested)
        fit = model.fit(
            cov_type="cluster",
            cov_kwds={"groups": groups, "use_correction": True, "df_correction": True},
        )
    covariance = np.asarray(fit.cov_params()) * (n - k) / (n - df_k_vcov)
    df_t = n - df_k if kind != "CRV1" else n_clusters - 1
    residuals = yd - xd @ fit.params
    ssu = float(residuals @ residuals)
    y_mean = np.average(y, weights=w)
    ssy = float(np.sum((w if w is not None else 1.0) * (y - y_mean) ** 2))
    r2_within = 1 - ssu / float(yd @ yd) if levels else None
    result = FeolsResult(
        formula=formula,
        names=names,
        coef=np.asarray(fit.params),
        vcov=covariance,
        vcov_type=kind,
        cluster=cluster,
        n_obs=n,
        n_dropped_missing=n_dropped,
        n_singletons=n_singletons,
        fixed_effects=levels,
        df_k=df_k,
        df_t=int(df_t),
        n_clusters=n_clusters,
        r2=1 - ssu / ssy if ssy > 0 else math.nan,
        r2_within=r2_within,
        rmse=math.sqrt(ssu / n),
        demean=demean_report,
        _bootstrap_inputs=None
        if kind != "CRV1"
        else _BootstrapInputs(
            y=yd,
            x=xd,
            cluster=frame["__cluster"],
            fe_codes=codes,
            weights=w,
        ),
    )
    if inference == "wild":
        result.wild = result.wildboottest(reps=reps, weights_type=weights_type, seed=seed)
    return result


def _prepare(
    spec: Formula, data: pl.DataFrame | pl.LazyFrame, weights: str | None, cluster: str | None
) -> pl.DataFrame:
    """The columns the model needs, renamed, with non-finite numbers as nulls."""
    lazy = data.lazy()
    available = lazy.collect_schema()
    needed = spec.columns + [c for c in (weights, cluster) if c]
    missing = [c for c in dict.fromkeys(needed) if c not in available]
    if missing:
        raise InputError(
            f"unknown column(s) {', '.join(map(repr, missing))} in the formula or "
            f"options; the data has {', '.join(list(available)[:12])}"
            + ("..." if len(available) > 12 else "")
        )

    def finite(expr: pl.Expr) -> pl.Expr:
        return pl.when(expr.is_finite()).then(expr)

    exprs = [finite(spec.outcome.expression()).alias("__y")]
    for j, term in enumerate(spec.terms):
        exprs.append(
            (pl.col(term.column) if term.factor else finite(term.expression())).alias(f"__x_{j}")
        )
    exprs += [pl.col(fe).alias(f"__fe_{j}") for j, fe in enumerate(spec.fixed_effects)]
    if weights:
        exprs.append(
            pl.when(pl.col(weights).cast(pl.Float64) > 0)
            .then(finite(pl.col(weights).cast(pl.Float64)))
            .alias("__w")
        )
    if cluster:
        exprs.append(pl.col(cluster).alias("__cluster"))
    try:
        return lazy.select(exprs).collect()
    except pl.exceptions.PolarsError as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise InputError(f"cannot evaluate {spec.text!r}: {first_line}") from None


def _design(spec: Formula, frame: pl.DataFrame) -> tuple[list[str], np.ndarray]:
    names: list[str] = []
    columns: list[np.ndarray] = []
    if spec.intercept:
        names.append("Intercept")
        columns.append(np.ones(frame.height))
    for j, term in enumerate(spec.terms):
        values = frame[f"__x_{j}"]
        if not term.factor:
            names.append(term.text)
            columns.append(values.to_numpy().astype(np.float64))
            continue
        text = values.cast(pl.String)
        levels = sorted(text.unique().to_list())
        reference = term.reference if term.reference is not None else levels[0]
        if reference not in levels:
            raise InputError(f"reference level {reference!r} of {term.column} does not occur")
        for level in levels:
            if level != reference:
                names.append(f"{term.column}::{level}")
                columns.append((text == level).to_numpy().astype(np.float64))
    return names, np.column_stack(columns)


def _check_identified(
    names: list[str], raw: np.ndarray, demeaned: np.ndarray, weights: np.ndarray | None
) -> None:
    """Refuse regressors the fixed effects absorb, and collinear regressors."""
    for j, name in enumerate(names):
        spread = raw[:, j] - np.average(raw[:, j], weights=weights)
        before = float(spread @ spread) if name != "Intercept" else float(raw.shape[0])
        after = float(demeaned[:, j] @ demeaned[:, j])
        if after <= 1e-10 * max(before, 1e-300):
            raise InputError(
                f"{name} is absorbed by the fixed effects (or constant): "
                "it has no variation left to estimate from"
            )
    cross = demeaned.T @ demeaned
    scale = np.sqrt(np.outer(np.diag(cross), np.diag(cross)))
    rank = np.linalg.matrix_rank(cross / scale, tol=1e-10)
    if rank < demeaned.shape[1]:
        raise InputError(
            f"regressors are collinear ({rank} independent of "
            f"{demeaned.shape[1]}: {', '.join(names)})"
        )


__all__ = ["FeolsResult", "feols"]
