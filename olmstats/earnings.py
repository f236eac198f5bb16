"""What is an online hourly rate worth where the worker lives? Relative-earnings indices.

For each country, from the median asking rate m (US$/hour) of its profiles with a rate, with
H annual hours (default 2,000) and reference data for the reference year (default: the
snapshot year, or the last year GDP per capita is published for if earlier):

- **nominal** = m·H ÷ GDP per capita (current US$, NY.GDP.PCAP.CD);
- **ppp** = m·(LCU per US$)/(LCU per international $)·H ÷ GDP per capita (PPP, current
  international $): US$ earned, spent at local prices (PA.NUS.FCRF, PA.NUS.PPP,
  NY.GDP.PCAP.PP.CD);
- **local** = monthly equivalent m·H/12 converted to 2021 international $ (2021 exchange rate
  and PPP factor) ÷ ILO mean monthly earnings of employees (2021 PPP $). Inflation since 2021 is
  not removed, so the ratio is overstated by roughly US$ inflation since 2021;
- **platform** = 100·m ÷ platform-wide median.

Intervals: each country index is its median times a constant, so it takes the median's 95%
distribution-free order-statistic interval times that constant - the same interval as the median
in ``olm summary`` (:func:`olmstats.order_statistics.grouped_order_statistics`): one median, one
interval. Regional and income-group aggregates are weighted means over countries and keep a
percentile bootstrap (``draws`` resamples of profiles within country, 2,000 by default, the seed
stated). The reference values are taken as known. **Adjusted** versions replace m by the rate
the country's profiles would ask at the platform-wide occupation and tenure mix: country effects
δ from ``log_rate ~ country + occupation + tenure band`` (OLS, HC1), m̃ = platform median ·
exp(δ − δ̄) with δ̄ the profile-weighted mean effect; their intervals are model-based (normal on
the log scale, including δ̄'s uncertainty), and aggregates use draws from the estimates'
distribution. Regions and income groups (World Bank FY2026) are profile-weighted means over
their countries with a value. Cells under ``min_count`` profiles with a rate are null; a country
without a reference value is named in a warning and left null in that column only.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from olmstats import countries as country_table
from olmstats import reference
from olmstats.errors import InputError
from olmstats.estimation.cells import categorical_ols
from olmstats.inputs import check_min_count, check_positive, check_window, profiles_input
from olmstats.order_statistics import bootstrap_medians, grouped_order_statistics
from olmstats.progression import TENURE_BANDS
from olmstats.summary import materialise_latest, snapshot_window

INDICES = ("nominal", "ppp", "local", "platform")
DEFAULT_HOURS = 2000.0
DEFAULT_DRAWS = 2000
DEFAULT_SEED = 20261125
ILO_PRICE_YEAR = 2021


@dataclass(frozen=True)
class EarningsTables:
    """Per-country indices, their regional and income-group aggregates, and the notes that
    define them (reference years, fallbacks, missing data)."""

    countries: pl.DataFrame
    regions: pl.DataFrame
    income_groups: pl.DataFrame
    year: int
    hours: float
    notes: list[str] = field(default_factory=list)


def _percentiles(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows stay NaN
        return np.nanpercentile(draws, 2.5, axis=-1), np.nanpercentile(draws, 97.5, axis=-1)


def _reference_factors(
    codes: list[str], year: int, hours: float, max_lag: int
) -> tuple[pl.DataFrame, list[str]]:
    """Per country: the multiplier turning a US$ hourly rate into each index, with the
    reference values and years used. Warnings are collected (and re-raised by the caller)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", reference.ReferenceDataWarning)

        def series(
            name: str, at: int, lag: int = max_lag, label: str | None = None
        ) -> pl.DataFrame:
            label = label or name
            return reference.for_year(name, at, max_lag=lag, countries=codes).select(
                "country", pl.col("value").alias(label), pl.col("year_used").alias(f"{label}_year")
            )

        gdp = series("gdp_pc_usd", year)
        gdp_ppp = series("gdp_pc_ppp", year)
        fx = series("fx_lcu_per_usd", year)
        ppp = series("ppp_factor", year)
        fx21 = series("fx_lcu_per_usd", ILO_PRICE_YEAR, 0, label="fx_2021")
        ppp21 = series("ppp_factor", ILO_PRICE_YEAR, 0, label="ppp_2021")
        ilo = reference.ilo_monthly_earnings(year, countries=codes).select(
            "country", ilo_monthly_2021ppp="value", ilo_year="year_used", ilo_flag="flag"
        )
    frame = gdp
    for other in (gdp_ppp, fx, ppp, fx21, ppp21, ilo):
        frame = frame.join(other, on="country", how="left")
    frame = frame.with_columns(
        factor_nominal=hours / pl.col("gdp_pc_usd"),
        factor_ppp=pl.col("fx_lcu_per_usd") / pl.col("ppp_factor") * hours / pl.col("gdp_pc_ppp"),
        factor_local=(hours / 12)
        * pl.col("fx_2021")
        / pl.col("ppp_2021")
        / pl.col("ilo_monthly_2021ppp"),
    )
    messages = [
        str(w.message) for w in caught if issubclass(w.category, reference.ReferenceDataWarning)
    ]
    return frame, messages


def _adjusted_effects(
    people: pl.DataFrame, counts: dict[str, int], min_count: int
) -> tuple[dict[str, float], np.ndarray, list[str]]:
    """Country effects relative to the profile-weighted mean, and their covariance."""
    rated = people.drop_nulls("log_rate")
    codes = sorted(c for c in rated["country"].unique().to_list() if counts.get(c, 0) > 0)
    base = max(codes, key=lambda c: counts[c])
    fit = categorical_ols(
        rated, "log_rate", ["country", "occupation", "tenure_band"], reference={"country": base}
    )
    index = {
        name.removeprefix("country::"): i
        for i, name in enumerate(fit.names)
        if name.startswith("country::")
    }
    k = len(codes)
    delta = np.zeros(k)  # the base country's effect is 0 by construction, as is its covariance
    cov = np.zeros((k, k))
    rows = [i for i, c in enumerate(codes) if c in index]
    terms = [index[codes[i]] for i in rows]
    delta[rows] = fit.coef[terms]
    cov[np.ix_(rows, rows)] = fit.vcov[np.ix_(terms, terms)]
    weights = np.array([counts[c] for c in codes], dtype=np.float64)
    weights /= weights.sum()
    contrast = np.eye(k) - np.outer(np.ones(k), weights)  # δ_c − Σ w δ
    return dict(zip(codes, contrast @ delta, strict=True)), contrast @ cov @ contrast.T, codes


def relative_earnings(
    profiles: pl.LazyFrame,
    *,
    year: int | None = None,
    hours: float = DEFAULT_HOURS,
    min_count: int = 10,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    max_lag: int = reference.DEFAULT_MAX_LAG,
    since: date | None = None,
    until: date | None = None,
    adjusted: bool = True,
) -> EarningsTables:
    """Relative-earnings indices per country, region and income group (module docstring)."""
    profiles = profiles_input(profiles, "registration_date")
    check_positive(hours, "hours")
    check_min_count(min_count)
    check_window(since, until)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 20:
        raise InputError(f"draws must be a whole number of at least 20, got {draws!r}")
    people = materialise_latest(
        snapshot_window(profiles, since, until),
        "profile_id",
        [
            "country",
            "hourly_rate_usd",
            "occupation",
            "snapshot_date",
            "registration_date",
            "run_id",
        ],
    )
    if people["hourly_rate_usd"].null_count() == people.height:
        raise InputError("no profile has an hourly rate: no earnings index can be computed")
    if year is None:  # the snapshot year, or the last year GDP per capita is published for
        year = min(int(people["snapshot_date"].max().year), reference.latest_year("gdp_pc_usd"))
    tenure = (pl.col("snapshot_date") - pl.col("registration_date")).dt.total_days() / 365.25
    band = pl.sum_horizontal([(tenure >= edge).cast(pl.Int8) for edge in TENURE_BANDS])
    people = people.with_columns(
        log_rate=pl.when(pl.col("hourly_rate_usd") > 0).then(pl.col("hourly_rate_usd").log()),
        tenure_band=pl.when(tenure >= 0).then(band),  # 0..4: the bands of progression
    )
    iso = list(country_table.countries())
    keys, sizes, point, boot = bootstrap_medians(
        people, "country", "hourly_rate_usd", draws=draws, seed=seed, keys=iso
    )
    order = sorted(np.flatnonzero(sizes), key=lambda i: (-sizes[i], keys[int(i)]))
    stats = pl.DataFrame({"country": keys.gather(order), "n": sizes[order], "q0.5": point[order]})
    codes = stats["country"].to_list()
    draws_by_country = dict(zip(codes, boot[order], strict=True))
    platform_median = float(people["hourly_rate_usd"].median())
    factors, messages = _reference_factors(codes, year, hours, max_lag)
    for message in messages:
        warnings.warn(message, reference.ReferenceDataWarning, stacklevel=2)
    table = (
        stats.select("country", profiles_with_rate="n", median_rate_usd="q0.5")
        .join(factors, on="country", how="left", maintain_order="left")
        .with_columns(factor_platform=100.0 / platform_median)
    )
    n = table["profiles_with_rate"].to_numpy()
    ok = n >= min_count
    boot_matrix = np.vstack([draws_by_country[c] for c in table["country"]])
    # the median's interval as the country table gives it (order statistics), not the bootstrap
    order_ci = grouped_order_statistics(people, "country", "hourly_rate_usd", keys=iso)
    ci = table.select("country").join(order_ci, on="country", how="left", maintain_order="left")
    median_low, median_high = ci["ci_low"].to_numpy(), ci["ci_high"].to_numpy()
    columns: dict[str, np.ndarray] = {"median_low": median_low, "median_high": median_high}
    index_draws: dict[str, np.ndarray] = {}
    for name in INDICES:
        factor = table[f"factor_{name}"].fill_null(np.nan).to_numpy()
        point = table["median_rate_usd"].to_numpy() * factor
        columns[name] = point
        columns[f"{name}_low"] = median_low * factor
        columns[f"{name}_high"] = median_high * factor
        index_draws[name] = boot_matrix * factor[:, None]
    counts = dict(zip(table["country"], n.tolist(), strict=True))
    adjusted_draws: dict[str, np.ndarray] = {}
    unadjustable = adjusted and people["tenure_band"].is_null().all()
    if unadjustable:  # no registration dates (a directory that shows none): nothing to hold fixed
        nothing = np.full(len(table), np.nan)
        for name in ("adj_median_rate_usd", "adj_median_low", "adj_median_high"):
            columns[name] = nothing
        for name in INDICES:
            for suffix in ("", "_low", "_high"):
                columns[f"adj_{name}{suffix}"] = nothing
            adjusted_draws[name] = np.full((len(table), draws), np.nan)
        messages = [
            *messages,
            "Composition-adjusted indices (adj_*) are empty: these profiles have no "
            "registration dates, so tenure cannot be held fixed.",
        ]
    elif adjusted:
        effects, cov, order = _adjusted_effects(people, counts, min_count)
        position = {c: i for i, c in enumerate(order)}
        idx = [position[c] for c in table["country"]]
        centre = np.array([effects[c] for c in table["country"]])
        se = np.sqrt(np.maximum(np.diag(cov)[idx], 0.0))
        base = platform_median * np.exp(centre)
        columns["adj_median_rate_usd"] = base
        columns["adj_median_low"] = platform_median * np.exp(centre - 1.959963984540054 * se)
        columns["adj_median_high"] = platform_median * np.exp(centre + 1.959963984540054 * se)
        rng = np.random.default_rng(seed + 1)
        sampled = rng.multivariate_normal(
            np.array([effects[c] for c in order]), cov, size=draws, method="eigh"
        ).T[idx]
        for name in INDICES:
            factor = table[f"factor_{name}"].fill_null(np.nan).to_numpy()
            columns[f"adj_{name}"] = base * factor
            columns[f"adj_{name}_low"] = columns["adj_median_low"] * factor
            columns[f"adj_{name}_high"] = columns["adj_median_high"] * factor
            adjusted_draws[name] = platform_median * np.exp(sampled) * factor[:, None]
    for name, values in columns.items():
        values = np.where(ok, values, np.nan)
        table = table.with_columns(pl.Series(name, values).fill_nan(None))
    table = table.with_columns(
        median_rate_usd=pl.when(pl.Series(ok)).then(pl.col("median_rate_usd")),
        reference_year=pl.lit(year),
        hours=pl.lit(hours),
    )
    groups = reference.classification().select("country", "region", "income_group")
    names = country_table.frame().select("country", "country_name")
    table = table.join(names, on="country", how="left", maintain_order="left").join(
        groups, on="country", how="left", maintain_order="left"
    )
    weights = n.astype(np.float64)
    keep = table["median_rate_usd"].is_not_null().to_numpy()
    all_draws = {**index_draws, **{f"adj_{k}": v for k, v in adjusted_draws.items()}}
    regions = _aggregate(table, "region", list(all_draws), all_draws, weights, keep)
    incomes = _aggregate(table, "income_group", list(all_draws), all_draws, weights, keep)
    notes = _definitions(year, hours, draws, seed, min_count, platform_median) + messages
    return EarningsTables(
        table.select(_column_order(table.columns)), regions, incomes, year, hours, notes
    )


def _aggregate(
    table: pl.DataFrame,
    group: str,
    columns: Sequence[str],
    draws: dict[str, np.ndarray],
    weights: np.ndarray,
    keep: np.ndarray,
) -> pl.DataFrame:
    """Profile-weighted means of each index over a group's countries that have a value, with
    percentile intervals from the same weighted means of the draws."""
    labels = table[group].to_list()
    out = []
    for label in sorted({g for g in labels if g is not None}):
        member = np.array([g == label for g in labels]) & keep
        row: dict[str, object] = {group: label}
        for name in columns:
            values = table[name].to_numpy().astype(np.float64)
            usable = member & ~np.isnan(values)
            row[f"{name}_countries"] = int(usable.sum())
            if not usable.any():
                row[name] = row[f"{name}_low"] = row[f"{name}_high"] = None
                continue
            w = weights[usable] / weights[usable].sum()
            row[name] = float(w @ values[usable])
            low, high = _percentiles(w @ draws[name][usable])
            row[f"{name}_low"], row[f"{name}_high"] = float(low), float(high)
        row["profiles_with_rate"] = int(weights[member].sum())
        out.append(row)
    return (
        pl.DataFrame(out).sort("profiles_with_rate", descending=True)
        if out
        else (pl.DataFrame(schema={group: pl.String}))
    )


def _column_order(columns: list[str]) -> list[str]:
    first = [
        "country",
        "country_name",
        "region",
        "income_group",
        "profiles_with_rate",
        "median_rate_usd",
        "median_low",
        "median_high",
    ]
    indices = [c for name in INDICES for c in (name, f"{name}_low", f"{name}_high")]
    adjusted = [c for c in columns if c.startswith("adj_")]
    rest = [
        c for c in columns if c not in first + indices + adjusted and not c.startswith("factor_")
    ]
    return [c for c in first + indices + adjusted + rest if c in columns]


def _definitions(
    year: int, hours: float, draws: int, seed: int, min_count: int, platform_median: float
) -> list[str]:
    return [
        f"Reference year {year} (latest earlier year where missing, named below); "
        f"{hours:,.0f} hours a year.",
        "nominal: median rate × hours ÷ GDP per capita (current US$); ppp: the same at local "
        "prices (× LCU per US$ ÷ LCU per international $) ÷ GDP per capita (PPP); local: monthly "
        "equivalent in 2021 international $ ÷ ILO mean monthly earnings of employees (2021 PPP $; "
        "inflation since 2021 not removed); platform: 100 × country median ÷ platform median "
        f"(${platform_median:,.2f}).",
        "95% intervals of a country: the median's order-statistic interval (as in the country "
        "summary) times the index's constant; of a region or income group: percentile "
        f"bootstrap, {draws:,} draws resampling profiles within country (seed {seed}); "
        "reference values taken as known. adj_*: at the platform-wide occupation and tenure mix "
        "(log_rate ~ country + occupation + tenure band, HC1); model-based intervals.",
        f"Cells with fewer than {min_count} profiles with a rate are suppressed; regions and "
        "income groups (World Bank FY2026) are profile-weighted means over their countries with "
        "a value.",
    ]
