"""Platform weights in the progression slopes: weighted least squares, checked with statsmodels."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
import statsmodels.formula.api as smf

from olmstats import InputError, progression


def two_platform_profiles(seed: int = 3) -> pl.DataFrame:
    """Freelancer profiles gain 5% a year of tenure, Guru profiles 20%; 400 and 100 of them over
    8 countries and 3 occupations, with reviews."""
    rng = np.random.default_rng(seed)
    rows = []
    for platform, n, slope in (("freelancer", 400, 0.05), ("guru", 100, 0.20)):
        tenure = rng.uniform(0, 8, n)
        reviews = rng.poisson(3, n)
        country = rng.choice(["PK", "IN", "BD", "NG", "KE", "PH", "EG", "US"], n)
        occupation = rng.choice(
            ["software_technology", "writing_translation", "sales_marketing"], n
        )
        log_rate = 2.0 + slope * tenure + 0.03 * np.log2(reviews + 1) + rng.normal(0, 0.3, n)
        for i in range(n):
            rows.append(
                {
                    "platform": platform,
                    "country": str(country[i]),
                    "occupation": str(occupation[i]),
                    "hourly_rate_usd": float(np.exp(log_rate[i])),
                    "reviews": int(reviews[i]),
                    "registration_date": date(2026, 1, 1) - timedelta(days=int(tenure[i] * 365.25)),
                    "snapshot_date": date(2026, 1, 1),
                }
            )
    return pl.DataFrame(rows)


def model_frame(frame: pl.DataFrame):
    """The regression's variables in pandas, for statsmodels."""
    return frame.with_columns(
        tenure_years=(pl.col("snapshot_date") - pl.col("registration_date")).dt.total_days()
        / 365.25,
        log_rate=pl.col("hourly_rate_usd").log(),
        log2_reviews=(pl.col("reviews") + 1).log(2),
    ).to_pandas()


def statsmodels_slope(
    frame: pl.DataFrame,
    weights: dict[str, float] | None,
    formula: str = "log_rate ~ tenure_years + log2_reviews + C(country) + C(occupation)",
) -> float:
    data = model_frame(frame)
    if weights is None:
        w = np.ones(len(data))
    else:
        w = data["platform"].map(weights) / data["platform"].map(data["platform"].value_counts())
    return float(smf.wls(formula, data, weights=w).fit().params["tenure_years"])


def test_platform_weights_give_the_weighted_least_squares_slope():
    frame = two_platform_profiles()
    counted = progression.rate_progression(frame).row(0, named=True)
    assert counted["estimate"] == pytest.approx(statsmodels_slope(frame, None), rel=1e-8)
    equal = {"freelancer": 1.0, "guru": 1.0}
    weighted = progression.rate_progression(frame, platform_weights=equal).row(0, named=True)
    assert weighted["estimate"] == pytest.approx(statsmodels_slope(frame, equal), rel=1e-8)
    # counting rows, Freelancer's 400 profiles dominate (near 0.05); equal weights move the
    # slope towards the midpoint of 0.05 and 0.20
    assert counted["estimate"] < weighted["estimate"]
    assert 0.08 < weighted["estimate"] < 0.17
    by_country = progression.rate_progression(
        frame, by="country", platform_weights=equal, min_count=10
    )
    pk = frame.filter(pl.col("country") == "PK")
    row = by_country.filter(pl.col("country") == "PK").row(0, named=True)
    within = "log_rate ~ tenure_years + log2_reviews + C(occupation)"
    assert row["estimate"] == pytest.approx(statsmodels_slope(pk, equal, within), rel=1e-8)


def test_a_platform_without_a_weight_is_named():
    with pytest.raises(InputError, match="no weight for platform guru"):
        progression.rate_progression(two_platform_profiles(), platform_weights={"freelancer": 1})
