"""Demeaning on a poorly connected fixed-effect graph, checked against a direct solve of the
dummy-variable regression and against pyfixest; easy graphs unchanged; honest stop messages.

The hard graph: 5,000 workers, each observed in two adjacent firms of a 200-firm chain (worker w
in firms f and f + 1). Alternating projections shrink the error by about 1 − 1.2e-4 per pass on
it: they need 197,668 passes for 1e-10 (measured on the outcome; the test below checks only
that 10,000 do not suffice); conjugate gradients need 210 sweeps.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyfixest as pf
import pytest
from pyfixest.demeaners import LsmrDemeaner

from olmstats import InputError
from olmstats.estimation import feols
from olmstats.estimation.demean import demean
from olmstats.simulate import firm_chain

FORMULA = "y ~ x + z | worker + firm"


def chain_graph(workers: int = 5_000, firms: int = 200, seed: int = 0) -> pl.DataFrame:
    arrays = firm_chain(workers, firms, seed)
    weights = np.random.default_rng(seed + 1).uniform(0.2, 3.0, arrays["firm"].size)
    return pl.DataFrame({**arrays, "w": weights})


@pytest.fixture(scope="module")
def chain() -> pl.DataFrame:
    return chain_graph()


def dummy_regression(frame: pl.DataFrame, weights: str | None = None) -> np.ndarray:
    """Coefficients of x and z from the full dummy regression y ~ x + z + C(worker) + C(firm),
    computed directly: rows demeaned exactly within worker (a worker's weighted mean, the
    Frisch-Waugh-Lovell step for the worker dummies), then x, z and the firm dummies (first
    dropped) by dense weighted least squares (numpy lstsq)."""
    worker = frame["worker"].to_numpy()
    w = frame[weights].to_numpy() if weights else np.ones(frame.height)
    totals = np.bincount(worker, weights=w)

    def within_worker(column: np.ndarray) -> np.ndarray:
        return column - (np.bincount(worker, weights=w * column) / totals)[worker]

    firm = frame["firm"].to_numpy()
    dummies = (firm[:, None] == np.arange(1, firm.max() + 1)[None, :]).astype(float)
    design = np.column_stack([frame["x"], frame["z"], dummies])
    design = np.column_stack([within_worker(c) for c in design.T]) * np.sqrt(w)[:, None]
    outcome = within_worker(frame["y"].to_numpy()) * np.sqrt(w)
    return np.linalg.lstsq(design, outcome, rcond=None)[0][:2]


def test_plain_projections_need_more_than_10000_passes_and_say_why(chain):
    with pytest.raises(InputError) as caught:
        feols(FORMULA, chain, demeaner="projections")
    message = str(caught.value)
    assert "alternating projections reached fixef_maxiter=10,000 sweeps" in message
    assert "poorly connected" in message and "not collinearity" in message
    assert "\n" not in message


@pytest.mark.parametrize("weights", [None, "w"])
def test_auto_solves_the_chain_like_a_direct_solve_and_pyfixest(chain, weights):
    fit = feols(FORMULA, chain, weights=weights)
    assert fit.demean.method == "accelerated"
    assert fit.demean.passes < 1_000  # against > 10,000 for plain projections (test above)
    np.testing.assert_allclose(fit.coef, dummy_regression(chain, weights), rtol=1e-8)
    theirs = pf.feols(
        FORMULA,
        chain.to_pandas(),
        weights=weights,
        demeaner=LsmrDemeaner(fixef_atol=1e-12, fixef_btol=1e-12, fixef_maxiter=100_000),
    )
    np.testing.assert_allclose(fit.coef, theirs.coef().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(fit.std_error, theirs.se().to_numpy(), rtol=1e-7)
    assert "accelerated by conjugate gradients" in fit.summary()


def test_lsmr_explicitly_and_as_fallback(chain):
    reference = dummy_regression(chain)
    explicit = feols(FORMULA, chain, demeaner="lsmr")
    assert explicit.demean.method == "lsmr" and explicit.demean.lsmr_iterations > 0
    np.testing.assert_allclose(explicit.coef, reference, rtol=1e-8)
    fallback = feols(FORMULA, chain, fixef_maxiter=100)  # too few sweeps; LSMR takes over
    assert fallback.demean.method == "lsmr"
    assert "reached fixef_maxiter=100 sweeps" in fallback.demean.fallback_reason
    assert "LSMR" in fallback.summary()
    np.testing.assert_allclose(fallback.coef, reference, rtol=1e-8)


def test_when_lsmr_fails_the_message_gives_its_stop_reason(chain):
    with pytest.raises(InputError) as caught:
        feols(FORMULA, chain, demeaner="lsmr", fixef_maxiter=20)
    message = str(caught.value)
    assert "LSMR stopped after 20 iterations: reached the iteration limit" in message
    assert "collinear" not in message and "\n" not in message


def test_easy_graphs_are_computed_exactly_as_before():
    """Random firm × year assignment converges in a few plain passes: "auto" runs exactly those
    passes (bit-for-bit the same numbers as plain projections); LSMR agrees to 1e-9."""
    rng = np.random.default_rng(5)
    n = 20_000
    columns = rng.normal(size=(n, 3))
    codes = [rng.integers(0, 500, n), rng.integers(0, 12, n)]
    weights = rng.uniform(0.5, 2.0, n)
    for w in (None, weights):
        plain, plain_report = demean(columns, codes, w, demeaner="projections")
        auto, auto_report = demean(columns, codes, w)
        np.testing.assert_array_equal(auto, plain)
        assert auto_report.method == plain_report.method == "projections"
        assert auto_report.passes == plain_report.passes < 16
        lsmr, _ = demean(columns, codes, w, demeaner="lsmr")
        np.testing.assert_allclose(lsmr, plain, atol=1e-9)


def test_conjugate_gradients_reach_the_same_point_as_plain_projections():
    """A graph slow enough to need the acceleration but solvable by plain passes within a
    generous limit: both give the same demeaned columns."""
    frame = chain_graph(workers=400, firms=30, seed=2)
    columns = frame.select("y", "x").to_numpy()
    codes = [frame["worker"].to_numpy(), frame["firm"].to_numpy()]
    plain, plain_report = demean(
        columns, codes, tol=1e-13, max_iter=200_000, demeaner="projections"
    )
    fast, fast_report = demean(columns, codes, tol=1e-13)
    assert fast_report.method == "accelerated" and fast_report.passes < plain_report.passes / 5
    np.testing.assert_allclose(fast, plain, atol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"demeaner": "magic"}, "demeaner must be one of auto, accelerated, projections, lsmr"),
        ({"fixef_maxiter": 0}, "fixef_maxiter must be a positive integer"),
        ({"fixef_tol": 0.0}, "fixef_tol must be between 0 and 1"),
    ],
)
def test_bad_demeaning_options(chain, kwargs, message):
    with pytest.raises(InputError, match=message):
        feols(FORMULA, chain.head(100), **kwargs)
