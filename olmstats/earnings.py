"""What is an online hourly rate worth where the worker lives? Relative-earnings indices.

For each country, from the median asking rate m (US$/hour) of its profiles with a rate and H
annual hours (default 2,000). **One reference year T** serves the whole table: the snapshot
year, or the last year every series below is published for if earlier (2024 with the shipped
data: the CPI and the private-consumption PPP factors end there), or the year asked for. Each
index takes **all its series from one year** per country - T, or the latest earlier year within
``max_lag`` where every one of them is published (named in a warning and a ``*_year`` column):

- **nominal** = m·H ÷ GDP per capita (current US$, NY.GDP.PCAP.CD);
- **intl_rate** = m × (LCU per US$) ÷ (LCU per international $, private consumption): the
  rate in international dollars an hour, what it buys at local consumer prices, comparable
  across countries (PA.NUS.FCRF, PA.NUS.PRVT.PP of one year). It replaces an earlier "ppp
  index" (m·H converted to international $ ÷ GDP per capita in international $), which is
  algebraically the nominal index - the conversions cancel - and differed only by mixing years;
- **local** = the monthly equivalent m·H/12 in local currency of the comparison year t (× the
  official exchange rate of t) ÷ mean monthly earnings of employees in local currency of t: the
  ILO value of its latest year y ≤ t (ILOSTAT's "2021 PPP $" are local currency of y ÷ the
  private-consumption PPP factor of y, so × PRVT(y) gives local currency back), moved from y to
  t with the CPI, CPI(t)/CPI(y). Both years are columns (``local_year``, ``ilo_year``);
- **platform** = 100·m ÷ platform-wide median.

The rate is the one listed at the snapshot; the reference values are those of T, so when T is
earlier than the snapshot, inflation and exchange-rate moves since T are not in the index (said
in the notes). Intervals: each country index is its median times a constant, so it takes the
median's 95% distribution-free order-statistic interval times that constant - the same interval
as the median in ``olm summary`` (:func:`olmstats.order_statistics.grouped_order_statistics`):
one median, one interval. The reference values are taken as known. **Adjusted** versions
replace m by the rate the country's profiles would ask at the platform-wide occupation and
tenure mix: country effects δ from ``log_rate ~ country + occupation + tenure band`` (OLS, HC1),
m̃ = platform median · exp(δ − δ̄) with δ̄ the profile-weighted mean effect; their intervals are
model-based (normal on the log scale, including δ̄'s uncertainty). **Regions and income groups**
(World Bank FY2026): the pooled median of the individual ratios (each profile's rate times its
country's constant) over the group's unsuppressed countries with a value, with its
order-statistic interval and the countries covered; with ``group_weights`` (labour force, or a
table of one's own) the median of the weighted mixture of the countries' distributions, with a
bootstrap stratified by country (``draws``, 2,000 by default, the seed stated). Cells under
``min_count`` profiles with a rate are null; a country without a reference value is named in a
warning and left null in that column only.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from olmstats import countries as country_table
from olmstats import reference
from olmstats.errors import InputError
from olmstats.estimation.cells import categorical_ols
from olmstats.inputs import (
    check_min_count,
    check_positive,
    check_window,
    checked_frame,
    profiles_input,
)
from olmstats.order_statistics import counted_median_interval, grouped_order_statistics
from olmstats.progression import TENURE_BANDS
from olmstats.summary import materialise_latest, snapshot_window
from olmstats.weights import check_weights, mixture_statistics, weighted_group_statistics

INDICES = ("nominal", "intl_rate", "local", "platform")
#: The reference series of each index, all taken from one year per country.
INDEX_SERIES = {
    "nominal": ("gdp_pc_usd",),
    "intl_rate": ("fx_lcu_per_usd", "ppp_private"),
    "local": ("fx_lcu_per_usd", "cpi"),
}
#: The year each index took its series from, per country.
YEAR_COLUMNS = ("nominal_year", "intl_rate_year", "local_year", "ilo_year")
#: How far back (years) before the comparison year an ILO earnings figure may be.
ILO_MAX_LAG = 10
DEFAULT_HOURS = 2000.0
DEFAULT_DRAWS = 2000
DEFAULT_SEED = 20261125

#: The profile columns the indices read (each profile's latest row).
COLUMNS_READ = [
    "platform",
    "country",
    "hourly_rate_usd",
    "occupation",
    "snapshot_date",
    "registration_date",
]


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


def default_reference_year(snapshot_year: int) -> int:
    """The snapshot year, or the last year every series of every index is published for if
    earlier: one reference year for the whole table."""
    published = min(
        reference.latest_year(name) for names in INDEX_SERIES.values() for name in names
    )
    return min(snapshot_year, published)


def _local_earnings(comparison: pl.DataFrame, ilo_max_lag: int) -> pl.DataFrame:
    """Per country, ILO mean monthly earnings in local currency of the comparison year: the
    latest ILO year y ≤ t (within *ilo_max_lag*) with its private-consumption PPP factor and
    CPI, value × PRVT(y) × CPI(t) / CPI(y). *comparison* has country, local_year (t),
    local_fx_lcu_per_usd and cpi_local_year."""
    ilo = reference.ilo_series()
    prvt = reference.wdi("ppp_private").select("country", "year", ppp_private_ilo_year="value")
    cpi = reference.wdi("cpi").select("country", "year", cpi_ilo_year="value")
    candidates = (
        ilo.join(prvt, on=["country", "year"], how="left")
        .join(cpi, on=["country", "year"], how="left")
        .join(comparison.select("country", "local_year"), on="country")
        .filter(pl.col("year").is_between(pl.col("local_year") - ilo_max_lag, pl.col("local_year")))
    )
    usable = candidates.drop_nulls(["value", "ppp_private_ilo_year", "cpi_ilo_year"])
    latest = usable.sort("year").group_by("country").last()
    reference.warn_countries(
        "ILO earnings without a private-consumption PPP factor (PA.NUS.PRVT.PP) or CPI "
        "(FP.CPI.TOTL) for their year; the local index is left empty",
        set(candidates["country"].to_list()) - set(latest["country"].to_list()),
    )
    reference.warn_countries(
        f"no ILO mean monthly earnings of employees in the {ilo_max_lag} years up to the "
        "comparison year; the local index is left empty",
        set(comparison["country"].to_list()) - set(candidates["country"].to_list()),
    )
    return latest.select(
        "country",
        ilo_year="year",
        ilo_monthly_2021ppp="value",
        ilo_flag="flag",
        ilo_monthly_lcu_ilo_year=pl.col("value") * pl.col("ppp_private_ilo_year"),
        cpi_ilo_year="cpi_ilo_year",
    )


def _reference_factors(
    codes: list[str], year: int, hours: float, max_lag: int
) -> tuple[pl.DataFrame, list[str]]:
    """Per country: the multiplier turning a US$ hourly rate into each index, with the
    reference values and the one year each index took them from. Warnings are collected (and
    re-raised by the caller)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", reference.ReferenceDataWarning)
        nominal = reference.for_common_year(
            INDEX_SERIES["nominal"], year, max_lag=max_lag, countries=codes
        ).select("country", "gdp_pc_usd", nominal_year="year_used")
        intl = reference.for_common_year(
            INDEX_SERIES["intl_rate"], year, max_lag=max_lag, countries=codes
        ).select("country", "fx_lcu_per_usd", "ppp_private", intl_rate_year="year_used")
        comparison = reference.for_common_year(
            INDEX_SERIES["local"], year, max_lag=max_lag, countries=codes
        ).select(
            "country",
            local_fx_lcu_per_usd="fx_lcu_per_usd",
            cpi_local_year="cpi",
            local_year="year_used",
        )
        local = _local_earnings(comparison.drop_nulls("local_year"), ILO_MAX_LAG)
    frame = nominal
    for other in (intl, comparison, local):
        frame = frame.join(other, on="country", how="left")
    frame = frame.with_columns(
        ilo_monthly_lcu=pl.col("ilo_monthly_lcu_ilo_year")
        * pl.col("cpi_local_year")
        / pl.col("cpi_ilo_year"),
    ).with_columns(
        factor_nominal=hours / pl.col("gdp_pc_usd"),
        factor_intl_rate=pl.col("fx_lcu_per_usd") / pl.col("ppp_private"),
        factor_local=(hours / 12) * pl.col("local_fx_lcu_per_usd") / pl.col("ilo_monthly_lcu"),
    )
    messages = [
        str(w.message) for w in caught if issubclass(w.category, reference.ReferenceDataWarning)
    ]
    return frame.drop("ilo_monthly_lcu_ilo_year", "cpi_ilo_year"), messages


def _adjusted_effects(
    people: pl.DataFrame, counts: dict[str, int], min_count: int
) -> tuple[dict[str, float], np.ndarray, list[str]]:
    """Country effects relative to the profile-weighted mean, and their covariance."""
    rated = (
        people.lazy()
        .filter(pl.col("log_rate").is_not_null())
        .select("country", "occupation", "tenure_band", "log_rate")
        .collect()
    )
    codes = sorted(c for c in rated["country"].unique().to_list() if counts.get(c, 0) > 0)
    base = max(codes, key=lambda c: counts[c])
    held = [c for c in ("occupation", "tenure_band") if rated[c].null_count() < rated.height]
    fit = categorical_ols(rated, "log_rate", ["country", *held], reference={"country": base})
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
    group_weights: str | Mapping[str, float] | pl.DataFrame | None = None,
    platform_weights: Mapping[str, float] | None = None,
) -> EarningsTables:
    """Relative-earnings indices per country, region and income group (module docstring).

    Parameters
    ----------
    group_weights
        How countries are weighted in regions and income groups: ``None`` (default) pools the
        profiles as crawled; ``"labour_force"`` weights each country by its labour force (WDI
        SL.TLF.TOTL.IN of the reference year); a mapping or a frame (``country``, ``weight``)
        gives the weights. With weights, a group's value is the median of the weighted mixture
        of its countries' ratio distributions and its interval a bootstrap of ``draws``
        resamples stratified by country (``seed`` stated).
    platform_weights
        A weight per platform pooled (as in :func:`olmstats.summary.country_summary`): each
        country's median is then the median of the weighted mixture of its platforms' rate
        distributions, with the percentile bootstrap stratified by platform (``draws`` at least
        1,000, ``seed``) - the same interval the country summary gives with the same weights and
        seed - and regions mix the platforms alike within each country. Default: rows counted.
        The composition adjustment (adj_*) pools rows whatever the weights (said in the notes).
    """
    profiles = profiles_input(profiles, optional=("occupation", "registration_date"))
    check_positive(hours, "hours")
    check_min_count(min_count)
    check_window(since, until)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 20:
        raise InputError(f"draws must be a whole number of at least 20, got {draws!r}")
    people = materialise_latest(
        snapshot_window(profiles, since, until),
        "profile_id",
        COLUMNS_READ,
    )
    if people["hourly_rate_usd"].null_count() == people.height:
        raise InputError("no profile has an hourly rate: no earnings index can be computed")
    if year is None:
        year = default_reference_year(int(people["snapshot_date"].max().year))
    tenure = (pl.col("snapshot_date") - pl.col("registration_date")).dt.total_days() / 365.25
    band = pl.sum_horizontal([(tenure >= edge).cast(pl.Int8) for edge in TENURE_BANDS])
    people = people.with_columns(
        log_rate=pl.when(pl.col("hourly_rate_usd") > 0).then(pl.col("hourly_rate_usd").log()),
        tenure_band=pl.when(tenure >= 0).then(band),  # 0..4: the bands of progression
    )
    iso = list(country_table.countries())
    if platform_weights is not None:
        platform_weights = check_weights(platform_weights, people["platform"].unique().to_list())
        medians = weighted_group_statistics(
            people.filter(pl.col("country").is_not_null()),
            "country",
            "hourly_rate_usd",
            platform_weights,
            draws=draws,
            seed=seed,
        )
    else:
        medians = grouped_order_statistics(people, "country", "hourly_rate_usd", (0.5,), keys=iso)
    stats = medians.filter(pl.col("n") > 0).sort(["n", "country"], descending=[True, False])
    platform_median = float(people["hourly_rate_usd"].median())
    factors, messages = _reference_factors(stats["country"].to_list(), year, hours, max_lag)
    for message in messages:
        warnings.warn(message, reference.ReferenceDataWarning, stacklevel=2)
    table = (
        stats.select(
            "country",
            profiles_with_rate="n",
            median_rate_usd="q0.5",
            median_low="ci_low",
            median_high="ci_high",
        )
        .join(factors, on="country", how="left", maintain_order="left")
        .with_columns(factor_platform=100.0 / platform_median)
    )
    n = table["profiles_with_rate"].to_numpy()
    ok = n >= min_count
    # the median's interval as the country table gives it (order statistics)
    median_low, median_high = table["median_low"].to_numpy(), table["median_high"].to_numpy()
    columns: dict[str, np.ndarray] = {"median_low": median_low, "median_high": median_high}
    for name in INDICES:
        factor = table[f"factor_{name}"].fill_null(np.nan).to_numpy()
        columns[name] = table["median_rate_usd"].to_numpy() * factor
        columns[f"{name}_low"] = median_low * factor
        columns[f"{name}_high"] = median_high * factor
    counts = dict(zip(table["country"], n.tolist(), strict=True))
    unadjustable = adjusted and people["tenure_band"].is_null().all()
    if unadjustable:  # no registration dates (a directory that shows none): nothing to hold fixed
        nothing = np.full(len(table), np.nan)
        for name in ("adj_median_rate_usd", "adj_median_low", "adj_median_high"):
            columns[name] = nothing
        for name in INDICES:
            for suffix in ("", "_low", "_high"):
                columns[f"adj_{name}{suffix}"] = nothing
        messages = [
            *messages,
            "Composition-adjusted indices (adj_*) are empty: these profiles have no "
            "registration dates, so tenure cannot be held fixed.",
        ]
    elif adjusted:
        if people["occupation"].is_null().all():
            messages = [
                *messages,
                "Composition-adjusted indices (adj_*) hold only tenure fixed: these profiles "
                "have no occupation.",
            ]
        effects, cov, order = _adjusted_effects(people, counts, min_count)
        position = {c: i for i, c in enumerate(order)}
        idx = [position[c] for c in table["country"]]
        centre = np.array([effects[c] for c in table["country"]])
        se = np.sqrt(np.maximum(np.diag(cov)[idx], 0.0))
        base = platform_median * np.exp(centre)
        columns["adj_median_rate_usd"] = base
        columns["adj_median_low"] = platform_median * np.exp(centre - 1.959963984540054 * se)
        columns["adj_median_high"] = platform_median * np.exp(centre + 1.959963984540054 * se)
        for name in INDICES:
            factor = table[f"factor_{name}"].fill_null(np.nan).to_numpy()
            columns[f"adj_{name}"] = base * factor
            columns[f"adj_{name}_low"] = columns["adj_median_low"] * factor
            columns[f"adj_{name}_high"] = columns["adj_median_high"] * factor
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
    weights = _group_weights(group_weights, year, table["country"].to_list())
    ratios = _individual_ratios(people, table, adjusted and not unadjustable)
    rng = np.random.default_rng(seed)
    regions = _aggregate(ratios, "region", weights, platform_weights, draws, rng)
    incomes = _aggregate(ratios, "income_group", weights, platform_weights, draws, rng)
    snapshot_year = int(people["snapshot_date"].max().year)
    notes = (
        _definitions(year, snapshot_year, hours, min_count, platform_median)
        + _aggregate_notes(weights, platform_weights is not None, draws, seed)
        + _platform_notes(platform_weights, draws, seed)
        + messages
    )
    return EarningsTables(
        table.select(_column_order(table.columns)), regions, incomes, year, hours, notes
    )


def indices_from_medians(
    medians: pl.LazyFrame | pl.DataFrame,
    *,
    year: int,
    hours: float = DEFAULT_HOURS,
    max_lag: int = reference.DEFAULT_MAX_LAG,
) -> pl.DataFrame:
    """The country indices of :func:`relative_earnings` for a published table of country
    medians (someone else's survey or scrape), not profiles.

    Parameters
    ----------
    medians
        ``country`` (ISO alpha-2) and ``median_rate_usd`` (US$ an hour); optionally
        ``median_low``/``median_high`` (its interval, carried through each index's constant) and
        ``n``. A pandas DataFrame is converted.
    year
        The reference year of every series (required: a table of medians carries no date).

    Returns
    -------
    pl.DataFrame
        The input columns, then ``nominal``, ``intl_rate``, ``local`` (each with ``_low`` and
        ``_high`` when an interval is given), the reference values and the ``*_year`` columns,
        as in :func:`relative_earnings`. The platform index needs the platform-wide median and
        is not given; nor are composition-adjusted ones (they need the profiles).
    """
    frame = checked_frame(
        medians, "medians", ("country", "median_rate_usd"), rates=("median_rate_usd",)
    )
    check_positive(hours, "hours")
    if isinstance(year, bool) or not isinstance(year, int):
        raise InputError(f"year must be a whole number (the reference year), got {year!r}")
    table = frame.collect()
    duplicated = table.filter(pl.col("country").is_duplicated())["country"].unique().to_list()
    if duplicated:
        raise InputError(f"medians has more than one row for {', '.join(sorted(duplicated))}")
    factors, messages = _reference_factors(table["country"].to_list(), year, hours, max_lag)
    for message in messages:
        warnings.warn(message, reference.ReferenceDataWarning, stacklevel=2)
    table = table.join(factors, on="country", how="left", maintain_order="left")
    has_interval = {"median_low", "median_high"} <= set(table.columns)
    out = []
    for name in ("nominal", "intl_rate", "local"):
        factor = pl.col(f"factor_{name}")
        out.append((pl.col("median_rate_usd") * factor).alias(name))
        if has_interval:
            out += [
                (pl.col("median_low") * factor).alias(f"{name}_low"),
                (pl.col("median_high") * factor).alias(f"{name}_high"),
            ]
    return table.with_columns(*out, reference_year=pl.lit(year), hours=pl.lit(hours)).drop(
        [c for c in table.columns if c.startswith("factor_")]
    )


@dataclass(frozen=True)
class GroupWeights:
    """External weights of countries within a region or income group: ``weights`` by ISO
    code, what they are (``label``), and the countries of the table that have none."""

    weights: dict[str, float]
    label: str
    missing: tuple[str, ...]


def _group_weights(
    spec: str | Mapping[str, float] | pl.DataFrame | None, year: int, codes: list[str]
) -> GroupWeights | None:
    """``None`` (pool profiles as crawled), ``"labour_force"`` (WDI SL.TLF.TOTL.IN of the
    reference year), a mapping country → weight, or a frame with ``country`` and ``weight``."""
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec != "labour_force":
            raise InputError(
                f"group_weights must be 'labour_force', a mapping or a frame, got {spec!r}"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", reference.ReferenceDataWarning)
            frame = reference.for_year("labour_force", year, countries=codes).drop_nulls("value")
        given = dict(zip(frame["country"], frame["value"], strict=True))
        label = f"labour force (WDI SL.TLF.TOTL.IN, {year} or the latest earlier year)"
    else:
        if isinstance(spec, pl.DataFrame):
            missing = {"country", "weight"} - set(spec.columns)
            if missing:
                raise InputError(
                    f"group_weights frame lacks {', '.join(sorted(missing))}: "
                    "pass columns country (ISO alpha-2) and weight"
                )
            spec = dict(spec.select("country", "weight").iter_rows())
        given = {}
        for country, weight in spec.items():
            if not isinstance(weight, int | float) or not np.isfinite(weight) or weight <= 0:
                raise InputError(
                    f"group weight of {country!r} must be a positive number, got {weight!r}"
                )
            given[str(country)] = float(weight)
        label = "weights given by the user"
    return GroupWeights(given, label, tuple(sorted(set(codes) - set(given))))


def _individual_ratios(people: pl.DataFrame, table: pl.DataFrame, adjusted: bool) -> pl.DataFrame:
    """The profiles with a rate in unsuppressed countries, compressed to one row per
    (platform, country, rate) with its ``count``: each cell's value of every index (rate × the
    country's constant) and, with *adjusted*, of every adjusted index (the rate rescaled by the
    country's adjusted ÷ raw median, times the constant). Rates repeat a lot (asking rates are
    round numbers), so 10 million profiles make a few hundred thousand cells."""
    per_country = table.filter(pl.col("median_rate_usd").is_not_null()).select(
        "country",
        "region",
        "income_group",
        *[f"factor_{name}" for name in INDICES],
        adj_scale=pl.col("adj_median_rate_usd") / pl.col("median_rate_usd")
        if adjusted
        else pl.lit(None, dtype=pl.Float64),
    )
    cells = (
        people.lazy()
        .drop_nulls("hourly_rate_usd")
        .group_by("platform", "country", "hourly_rate_usd")
        .agg(count=pl.len())
        .sort("country", "hourly_rate_usd")  # a group's ratios: runs already sorted, per country
        .collect()
    )
    joined = cells.join(per_country, on="country", maintain_order="left")
    rate = pl.col("hourly_rate_usd")
    return joined.select(
        pl.col("platform").alias("source_platform"),  # "platform" is also an index
        "country",
        "region",
        "income_group",
        "count",
        *[(rate * pl.col(f"factor_{name}")).alias(name) for name in INDICES],
        *[
            (rate * pl.col("adj_scale") * pl.col(f"factor_{name}")).alias(f"adj_{name}")
            for name in INDICES
        ],
    )


def _strata_weights(
    cells: pl.DataFrame,
    countries: GroupWeights | None,
    platforms: Mapping[str, float] | None,
) -> dict[str, float]:
    """Weight of each (country, platform) stratum of one group's cells: the country's weight
    (given, else its profiles) times the platform's share within the country (given weights
    renormalised over the platforms present, else profiles)."""
    strata = cells.group_by("country", "source_platform").agg(rows=pl.col("count").sum())
    out: dict[str, float] = {}
    for (country,), stratum in strata.group_by("country"):
        rows = stratum["rows"].sum()
        country_weight = countries.weights[country] if countries is not None else float(rows)
        if platforms is not None:
            total = sum(platforms[p] for p in stratum["source_platform"])
            shares = {p: platforms[p] / total for p in stratum["source_platform"]}
        else:
            shares = {p: n / rows for p, n in stratum.select("source_platform", "rows").iter_rows()}
        for name, share in shares.items():
            out[f"{country}|{name}"] = country_weight * share
    return out


def _aggregate(
    cells: pl.DataFrame,
    group: str,
    weights: GroupWeights | None,
    platform_weights: Mapping[str, float] | None,
    draws: int,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Per group: the pooled median of individual ratios with its 95% interval (order
    statistics; with country or platform weights, the weighted mixture's median and a bootstrap
    stratified by country and platform), and the countries covered, per index."""
    names = [*INDICES, *[f"adj_{name}" for name in INDICES]]
    members = cells.filter(pl.col(group).is_not_null())
    labels = sorted(members[group].unique().to_list())
    if not labels:
        return pl.DataFrame(schema={group: pl.String})
    mixed = weights is not None or platform_weights is not None
    out: dict[str, dict[str, object]] = {}
    by_label = dict(members.partition_by(group, as_dict=True).items())
    for label in labels:
        frame = by_label[(label,)]
        row: dict[str, object] = {
            group: label,
            "profiles_with_rate": int(frame["count"].sum()),
            "countries": ", ".join(sorted(frame["country"].unique().to_list())),
        }
        for name in names:
            usable = frame.filter(pl.col(name).is_not_null() & pl.col(name).is_finite())
            if weights is not None:
                usable = usable.filter(pl.col("country").is_in(list(weights.weights)))
            row[f"{name}_countries"] = usable["country"].n_unique()
            row[name] = row[f"{name}_low"] = row[f"{name}_high"] = None
            if usable.is_empty():
                continue
            values = usable[name].to_numpy().astype(np.float64)
            counts = usable["count"].to_numpy()
            if mixed:
                strata = (usable["country"] + "|" + usable["source_platform"]).to_numpy()
                result = mixture_statistics(
                    np.repeat(values, counts),
                    np.repeat(strata, counts),
                    _strata_weights(usable, weights, platform_weights),
                    probabilities=(0.5,),
                    draws=draws,
                    rng=rng,
                )
                found = (result["q0.5"], result["ci_low"], result["ci_high"])
            else:
                found = counted_median_interval(values, counts)[1:]
            row[name], row[f"{name}_low"], row[f"{name}_high"] = found
        out[label] = row
    return pl.DataFrame(list(out.values()), infer_schema_length=None).sort(
        "profiles_with_rate", descending=True
    )


def _platform_notes(
    platform_weights: Mapping[str, float] | None, draws: int, seed: int
) -> list[str]:
    if platform_weights is None:
        return []
    given = ", ".join(f"{p} {w:g}" for p, w in platform_weights.items())
    return [
        f"Platforms weighted ({given}; renormalised within each country over the platforms "
        "present): each country's median is the weighted mixture's, its 95% interval a "
        f"bootstrap stratified by platform ({draws:,} draws, seed {seed}) times each index's "
        "constant; regions mix platforms alike within each country. adj_* and the platform "
        "median of the platform index pool rows (not weighted)."
    ]


def _aggregate_notes(
    weights: GroupWeights | None, platform_weighted: bool, draws: int, seed: int
) -> list[str]:
    if weights is None and platform_weighted:
        return [
            "Regions and income groups: the median of the mixture of the group's individual "
            "ratios, countries as often as their profiles were crawled and platforms weighted "
            f"within each country; 95% interval a bootstrap stratified by country and platform, "
            f"{draws:,} draws (seed {seed})."
        ]
    if weights is None:
        return [
            "Regions and income groups: the pooled median of the individual ratios (each "
            "profile's rate × its country's constant) over the group's profiles in countries "
            "with a value - countries count as often as their profiles were crawled - with the "
            "order-statistic 95% interval; adj_*: rates rescaled to each country's adjusted "
            "median (the interval ignores the adjustment's own error)."
        ]
    missing = (
        f"; without a weight, left out: {', '.join(weights.missing)}" if weights.missing else ""
    )
    return [
        "Regions and income groups: the median of the mixture of the group's countries' "
        f"ratio distributions, each country weighted by {weights.label} (renormalised over "
        f"the countries present); 95% interval a bootstrap stratified by country, {draws:,} "
        f"draws (seed {seed}){missing}."
    ]


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
    year: int,
    snapshot_year: int,
    hours: float,
    min_count: int,
    platform_median: float,
) -> list[str]:
    lag = (
        f" Rates are listed in {snapshot_year}: prices and exchange rates since {year} are not "
        "in the indices."
        if snapshot_year > year
        else ""
    )
    return [
        f"Reference year {year} for every index; each index takes all its series from one year "
        "per country (an earlier one only where a series is missing, named below); "
        f"{hours:,.0f} hours a year.{lag}",
        "nominal: median rate × hours ÷ GDP per capita (current US$); intl_rate: median rate in "
        "international $ an hour (× LCU per US$ ÷ private-consumption PPP factor, one year); "
        "local: monthly equivalent in local currency (× the exchange rate of the comparison "
        "year) ÷ ILO mean monthly earnings of employees in local currency (ILO value × the "
        "private-consumption PPP factor of its year, moved to the comparison year with the "
        "CPI; local_year and ilo_year show both); platform: 100 × country median ÷ platform "
        f"median (${platform_median:,.2f}).",
        "95% intervals of a country: the median's order-statistic interval (as in the country "
        "summary) times the index's constant; reference values taken as known. adj_*: at the "
        "platform-wide occupation and tenure mix (log_rate ~ country + occupation + tenure "
        "band, HC1); model-based intervals.",
        f"Cells with fewer than {min_count} profiles with a rate are suppressed (and left out "
        "of regions and income groups, World Bank FY2026).",
    ]
