"""The income gradient of asking rates: how much higher the median rate is in richer countries.

Across countries with at least ``min_count`` profiles with a rate, olmstats fits

    log(median asking rate, US$/hour) = a + b · log(GDP per capita, current US$) + u

by OLS, one observation per country (unweighted: a country is a unit, however many of its
profiles were crawled). GDP per capita is WDI NY.GDP.PCAP.CD of the reference year (default:
:func:`olmstats.earnings.default_reference_year` of the latest snapshot, 2024 with the shipped
data; a country without that year takes its latest earlier year within ``max_lag``, named in a
warning and a column). The slope b is the cross-country **elasticity**: a country with 1% higher
GDP per capita has a median asking rate about b% higher. It is a description of the cross-section,
not a causal effect: richer countries' profiles also differ in occupation, experience and
platform.

Uncertainty, three ways (``estimates`` has one row each):

- ``ols_hc1`` - **the interval to use**: HC1 (White's heteroskedasticity-consistent covariance
  with the n/(n−k) factor) standard error of b and a t-interval with n − 2 degrees of freedom.
  Each median is measured with error, but the error is in the dependent variable: it does not
  bias b, it adds (heteroskedastic) noise to u, which HC1 counts. In simulated markets with a
  known elasticity its 95% interval covers the truth about 95% of the time
  (``tests/test_gradient.py``).
- ``two_step_bootstrap`` (``draws`` resamples, ``seed`` stated): countries are resampled with
  replacement, then the profiles of each drawn country, and the medians recomputed
  (:func:`olmstats.order_statistics.bootstrap_medians`); percentile interval of the OLS slopes.
  Conservative: the medians' sampling error is already part of the country scatter, and
  resampling profiles adds it a second time (it covers more than 95% in the same simulations).
- ``median_noise_bootstrap``: the same countries every time, only their profiles resampled: the
  part of the slope's uncertainty that comes from the medians' sampling error alone (what
  crawling the same countries again would change), not an interval for the gradient itself.

Why not weight countries by 1 / var(log median)? Such weights treat the median's sampling error
as the only error, ignore the real scatter between countries, and hand most of the weight to
the largest country. Instead two shares say how much the medians' noise matters: the mean of
var(log median) - from the width of each median's order-statistic 95% interval,
((log hi − log lo) / (2 · 1.96))² - divided by the variance of the log medians (``noise_share``)
and by the residual variance of the fit (``residual_noise_share``).

Example
-------
>>> import olmstats
>>> result = olmstats.rate_income_gradient(olmstats.scan_profiles("store"))  # doctest: +SKIP
>>> result.estimates  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl
from scipy import stats

from olmstats import countries as country_table
from olmstats import reference
from olmstats.errors import InputError
from olmstats.inputs import check_bootstrap, check_min_count, check_window, profiles_input
from olmstats.order_statistics import bootstrap_medians, grouped_order_statistics
from olmstats.summary import materialise_latest, snapshot_window

DEFAULT_MIN_COUNT = 30
DEFAULT_DRAWS = 2000
DEFAULT_SEED = 20261203
Z95 = 1.959963984540054
MIN_COUNTRIES = 3


@dataclass(frozen=True)
class GradientResult:
    """The fitted gradient and what it rests on.

    ``estimates``: one row per way of measuring uncertainty (``ols_hc1``,
    ``two_step_bootstrap``) with the slope (elasticity), its standard error and 95% interval,
    the intercept, R², the number of countries and profiles behind it. ``countries``: the country
    table the line is fitted to (median, its interval, GDP per capita and its year, logs, fitted
    value and residual). ``dropped``: countries left out and why (too few profiles with a rate,
    no GDP per capita, a median of zero). ``notes``: definitions and caveats."""

    estimates: pl.DataFrame
    countries: pl.DataFrame
    dropped: pl.DataFrame
    year: int
    notes: list[str] = field(default_factory=list)


def ols_hc1(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """OLS of *y* on a constant and *x*, with HC1 standard errors.

    Returns intercept, slope, their HC1 standard errors, R², the number of observations and the
    residual degrees of freedom (n − 2). HC1 = n/(n − k) · (X'X)⁻¹ X' diag(e²) X (X'X)⁻¹ with
    k = 2 (MacKinnon & White 1985), the covariance statsmodels calls ``HC1``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.size
    design = np.column_stack([np.ones(n), x])
    bread = np.linalg.inv(design.T @ design)
    coef = bread @ design.T @ y
    residual = y - design @ coef
    meat = (design * residual[:, None] ** 2).T @ design
    cov = n / (n - 2) * bread @ meat @ bread
    total = float(((y - y.mean()) ** 2).sum())
    return {
        "intercept": float(coef[0]),
        "slope": float(coef[1]),
        "intercept_se": float(np.sqrt(cov[0, 0])),
        "slope_se": float(np.sqrt(cov[1, 1])),
        "r_squared": 1.0 - float((residual**2).sum()) / total if total > 0 else float("nan"),
        "n": float(n),
        "df_resid": float(n - 2),
    }


def _slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS slopes of each row of *y* on the same row of *x* (NaN where x does not vary)."""
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    denominator = (xc**2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (xc * yc).sum(axis=1) / denominator, np.nan)


def _too_few(codes: list[str], min_count: int) -> str:
    found = f"found {len(codes)}" + (f" ({', '.join(codes)})" if codes else "")
    return (
        f"a gradient needs at least {MIN_COUNTRIES} countries with {min_count}+ profiles with a "
        f"rate and GDP per capita; {found}"
    )


def _bootstrap_cells(slopes: np.ndarray) -> dict[str, float | int | None]:
    """Standard error, 2.5% and 97.5% percentiles and number of usable bootstrap slopes."""
    usable = slopes[np.isfinite(slopes)]
    return {
        "std_error": float(np.std(usable, ddof=1)) if usable.size > 1 else None,
        "conf_low": float(np.quantile(usable, 0.025)) if usable.size else None,
        "conf_high": float(np.quantile(usable, 0.975)) if usable.size else None,
        "draws": int(usable.size),
    }


def rate_income_gradient(
    profiles: pl.LazyFrame | pl.DataFrame,
    *,
    year: int | None = None,
    min_count: int = DEFAULT_MIN_COUNT,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    max_lag: int = reference.DEFAULT_MAX_LAG,
    since: date | None = None,
    until: date | None = None,
) -> GradientResult:
    """Cross-country elasticity of the median asking rate with respect to GDP per capita.

    Parameters
    ----------
    profiles
        Profiles as :func:`olmstats.scan_profiles` returns them; each profile counts once, at its
        latest observation within *since*..*until* (snapshot dates, inclusive).
    year
        Reference year of GDP per capita (WDI NY.GDP.PCAP.CD, current US$); default
        :func:`olmstats.earnings.default_reference_year` of the latest snapshot year.
    min_count
        Countries need at least this many profiles with a rate (default 30).
    draws, seed
        Resamples of the two-step bootstrap (at least 100) and its seed.
    max_lag
        How many years before *year* a country's GDP per capita may come from.

    Returns
    -------
    GradientResult
        ``estimates`` (slope = elasticity, unitless; HC1 and bootstrap rows), ``countries``,
        ``dropped``, ``year``, ``notes``.
    """
    from olmstats.earnings import default_reference_year

    profiles = profiles_input(profiles)
    check_min_count(min_count)
    check_window(since, until)
    check_bootstrap(draws, seed)
    people = materialise_latest(
        snapshot_window(profiles, since, until),
        "profile_id",
        ["platform", "country", "hourly_rate_usd", "snapshot_date", "run_id"],
    )
    rated = people.filter(pl.col("hourly_rate_usd").is_not_null())
    if rated.is_empty():
        raise InputError("no profile has an hourly rate: no gradient can be fitted")
    snapshot_year = int(people["snapshot_date"].max().year)
    if year is None:
        year = default_reference_year(snapshot_year)
    iso = list(country_table.countries())
    medians = grouped_order_statistics(rated, "country", "hourly_rate_usd", (0.5,), keys=iso)
    medians = medians.filter(pl.col("n") > 0).select(
        "country",
        profiles_with_rate="n",
        median_rate_usd="q0.5",
        median_low="ci_low",
        median_high="ci_high",
    )
    large = medians.filter(pl.col("profiles_with_rate") >= min_count)
    dropped = [
        {"country": c, "profiles_with_rate": n, "reason": f"fewer than {min_count} with a rate"}
        for c, n in medians.filter(pl.col("profiles_with_rate") < min_count)
        .select("country", "profiles_with_rate")
        .iter_rows()
    ]
    if large.height < MIN_COUNTRIES:
        raise InputError(_too_few(large["country"].to_list(), min_count))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", reference.ReferenceDataWarning)
        gdp = reference.for_year(
            "gdp_pc_usd", year, max_lag=max_lag, countries=large["country"].to_list()
        )
    messages = [
        str(w.message) for w in caught if issubclass(w.category, reference.ReferenceDataWarning)
    ]
    for message in messages:
        warnings.warn(message, reference.ReferenceDataWarning, stacklevel=2)
    table = large.join(
        gdp.select("country", gdp_pc_usd="value", gdp_year="year_used"), on="country", how="left"
    )
    for country, n in (
        table.filter(pl.col("gdp_pc_usd").is_null())
        .select("country", "profiles_with_rate")
        .iter_rows()
    ):
        dropped.append(
            {"country": country, "profiles_with_rate": n, "reason": f"no GDP per capita {year}"}
        )
    for country, n in (
        table.filter(pl.col("gdp_pc_usd").is_not_null() & ~(pl.col("median_rate_usd") > 0))
        .select("country", "profiles_with_rate")
        .iter_rows()
    ):
        dropped.append({"country": country, "profiles_with_rate": n, "reason": "median of zero"})
    table = table.filter(pl.col("gdp_pc_usd").is_not_null() & (pl.col("median_rate_usd") > 0))
    dropped_frame = pl.DataFrame(
        dropped, schema={"country": pl.String, "profiles_with_rate": pl.Int64, "reason": pl.String}
    ).sort("reason", "profiles_with_rate", "country", descending=[False, True, False])
    if table.height < MIN_COUNTRIES:
        raise InputError(_too_few(table["country"].to_list(), min_count))
    table = table.sort("country").with_columns(
        log_median=pl.col("median_rate_usd").log(),
        log_gdp_pc=pl.col("gdp_pc_usd").log(),
        var_log_median=pl.when(pl.col("median_low") > 0).then(
            ((pl.col("median_high").log() - pl.col("median_low").log()) / (2 * Z95)) ** 2
        ),
    )
    x = table["log_gdp_pc"].to_numpy()
    y = table["log_median"].to_numpy()
    fit = ols_hc1(x, y)
    table = table.with_columns(
        fitted=fit["intercept"] + fit["slope"] * pl.col("log_gdp_pc"),
    ).with_columns(residual=pl.col("log_median") - pl.col("fitted"))
    t95 = float(stats.t.ppf(0.975, fit["df_resid"]))
    variance = float(np.var(y, ddof=1))
    noise = table["var_log_median"].drop_nulls()
    noise_share = float(noise.mean()) / variance if variance > 0 and noise.len() else None
    residual_variance = float((table["residual"] ** 2).sum()) / fit["df_resid"]
    residual_noise_share = (
        float(noise.mean()) / residual_variance if residual_variance > 0 and noise.len() else None
    )

    codes = table["country"].to_list()
    keys, _sizes, _point, boot = bootstrap_medians(
        rated.filter(pl.col("country").is_in(codes)),
        "country",
        "hourly_rate_usd",
        draws=draws,
        seed=seed,
        keys=codes,
    )
    order = {c: i for i, c in enumerate(keys.to_list())}
    boot = boot[[order[c] for c in codes]]  # countries × draws, in the table's order
    rng = np.random.default_rng(seed + 1)
    m = len(codes)
    picks = rng.integers(0, m, size=(draws, m))
    with np.errstate(divide="ignore", invalid="ignore"):
        boot_y = np.log(boot[picks, np.arange(draws)[:, None]])
    two_step = _slopes(x[picks], boot_y)
    with np.errstate(divide="ignore", invalid="ignore"):
        fixed = _slopes(np.broadcast_to(x, (draws, m)), np.log(boot.T))  # countries held fixed
    profiles_used = int(table["profiles_with_rate"].sum())
    common = {
        "slope": fit["slope"],
        "intercept": fit["intercept"],
        "r_squared": fit["r_squared"],
        "countries": m,
        "profiles": profiles_used,
        "reference_year": year,
        "noise_share": noise_share,
        "residual_noise_share": residual_noise_share,
    }
    estimates = pl.DataFrame(
        [
            {
                "estimator": "ols_hc1",
                **common,
                "std_error": fit["slope_se"],
                "conf_low": fit["slope"] - t95 * fit["slope_se"],
                "conf_high": fit["slope"] + t95 * fit["slope_se"],
                "draws": None,
            },
            {"estimator": "two_step_bootstrap", **common, **_bootstrap_cells(two_step)},
            {"estimator": "median_noise_bootstrap", **common, **_bootstrap_cells(fixed)},
        ],
        schema={
            "estimator": pl.String,
            "slope": pl.Float64,
            "intercept": pl.Float64,
            "r_squared": pl.Float64,
            "countries": pl.Int64,
            "profiles": pl.Int64,
            "reference_year": pl.Int64,
            "noise_share": pl.Float64,
            "residual_noise_share": pl.Float64,
            "std_error": pl.Float64,
            "conf_low": pl.Float64,
            "conf_high": pl.Float64,
            "draws": pl.Int64,
        },
    ).select(
        "estimator",
        "slope",
        "std_error",
        "conf_low",
        "conf_high",
        "intercept",
        "r_squared",
        "countries",
        "profiles",
        "noise_share",
        "residual_noise_share",
        "reference_year",
        "draws",
    )
    names = country_table.frame().select("country", "country_name")
    countries = table.join(names, on="country", how="left").select(
        "country",
        "country_name",
        "profiles_with_rate",
        "median_rate_usd",
        "median_low",
        "median_high",
        "gdp_pc_usd",
        "gdp_year",
        "log_median",
        "log_gdp_pc",
        "var_log_median",
        "fitted",
        "residual",
    )
    notes = _notes(
        fit,
        countries,
        dropped_frame,
        year,
        snapshot_year,
        min_count,
        draws,
        seed,
        (noise_share, residual_noise_share),
        messages,
    )
    return GradientResult(estimates, countries, dropped_frame, year, notes)


def _share_text(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _notes(
    fit: dict[str, float],
    countries: pl.DataFrame,
    dropped: pl.DataFrame,
    year: int,
    snapshot_year: int,
    min_count: int,
    draws: int,
    seed: int,
    shares: tuple[float | None, float | None],
    messages: list[str],
) -> list[str]:
    no_gdp = dropped.filter(pl.col("reason").str.starts_with("no GDP"))["country"].to_list()
    small = dropped.filter(pl.col("reason").str.starts_with("fewer"))
    lag = (
        f" Rates are listed in {snapshot_year}, GDP per capita is of {year}."
        if snapshot_year > year
        else ""
    )
    notes = [
        "Income gradient: OLS across countries of log(median asking rate, US$/hour) on "
        f"log(GDP per capita, current US$, WDI NY.GDP.PCAP.CD, {year}); one observation per "
        f"country with {min_count}+ profiles with a rate, unweighted. The slope is the "
        "elasticity: +1% GDP per capita goes with about slope% higher median rates. "
        f"A cross-country description, not a causal effect.{lag}",
        f"ols_hc1 (the interval to use): HC1 standard error, t-interval with "
        f"{int(fit['df_resid'])} degrees of freedom. two_step_bootstrap: {draws:,} resamples "
        f"(seed {seed}) of countries, then of profiles within each drawn country (medians "
        "recomputed), percentile interval - conservative, it counts the medians' sampling error "
        "twice. median_noise_bootstrap: the same countries, only their profiles resampled - "
        "the slope's uncertainty from the medians' sampling error alone.",
        "The medians' sampling error is in the dependent variable: noise, not bias. Mean "
        "var(log median) (from each median's order-statistic 95% CI, ((log hi − log lo)/"
        f"(2·1.96))²) is {_share_text(shares[0])} of the variance of the log medians and "
        f"{_share_text(shares[1])} of the residual variance.",
        f"Countries used ({countries.height}): {', '.join(countries['country'].to_list())}.",
    ]
    if no_gdp:
        notes.append(f"Left out, no GDP per capita for {year}: {', '.join(no_gdp)}.")
    if small.height:
        notes.append(
            f"Left out, fewer than {min_count} profiles with a rate: {small.height} countries "
            f"({int(small['profiles_with_rate'].sum()):,} profiles with a rate)."
        )
    zero = dropped.filter(pl.col("reason") == "median of zero")["country"].to_list()
    if zero:
        notes.append(f"Left out, median rate of zero (no logarithm): {', '.join(zero)}.")
    notes.append(
        "Compare: Braesemann et al. (2022) regress country mean project wages (inverse "
        "hyperbolic sine) on GDP per capita in levels with six other country covariates and "
        "year effects (Braesemann/remotework, code/Fig2.R): a semi-elasticity of realised "
        "wages with controls, not this bivariate elasticity of asking rates."
    )
    return notes + messages
