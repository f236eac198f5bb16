"""Pooling platforms with weights the user gives, instead of counting rows.

By default a table that pools platforms counts rows: a platform listing ten times more profiles
in a country carries ten times the weight in that country's rate distribution. A user who
wants each platform to stand for a share of the market (the Online Labour Index weighted its
platforms by their traffic) gives a weight per platform. Within each group (a country), the
pooled distribution is then the mixture

    F(x) = sum_p  w_p F_p(x),   w_p = weight_p / (sum of the weights of the platforms present),

where F_p is platform p's empirical distribution in that group: each of its n_p rows weighs
w_p / n_p. A platform absent from a group drops out and the others' weights are renormalised
there. Shares (occupation mixes) are mixed the same way.

Quantiles are those of the mixture: the smallest value x with F(x) >= q (the inverted
empirical CDF, numpy's ``method="inverted_cdf"``; with equal weights per row this is Hyndman
and Fan's type 1, not the type 7 the unweighted tables use). The median's interval is a
percentile bootstrap stratified by platform (each platform's rows redrawn with replacement, its
size and weight kept), 2,000 draws by default, with the seed stated: no order-statistic
interval exists for a mixture of samples of fixed sizes. Counts (profiles, jobs) stay counts of
rows; weights change distributions and shares, not how many rows were seen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from olmstats.errors import InputError

DEFAULT_DRAWS = 2000
DEFAULT_SEED = 20261201


def check_weights(weights: Mapping[str, float], present: Sequence[str]) -> dict[str, float]:
    """*weights* as floats, checked: every name a platform, every weight positive and finite,
    and every platform in *present* (the data's) weighted. InputError otherwise."""
    from olmstats.platforms import platform

    checked: dict[str, float] = {}
    for name, value in weights.items():
        platform(name)  # one line naming the known platforms
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"weight of {name} must be a number, got {value!r}") from None
        if not math.isfinite(number) or number <= 0:
            raise InputError(
                f"weight of {name} must be positive and finite, got {value!r} "
                "(to leave a platform out, filter it with --platform)"
            )
        checked[name] = number
    missing = sorted(set(present) - set(checked))
    if missing:
        raise InputError(
            f"no weight for platform {', '.join(missing)}: give one for every platform pooled "
            f"(weighted: {', '.join(sorted(checked)) or 'none'})"
        )
    return checked


def parse_weights(texts: Sequence[str]) -> dict[str, float]:
    """``["freelancer=0.6", "guru=0.4"]`` (or one comma-separated text) → a mapping."""
    found: dict[str, float] = {}
    for text in texts:
        for part in text.split(","):
            if not part.strip():
                continue
            name, sep, value = part.partition("=")
            if not sep or not name.strip():
                raise InputError(f"--weight takes PLATFORM=WEIGHT, got {part.strip()!r}")
            if name.strip() in found:
                raise InputError(f"--weight names {name.strip()} twice")
            try:
                found[name.strip()] = float(value)
            except ValueError:
                raise InputError(
                    f"weight of {name.strip()} must be a number, got {value!r}"
                ) from None
    return found


def _mixture_quantiles(
    values: np.ndarray, cumulative: np.ndarray, probabilities: Sequence[float]
) -> list[float]:
    """Quantiles of a mixture CDF *cumulative* (per sorted unique value in *values*)."""
    found = []
    for q in probabilities:
        index = int(np.searchsorted(cumulative, q - 1e-12, side="left"))
        found.append(float(values[min(index, values.size - 1)]))
    return found


def mixture_statistics(
    values: np.ndarray,
    strata: np.ndarray,
    weights: Mapping[str, float],
    probabilities: Sequence[float] = (0.25, 0.5, 0.75),
    *,
    ci_level: float = 0.95,
    draws: int = DEFAULT_DRAWS,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Quantiles and the median's bootstrap interval of the weighted mixture of one group.

    *values* are finite numbers, *strata* the platform of each; *weights* is renormalised over
    the platforms present. Returns ``n``, ``q<p>`` per probability, ``ci_low``, ``ci_high``.
    """
    names = sorted(set(strata.tolist()))
    total = sum(weights[p] for p in names)
    support, codes = np.unique(values, return_inverse=True)
    shares, counts, sizes = [], [], []
    for name in names:
        mine = codes[strata == name]
        shares.append(weights[name] / total)
        counts.append(np.bincount(mine, minlength=support.size))
        sizes.append(mine.size)
    cdf = sum(w * np.cumsum(c) / n for w, c, n in zip(shares, counts, sizes, strict=True))
    out: dict[str, float] = {"n": float(values.size)}
    for q, value in zip(
        probabilities, _mixture_quantiles(support, cdf, probabilities), strict=True
    ):
        out[f"q{q:g}"] = value
    medians = np.empty(draws)
    batch = max(1, min(draws, 2_000_000 // support.size))  # bounded memory on wide supports
    for start in range(0, draws, batch):
        size = min(batch, draws - start)
        boot = np.zeros((size, support.size))
        for w, c, n in zip(shares, counts, sizes, strict=True):
            boot += w * np.cumsum(rng.multinomial(n, c / n, size=size), axis=1) / n
        below = (boot < 0.5 - 1e-12).sum(axis=1)
        medians[start : start + size] = support[np.minimum(below, support.size - 1)]
    alpha = (1 - ci_level) / 2
    out["ci_low"] = float(np.quantile(medians, alpha, method="inverted_cdf"))
    out["ci_high"] = float(np.quantile(medians, 1 - alpha, method="inverted_cdf"))
    return out


def weighted_group_statistics(
    frame: pl.DataFrame,
    by: str,
    value: str,
    weights: Mapping[str, float],
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    ci_level: float = 0.95,
) -> pl.DataFrame:
    """Per group of *by*: ``rows``, ``n`` (rows with a finite *value*), the weighted quartiles
    ``q0.25``/``q0.5``/``q0.75`` and the median's ``ci_low``/``ci_high`` (see the module
    docstring), columns as :func:`olmstats.order_statistics.grouped_order_statistics` gives.

    *frame* has *by*, *value* and ``platform``. One generator seeded with *seed* serves the
    groups in sorted order, so a table is reproducible from its stated seed.
    """
    if draws < 1000:
        raise InputError(f"a bootstrap needs at least 1,000 draws, got {draws}")
    rng = np.random.default_rng(seed)
    rows = frame.group_by(by).agg(rows=pl.len())
    valid = frame.filter(pl.col(value).is_finite())
    records = []
    for (key,), group in sorted(valid.group_by(by), key=lambda item: item[0]):
        stats = mixture_statistics(
            group[value].to_numpy().astype(np.float64),
            group["platform"].to_numpy(),
            weights,
            ci_level=ci_level,
            draws=draws,
            rng=rng,
        )
        records.append({by: key, **stats})
    schema = {
        by: frame.schema[by],
        "n": pl.Float64,
        **dict.fromkeys(["q0.25", "q0.5", "q0.75", "ci_low", "ci_high"], pl.Float64),
    }
    table = pl.DataFrame(records, schema=schema).with_columns(pl.col("n").cast(pl.Int64))
    return rows.join(table, on=by, how="left").with_columns(
        pl.col("rows").cast(pl.Int64), pl.col("n").fill_null(0)
    )


def weighted_shares(
    frame: pl.LazyFrame, by: str, category: str, weights: Mapping[str, float]
) -> pl.LazyFrame:
    """Per (*by*, *category*): the mixture share ``share`` (sum over platforms of the platform's
    renormalised weight times its share of the group's rows with a *category*), and ``total``,
    the group's rows with a *category*. Rows whose *category* is null are left out."""
    table = pl.DataFrame(
        {"platform": list(weights), "weight": [float(w) for w in weights.values()]}
    ).lazy()
    counted = (
        frame.filter(pl.col(category).is_not_null())
        .group_by(by, "platform", category)
        .agg(n=pl.len())
        .with_columns(platform_rows=pl.col("n").sum().over(by, "platform"))
        .join(table, on="platform", how="left")
    )
    present = counted.group_by(by, "platform").agg(pl.col("weight").first())
    totals = present.group_by(by).agg(weight_total=pl.col("weight").sum())
    return (
        counted.join(totals, on=by)
        .with_columns(
            contribution=pl.col("weight")
            / pl.col("weight_total")
            * pl.col("n")
            / pl.col("platform_rows")
        )
        .group_by(by, category)
        .agg(share=pl.col("contribution").sum(), n=pl.col("n").sum())
        .with_columns(total=pl.col("n").sum().over(by))
    )
