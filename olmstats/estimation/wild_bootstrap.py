"""Wild cluster restricted bootstrap (WCR) for ``feols`` coefficients, fixed effects included.

With few clusters, or clusters of very unequal size, t-tests and intervals from the cluster-
robust CRV1 standard error and the t(G − 1) distribution over-reject and under-cover. The wild
cluster *restricted* bootstrap (WCR; MacKinnon, Nielsen & Webb 2023, "Cluster-robust inference:
A guide to empirical practice", Journal of Econometrics 232(2), "MNW") is the remedy they
recommend: for H0: β_j = β0,

1. fit the model under H0 (β_j fixed at β0), giving restricted residuals ũ;
2. draw, for each cluster g, one weight v_g (Rademacher ±1, or Webb's six points
   ±√(1/2), ±1, ±√(3/2), each with probability 1/6) and form y* = restricted fit + v_g·ũ;
3. refit the full model on y*, with the same CRV1 standard error, giving t*_b;
4. p(β0) = (1/B)·#{b : |t*_b| > |t(β0)|} (the symmetric bootstrap p-value). The draws v = ±1
   reproduce the sample itself (t* = t up to rounding); they count as ties, not as exceedances
   (``TIE_TOLERANCE``), so rounding cannot move a p-value by 2/B.

With Rademacher weights and 2^G ≤ ``reps`` every one of the 2^G sign vectors is used once (full
enumeration: the p-value has no simulation error). Confidence intervals are found by **test
inversion**: the set of β0 whose bootstrap p-value is at least α, with the same draws
for every β0, its ends found by bisection. The CRV1 small-sample factor multiplies both t and
every t*, so p-values and intervals do not depend on it.

How it is computed, on the demeaned data (Frisch–Waugh–Lovell). X and y are the regressors and
outcome with the fixed effects absorbed (times √w with weights: WLS is OLS on transformed data).
For the coefficient j, let a = e_j'(X'X)⁻¹ and q = X a'. The bootstrap numerator and each
cluster's bootstrap score are linear in the weights v, so each draw costs O(G²):

    t*(v) = c'v / ‖H v‖,   c_h = Σ_{i∈h} q_i ũ_i,
    H[g, h] = δ_gh c_g − Σ_{i∈g} q_i [P_D(ũ∘1_h)]_i − (Σ_{i∈g} q_i x_i') (X'X)⁻¹ X_h'ũ_h,

where P_D projects on the fixed-effect dummies. That middle term is what re-estimating the
fixed effects in every bootstrap sample contributes: it vanishes when every fixed effect is
nested in the clusters (each level inside one cluster), and otherwise is computed exactly, from
level × cluster sums and the pseudo-inverse of D'WD when the fixed effects have at most
``DENSE_LEVELS`` levels in all, else by demeaning the G columns ũ∘1_h. The result equals the
WCR bootstrap of the regression with explicit dummy variables (a test checks it against the
``wildboottest`` package on that design). Under H0: β_j = β0 the restricted residuals are
ũ0 − β0·e (ũ0 = residuals of y on the other regressors, e = those of x_j), so c and H are linear
in β0 as well, and inverting the test costs O(B) per trial value.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from olmstats.errors import InputError

WEIGHT_TYPES = ("rademacher", "webb")
# B: MNW 2023 advise thousands of draws for p-values near 0.05; α(B + 1) is an integer for
# α = 0.1, 0.05, 0.01, so the bootstrap test is exact under its own assumptions at those levels
DEFAULT_REPS = 9_999
DEFAULT_SEED = 2023
DENSE_LEVELS = 2_000  # fixed-effect levels up to which D'WD is pseudo-inverted directly
MAX_CLUSTERS = 2_000  # G × G matrices per coefficient; beyond that CRV1 is reliable anyway
# |t*| must exceed |t| by this relative margin to count: the draws v = ±1 reproduce the sample
# (t* = t exactly in theory), and rounding must not decide whether they count
TIE_TOLERANCE = 1e-9
WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


def bootstrap_weights(
    weights_type: str, n_clusters: int, reps: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """The G × B matrix of cluster weights and whether it is the full enumeration.

    Parameters
    ----------
    weights_type : {"rademacher", "webb"}
        Rademacher: ±1 with probability ½ each. Webb: six points ±√½, ±1, ±√(3/2).
    n_clusters : int
        G.
    reps : int
        Draws wanted, B. Rademacher with 2^G ≤ B gives all 2^G sign vectors instead.
    rng : numpy.random.Generator
        Source of the draws (unused for full enumeration).
    """
    if weights_type == "rademacher" and 2**n_clusters <= reps:
        signs = np.array(list(itertools.product((-1.0, 1.0), repeat=n_clusters)))
        return signs.T.copy(), True
    if weights_type == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_clusters, reps)), False
    return rng.choice(WEBB, size=(n_clusters, reps)), False


def _cluster_sums(cluster: np.ndarray, values: np.ndarray, n_clusters: int) -> np.ndarray:
    return np.bincount(cluster, weights=values, minlength=n_clusters)


def _nested(fe: np.ndarray, cluster: np.ndarray) -> bool:
    first = np.full(int(fe.max()) + 1, -1, dtype=np.int64)
    first[fe] = cluster
    return bool(np.array_equal(first[fe], cluster))


class _FixedEffectCrossTerms:
    """Σ_{i∈g} q_i [P_D(u∘1_h)]_i for all clusters g, h (G × G): what re-estimating the fixed
    effects in each bootstrap sample adds to the bootstrap scores (zero when all are nested)."""

    def __init__(
        self,
        fe_codes: list[np.ndarray],
        cluster: np.ndarray,
        n_clusters: int,
        weights: np.ndarray | None,
    ) -> None:
        self.codes = list(fe_codes)
        self.cluster = cluster
        self.n_clusters = n_clusters
        self.weights = weights
        self.root_w = None if weights is None else np.sqrt(weights)
        self.active = bool(fe_codes) and not all(_nested(c, cluster) for c in fe_codes)
        self.levels = [int(c.max()) + 1 for c in fe_codes]
        self.dense = self.active and sum(self.levels) <= DENSE_LEVELS
        if self.dense:
            self.pinv = np.linalg.pinv(self._cross_product(), rcond=1e-12, hermitian=True)

    def _cross_product(self) -> np.ndarray:
        """D'WD, dense."""
        total = sum(self.levels)
        out = np.zeros((total, total))
        offsets = np.cumsum([0, *self.levels])
        for a, b in itertools.product(range(len(self.codes)), repeat=2):
            pair = self.codes[a] * self.levels[b] + self.codes[b]
            block = np.bincount(
                pair, weights=self.weights, minlength=self.levels[a] * self.levels[b]
            )
            out[offsets[a] : offsets[a + 1], offsets[b] : offsets[b + 1]] = block.reshape(
                self.levels[a], self.levels[b]
            )
        return out

    def _level_cluster_sums(self, values: np.ndarray) -> np.ndarray:
        """D'(√w ∘ values ∘ 1_g) for every cluster g: (levels × G)."""
        if self.root_w is not None:
            values = values * self.root_w
        blocks = [
            np.bincount(
                code * self.n_clusters + self.cluster,
                weights=values,
                minlength=levels * self.n_clusters,
            ).reshape(levels, self.n_clusters)
            for code, levels in zip(self.codes, self.levels, strict=True)
        ]
        return np.vstack(blocks)

    def __call__(self, q: np.ndarray, u: np.ndarray) -> np.ndarray:
        if not self.active:
            return np.zeros((self.n_clusters, self.n_clusters))
        if self.dense:
            return self._level_cluster_sums(q).T @ self.pinv @ self._level_cluster_sums(u)
        return self._by_demeaning(q, u)

    def _by_demeaning(self, q: np.ndarray, u: np.ndarray, chunk: int = 16) -> np.ndarray:
        """The same, for many fixed-effect levels: P(a) = a − √w∘M_w(a/√w), M_w the weighted
        demeaning, applied to the columns u∘1_h, *chunk* clusters at a time."""
        from olmstats.estimation.demean import demean

        out = np.empty((self.n_clusters, self.n_clusters))
        root_w = np.ones_like(u) if self.root_w is None else self.root_w
        for start in range(0, self.n_clusters, chunk):
            clusters = np.arange(start, min(start + chunk, self.n_clusters))
            pieces = np.where(self.cluster[:, None] == clusters[None, :], u[:, None], 0.0)
            residual, _ = demean(pieces / root_w[:, None], self.codes, self.weights, tol=1e-12)
            projected = pieces - residual * root_w[:, None]
            for column, h in enumerate(clusters):
                out[:, h] = _cluster_sums(self.cluster, q * projected[:, column], self.n_clusters)
        return out


@dataclass(frozen=True)
class _TermDraws:
    """For one coefficient: everything p(β0) needs, for every β0, from the B draws."""

    estimate: float
    se_raw: float  # CRV1 standard error without the small-sample factor
    numerator: tuple[np.ndarray, np.ndarray]  # c'v = n0 − β0·n1
    squares: tuple[np.ndarray, np.ndarray, np.ndarray]  # ‖Hv‖² = s00 − 2β0·s01 + β0²·s11

    def p_value(self, beta0: float) -> float:
        n0, n1 = self.numerator
        s00, s01, s11 = self.squares
        denominator = np.maximum(s00 - 2 * beta0 * s01 + beta0**2 * s11, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = np.abs(n0 - beta0 * n1) / np.sqrt(denominator)
        t_star = np.where(np.isnan(t_star), 0.0, t_star)
        t = abs(self.estimate - beta0) / self.se_raw
        return float(np.mean(t_star > t * (1 + TIE_TOLERANCE)))

    def interval(self, alpha: float, step: float) -> tuple[float, float]:
        """Ends of {β0 : p(β0) ≥ α} on each side of the estimate, by bisection (relative
        precision 1e-10 of *step*); ±inf if the bootstrap never rejects within 2^40 steps."""
        ends = []
        for sign in (-1.0, 1.0):
            inside, outside = 0.0, step
            while self.p_value(self.estimate + sign * outside) >= alpha:
                inside, outside = outside, 2 * outside
                if outside > step * 2**40:
                    break
            else:
                while outside - inside > 1e-10 * step:
                    middle = (inside + outside) / 2
                    if self.p_value(self.estimate + sign * middle) >= alpha:
                        inside = middle
                    else:
                        outside = middle
                ends.append(self.estimate + sign * (inside + outside) / 2)
                continue
            ends.append(sign * math.inf)
        return ends[0], ends[1]


@dataclass(frozen=True)
class WildBootstrapResult:
    """Bootstrap p-values (H0: coefficient = 0) and test-inversion intervals per coefficient.

    Attributes
    ----------
    terms : list of str
        The coefficients bootstrapped.
    draws : int
        Bootstrap samples used (2^G under full enumeration).
    reps : int
        Draws asked for.
    weights_type : str
        ``"rademacher"`` or ``"webb"``.
    seed : int
        Seed of ``numpy.random.default_rng`` for the draws (unused under full enumeration).
    full_enumeration : bool
        Whether every Rademacher sign vector was used once.
    n_clusters : int
        G.
    cluster : str
        The cluster variable.
    """

    terms: list[str]
    draws: int
    reps: int
    weights_type: str
    seed: int
    full_enumeration: bool
    n_clusters: int
    cluster: str
    _draws: dict[str, _TermDraws] = field(repr=False)
    _steps: dict[str, float] = field(repr=False)

    def p_value(self, term: str, null: float = 0.0) -> float:
        """Bootstrap p-value of H0: *term* = *null* (symmetric)."""
        return self._draws[self._term(term)].p_value(null)

    def interval(self, term: str, alpha: float = 0.05) -> tuple[float, float]:
        """The 1 − *alpha* interval by inverting the bootstrap test (same draws for every β0)."""
        if not 0 < alpha < 1:
            raise InputError(f"alpha must be between 0 and 1, got {alpha!r}")
        term = self._term(term)
        return self._draws[term].interval(alpha, self._steps[term])

    def _term(self, term: str) -> str:
        if term not in self._draws:
            raise InputError(
                f"{term!r} was not bootstrapped; the terms are {', '.join(self.terms)}"
            )
        return term

    def describe(self) -> str:
        """One line, e.g. 'wild cluster bootstrap (WCR, Rademacher weights, 9,999 draws,
        seed 2023) over 57 clusters of country; intervals by test inversion'."""
        how = (
            f"full enumeration of {self.draws:,} sign vectors"
            if self.full_enumeration
            else f"{self.draws:,} draws, seed {self.seed}"
        )
        return (
            f"wild cluster bootstrap (WCR, {self.weights_type.capitalize()} weights, {how}) "
            f"over {self.n_clusters:,} clusters of {self.cluster}; intervals by test inversion"
        )

    def tidy(self, alpha: float = 0.05) -> pl.DataFrame:
        """term, estimate, p_value, conf_low, conf_high, and how they were computed."""
        rows = []
        for term in self.terms:
            low, high = self.interval(term, alpha)
            rows.append(
                {
                    "term": term,
                    "estimate": self._draws[term].estimate,
                    "p_value": self.p_value(term),
                    "conf_low": low,
                    "conf_high": high,
                }
            )
        return pl.DataFrame(rows).with_columns(
            draws=pl.lit(self.draws),
            weights_type=pl.lit(self.weights_type),
            seed=pl.lit(self.seed),
            full_enumeration=pl.lit(self.full_enumeration),
        )


def check_options(reps: int, weights_type: str, seed: int) -> None:
    """Raise InputError for a bootstrap option out of range."""
    if weights_type not in WEIGHT_TYPES:
        raise InputError(
            f"weights_type must be one of {', '.join(WEIGHT_TYPES)}, got {weights_type!r}"
        )
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 99:
        raise InputError(f"reps must be an integer of at least 99, got {reps!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")


def wild_cluster_bootstrap(
    y: np.ndarray,
    x: np.ndarray,
    cluster: np.ndarray,
    *,
    names: list[str],
    cluster_name: str,
    fe_codes: list[np.ndarray] | None = None,
    weights: np.ndarray | None = None,
    terms: list[str] | None = None,
    reps: int = DEFAULT_REPS,
    weights_type: str = "rademacher",
    seed: int = DEFAULT_SEED,
) -> WildBootstrapResult:
    """WCR bootstrap of each coefficient in *terms* (all by default).

    Parameters
    ----------
    y : numpy.ndarray
        Outcome with the fixed effects absorbed, times √w if weighted (length n).
    x : numpy.ndarray
        Regressors likewise (n × k), in the order of *names*.
    cluster : numpy.ndarray
        Dense 0..G−1 cluster codes (length n).
    names : list of str
        Coefficient names.
    cluster_name : str
        Name of the cluster variable (for the description).
    fe_codes : list of numpy.ndarray, optional
        Dense codes of the absorbed fixed effects (re-estimated in every bootstrap sample).
    weights : numpy.ndarray, optional
        The regression's analytic weights (as in the demeaning).
    terms : list of str, optional
        Coefficients to bootstrap.
    reps : int
        Bootstrap draws B (default 9,999; full enumeration when Rademacher and 2^G ≤ B).
    weights_type : {"rademacher", "webb"}
        Distribution of the cluster weights. MNW 2023 recommend Webb when G is small (below
        about 12), where Rademacher weights give few distinct bootstrap statistics.
    seed : int
        Seed for ``numpy.random.default_rng``.
    """
    check_options(reps, weights_type, seed)
    n_clusters = int(cluster.max()) + 1
    if n_clusters < 2:
        raise InputError("the wild cluster bootstrap needs at least 2 clusters")
    if n_clusters > MAX_CLUSTERS:
        raise InputError(
            f"{n_clusters:,} clusters: the wild cluster bootstrap is for few clusters "
            f"(at most {MAX_CLUSTERS:,}); with this many, CRV1 inference is reliable"
        )
    terms = list(names) if terms is None else list(terms)
    unknown = [t for t in terms if t not in names]
    if unknown:
        raise InputError(f"unknown term(s) {', '.join(map(repr, unknown))}")
    draws, full = bootstrap_weights(weights_type, n_clusters, reps, np.random.default_rng(seed))
    cross_terms = _FixedEffectCrossTerms(fe_codes or [], cluster, n_clusters, weights)
    inverse = np.linalg.inv(x.T @ x)
    beta = inverse @ (x.T @ y)
    residual = y - x @ beta
    per_term: dict[str, _TermDraws] = {}
    steps: dict[str, float] = {}
    for term in terms:
        j = names.index(term)
        a = inverse[j]
        q = x @ a
        se_raw = float(np.sqrt(np.sum(_cluster_sums(cluster, q * residual, n_clusters) ** 2)))
        others = np.delete(x, j, axis=1)
        if others.shape[1]:
            restricted = np.linalg.lstsq(others, np.column_stack([y, x[:, j]]), rcond=None)[0]
            u0, e = (np.column_stack([y, x[:, j]]) - others @ restricted).T
        else:
            u0, e = y.copy(), x[:, j].copy()
        scores_q = np.column_stack(
            [_cluster_sums(cluster, q * x[:, col], n_clusters) for col in range(x.shape[1])]
        )  # G × k: Σ_{i∈g} q_i x_i'
        matrices, vectors = [], []
        for u in (u0, e):
            c = _cluster_sums(cluster, q * u, n_clusters)
            scores = np.column_stack(
                [_cluster_sums(cluster, x[:, col] * u, n_clusters) for col in range(x.shape[1])]
            )  # G × k: X_h'u_h
            h = np.diag(c) - cross_terms(q, u) - scores_q @ inverse @ scores.T
            matrices.append(h @ draws)
            vectors.append(c @ draws)
        h0v, h1v = matrices
        per_term[term] = _TermDraws(
            estimate=float(beta[j]),
            se_raw=se_raw,
            numerator=(vectors[0], vectors[1]),
            squares=(
                np.einsum("gb,gb->b", h0v, h0v),
                np.einsum("gb,gb->b", h0v, h1v),
                np.einsum("gb,gb->b", h1v, h1v),
            ),
        )
        steps[term] = se_raw * math.sqrt(n_clusters / (n_clusters - 1)) if se_raw > 0 else 1.0
    return WildBootstrapResult(
        terms=terms,
        draws=draws.shape[1],
        reps=reps,
        weights_type=weights_type,
        seed=seed,
        full_enumeration=full,
        n_clusters=n_clusters,
        cluster=cluster_name,
        _draws=per_term,
        _steps=steps,
    )


__all__ = [
    "DEFAULT_REPS",
    "DEFAULT_SEED",
    "WEIGHT_TYPES",
    "WildBootstrapResult",
    "bootstrap_weights",
    "wild_cluster_bootstrap",
]
