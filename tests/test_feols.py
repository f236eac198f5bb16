"""feols against independent implementations: statsmodels with dummies and pyfixest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyfixest as pf
import pytest
import statsmodels.formula.api as smf

from olmstats import InputError
from olmstats.estimation import feols

REL = 1e-6


@pytest.fixture(scope="module")
def data() -> pl.DataFrame:
    rng = np.random.default_rng(42)
    n = 3000
    region = rng.integers(0, 12, n)
    frame = pl.DataFrame(
        {
            "firm": rng.integers(0, 150, n),
            "region": region,
            "city": region * 10 + rng.integers(0, 3, n),  # nested in region
            "year": rng.integers(2015, 2025, n).astype(str),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "w": rng.uniform(0.2, 3.0, n),
        }
    )
    # a few singleton firms: levels seen once
    frame = pl.concat(
        [
            frame,
            pl.DataFrame(
                {
                    "firm": [1000, 1001, 1002],
                    "region": [1, 2, 3],
                    "city": [10, 20, 30],
                    "year": ["2016", "2017", "2018"],
                    "x": [0.1, 0.2, 0.3],
                    "z": [0.0, 1.0, 2.0],
                    "w": [1.0, 1.0, 1.0],
                },
                schema=frame.schema,
            ),
        ]
    )
    noise = rng.normal(size=frame.height) * (1 + 0.5 * np.abs(frame["x"].to_numpy()))
    return frame.with_columns(
        y=0.5 * pl.col("x")
        - 0.25 * pl.col("z")
        + 0.02 * pl.col("firm") % 7
        + pl.col("region") * 0.1
        + pl.Series(noise)
    )


CASES = [
    ("y ~ x + z | firm", None),
    ("y ~ x + z | firm + year", None),
    ("y ~ x + z | firm + year", "w"),
    ("y ~ x + z | city", "w"),
]
VCOVS = ["iid", "hetero", {"CRV1": "region"}]


@pytest.mark.parametrize(("formula", "weights"), CASES)
@pytest.mark.parametrize("vcov", VCOVS, ids=["iid", "hetero", "CRV1"])
def test_equals_pyfixest(data, formula, weights, vcov):
    ours = feols(formula, data, vcov=vcov, weights=weights)
    theirs = pf.feols(formula, data.to_pandas(), vcov=vcov, weights=weights)
    table = theirs.tidy()
    np.testing.assert_allclose(ours.coef, table["Estimate"].to_numpy(), rtol=REL)
    np.testing.assert_allclose(ours.std_error, table["Std. Error"].to_numpy(), rtol=REL)
    np.testing.assert_allclose(
        ours.tidy()["p_value"], table["Pr(>|t|)"].to_numpy(), rtol=1e-5, atol=1e-12
    )
    np.testing.assert_allclose(ours.tidy()["conf_low"], table["2.5%"].to_numpy(), rtol=REL)
    assert ours.n_obs == theirs._N
    assert ours.r2 == pytest.approx(theirs._r2, rel=REL)
    assert ours.r2_within == pytest.approx(theirs._r2_within, rel=REL)


def test_singletons_are_dropped_and_counted(data):
    fit = feols("y ~ x + z | firm", data)
    assert fit.n_singletons == 3 and fit.n_obs == data.height - 3
    kept = feols("y ~ x + z | firm", data, fixef_rm="none")
    assert kept.n_singletons == 0 and kept.n_obs == data.height


def _dummies(data: pl.DataFrame, formula: str, weights: str | None):
    frame = data.to_pandas()
    frame["firm"] = frame["firm"].astype(str)
    frame["city"] = frame["city"].astype(str)
    model = smf.wls(formula, frame, weights=frame[weights]) if weights else smf.ols(formula, frame)
    return model, frame


@pytest.mark.parametrize("weights", [None, "w"])
def test_equals_statsmodels_with_dummies(data, weights):
    """Same coefficients; iid and HC1 standard errors equal statsmodels' exactly, because with
    dummies statsmodels counts the same parameters (ΣL − (m − 1) + K)."""
    small = data.filter(pl.col("firm") < 1000)  # no singletons: same sample for both
    model, _ = _dummies(small, "y ~ x + z + C(firm) + C(year)", weights)
    for vcov, cov_type in (("iid", "nonrobust"), ("hetero", "HC1")):
        ours = feols("y ~ x + z | firm + year", small, vcov=vcov, weights=weights)
        reference = model.fit(cov_type=cov_type)
        np.testing.assert_allclose(ours.coef, reference.params[["x", "z"]], rtol=REL)
        np.testing.assert_allclose(ours.std_error, reference.bse[["x", "z"]], rtol=REL)


def test_clustered_with_nested_fixed_effects_vs_statsmodels(data):
    """CRV1 with city fixed effects nested in region clusters: statsmodels with dummies counts
    all L city levels; pyfixest and olmstats count the nested fixed effect as 1. So the two
    agree once statsmodels' (N-1)/(N-K) is replaced by (N-1)/(N-(K - L + 1))."""
    small = data.filter(pl.col("firm") < 1000)
    model, frame = _dummies(small, "y ~ x + z + C(city)", None)
    reference = model.fit(cov_type="cluster", cov_kwds={"groups": frame["region"]})
    ours = feols("y ~ x + z | city", small, vcov={"CRV1": "region"})
    n, k_full = len(frame), len(reference.params)
    levels = ours.fixed_effects["city"]
    rescale = (n - k_full) / (n - (k_full - levels + 1))
    np.testing.assert_allclose(ours.coef, reference.params[["x", "z"]], rtol=REL)
    np.testing.assert_allclose(
        ours.std_error, reference.bse[["x", "z"]] * np.sqrt(rescale), rtol=REL
    )
    assert ours.df_t == small["region"].n_unique() - 1


def test_no_fixed_effects_has_an_intercept_and_factors(data):
    ours = feols("y ~ x + i(year, ref=2015)", data, vcov="hetero")
    reference = smf.ols("y ~ x + C(year, Treatment('2015'))", data.to_pandas()).fit(cov_type="HC1")
    assert ours.names[:2] == ["Intercept", "x"] and ours.names[2] == "year::2016"
    order = ["Intercept", "x"] + [f"C(year, Treatment('2015'))[T.{y}]" for y in range(2016, 2025)]
    np.testing.assert_allclose(ours.coef, reference.params[order].to_numpy(), rtol=REL)
    np.testing.assert_allclose(ours.std_error, reference.bse[order].to_numpy(), rtol=REL)


def test_transforms_and_missing_values(data):
    frame = data.with_columns(
        pos=pl.col("w") * 3, y2=pl.when(pl.col("x") > 1.5).then(None).otherwise(pl.col("y"))
    )
    fit = feols("y2 ~ log(pos) + x | firm", frame)
    assert fit.n_dropped_missing == frame["y2"].null_count()
    assert fit.names == ["log(pos)", "x"]
    pandas = frame.to_pandas().dropna(subset=["y2"])
    pandas["lp"] = np.log(pandas["pos"])
    theirs = pf.feols("y2 ~ lp + x | firm", pandas)
    np.testing.assert_allclose(fit.coef, theirs.coef().to_numpy(), rtol=REL)


def test_tidy_and_summary(data):
    fit = feols("y ~ x + z | firm + year", data, vcov={"CRV1": "region"})
    table = fit.tidy()
    assert table.columns == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
        "inference",
    ]
    assert table["inference"].to_list() == [f"t({fit.df_t})"] * 2
    text = fit.summary()
    assert "firm (" in text and "CRV1" in text and "singletons dropped" in text


@pytest.mark.parametrize(
    ("formula", "kwargs", "message"),
    [
        ("y ~ x + salary | firm", {}, "unknown column(s) 'salary'"),
        ("y ~ x + | firm", {}, "empty term"),
        ("y x + z", {}, "exactly one '~'"),
        ("y ~ log(x", {}, "unmatched"),
        ("y ~ frobnicate(x)", {}, "unknown function"),
        ("y ~ x:z", {}, "interactions are not supported"),
        ("y ~ x + region | region", {}, "region is absorbed by the fixed effects"),
        ("y ~ x + x2 | firm", {}, "collinear"),
        ("y ~ x", {"vcov": "HC3"}, "vcov must be"),
        ("y ~ x", {"vcov": {"CRV1": "nowhere"}}, "unknown column(s) 'nowhere'"),
        ("empty ~ x | firm", {}, "no complete rows"),
    ],
)
def test_bad_input_is_named(data, formula, kwargs, message):
    frame = data.with_columns(x2=pl.col("x") * 2, empty=pl.lit(None, pl.Float64))
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        feols(formula, frame, **kwargs)


def test_fewer_observations_than_parameters():
    frame = pl.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [1.0, 3.0, 2.0, 5.0], "g": [1, 1, 2, 2]})
    with pytest.raises(InputError, match="too few"):
        feols("y ~ x | g", frame.head(3), fixef_rm="none")
    assert feols("y ~ x | g", frame).n_obs == 4


def test_accepts_lazy_frames_and_pandas_is_not_needed(data):
    lazy = feols("y ~ x + z | firm", data.lazy())
    eager = feols("y ~ x + z | firm", data)
    np.testing.assert_array_equal(lazy.coef, eager.coef)
    assert isinstance(pd.__version__, str)  # pandas only here, for the peers


def test_grouped_ols_equals_feols_per_group(data):
    from olmstats.estimation.grouped import grouped_ols

    frame = data.with_columns(group=(pl.col("region") % 4).cast(pl.String))
    fits = grouped_ols(frame, group="group", absorb="year", outcome="y", regressors=["x", "z"])
    for label in ("0", "1", "2", "3"):
        reference = feols(
            "y ~ x + z | year", frame.filter(pl.col("group") == label), vcov="hetero"
        ).tidy()
        mine = fits.filter(pl.col("group") == label)
        np.testing.assert_allclose(mine["estimate"], reference["estimate"], rtol=REL)
        np.testing.assert_allclose(mine["std_error"], reference["std_error"], rtol=REL)
        np.testing.assert_allclose(mine["conf_high"], reference["conf_high"], rtol=REL)
