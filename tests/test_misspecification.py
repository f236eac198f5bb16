"""The progression slope on misspecified markets, through the production path.

Each case of ``olmstats.misspecification.CASES`` writes markets that the estimator's model does
not describe to a store and runs ``rate_progression(scan_profiles(store))`` on them. Where the
method is claimed to work (correct model, heaped rates, country-specific variance and slopes,
listings cut at ``max_pages`` in order of reviews) the slope's bias must be small against its
standard error and its 95% intervals must cover the career elasticity β; under survivorship,
cohort effects and listings cut in order of rate the bias must be there, in its known
direction: the slope is a cross-sectional gradient among listed profiles, not a career.

Thresholds come from the Monte-Carlo standard error: coverage at least 0.95 − 3·MCSE (0.885
at 100 replications). ``pytest -s tests/test_misspecification.py`` prints the table; the
README's comes from ``python -m bench.misspecification`` (more replications). Seeds are
fixed, so every run gives the same numbers; the study takes about three minutes.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from olmstats import feols, progression, scan_profiles
from olmstats.misspecification import (
    CASES,
    case_named,
    misspecification_study,
    nominal_coverage_mcse,
)
from olmstats.simulate import (
    ROUND_RATES_USD,
    MarketParameters,
    Misspecification,
    simulate_misspecified,
    write_snapshot_store,
)
from olmstats.store import listing_outcomes
from tests.conftest import TEST_KEY

REPLICATIONS = 100
MIN_COVERAGE = 0.95 - 3 * nominal_coverage_mcse(REPLICATIONS)
MAX_BIAS_OVER_SE = 0.5  # a bias of half an SE costs a 95% interval about 3 points of coverage


# -- the misspecified markets themselves -------------------------------------------------------


def market(seed: int = 1, n: int = 20_000, **changes: object):
    return simulate_misspecified(
        MarketParameters(seed=seed, n_profiles=n), Misspecification(**changes)
    )


def test_same_seed_same_draws_across_misspecifications():
    correct, heaped = market(), market(heaped_share=0.6)
    assert correct.profiles.drop("hourly_rate_usd").equals(heaped.profiles.drop("hourly_rate_usd"))
    rates = pl.DataFrame(
        {"raw": correct.profiles["hourly_rate_usd"], "heaped": heaped.profiles["hourly_rate_usd"]}
    ).drop_nulls()
    moved = rates.filter(pl.col("raw") != pl.col("heaped"))
    # 60% heaped; a rate already on the grid does not move
    assert 0.55 < moved.height / rates.height < 0.61
    assert moved["heaped"].is_in(list(ROUND_RATES_USD)).all()
    assert rates["heaped"].is_in([5.0, 10.0, 15.0, 20.0]).mean() > 0.4


def test_survivorship_selects_the_able_more_at_long_tenure():
    survived = market(exit_hazard=0.15, exit_ability=1.0)
    assert survived.registered == 20_000 and survived.profiles.height < 0.7 * 20_000
    ability = survived.profiles.group_by(pl.col("tenure_years") > 4).agg(pl.col("ability").mean())
    short, long = (
        ability.sort("tenure_years")["ability"][0],
        ability.sort("tenure_years")["ability"][1],
    )
    assert abs(market().profiles["ability"].mean()) < 0.03  # everyone listed: mean ability 0
    assert 0.1 < short < long


def test_cohort_effect_is_a_tenure_slope_in_one_snapshot():
    """Within one snapshot entry year and tenure are one variable: the slope is β − cohort."""
    shifted = market(n=40_000, cohort_effect_per_year=-0.03)
    correct = market(n=40_000)
    formula = "log_rate ~ tenure_years + log2_reviews | country + occupation"

    def slope(m):
        data = progression.with_experience(
            m.profiles.with_columns(
                snapshot_date=pl.lit(m.snapshot_date),
                registration_date=pl.from_epoch("registration_time", time_unit="s").dt.date(),
            ).lazy()
        ).collect()
        return feols(formula, data).coefficient("tenure_years")

    assert slope(shifted) - slope(correct) == pytest.approx(0.03, abs=2e-4)


def test_country_variance_and_slopes_are_drawn_per_country():
    varied = market(country_sigma=(0.3, 1.0), country_slope_sd=0.03)
    sigmas, slopes = np.array(list(varied.country_sigma.values())), varied.country_slopes
    assert sigmas.min() >= 0.3 and sigmas.max() <= 1.0 and sigmas.std() > 0.1
    assert np.std(list(slopes.values())) == pytest.approx(0.03, rel=0.35)
    assert set(market().country_sigma.values()) == {0.45}
    assert set(market().country_slopes.values()) == {0.06}


@pytest.mark.parametrize("order", ["reviews", "rate"])
def test_truncated_listings_keep_the_first_pages_in_order(order, tmp_path):
    full = market(n=4000)
    cut = market(n=4000, max_pages=2, page_size=50, listing_order=order)
    counts = dict(cut.profiles.group_by("country").len().iter_rows())
    sizes = dict(full.profiles.group_by("country").len().iter_rows())
    assert max(counts.values()) == 100
    for country, size in sizes.items():
        assert counts[country] == min(size, 100)
        expected = "truncated_by_max_pages" if size > 100 else "read_to_end"
        assert cut.listing_outcomes[country] == expected
    india = full.profiles.filter(pl.col("country") == "IN")
    kept = cut.profiles.filter(pl.col("country") == "IN")
    column = "reviews" if order == "reviews" else "hourly_rate_usd"
    threshold = india[column].drop_nulls().sort(descending=True)[99]
    assert kept[column].drop_nulls().min() >= threshold
    # the store records the cut listings, as a crawl stopped at max_pages would
    write_snapshot_store(cut, tmp_path, key=TEST_KEY)
    recorded = listing_outcomes(tmp_path)
    truncated = recorded.filter(pl.col("outcome") == "truncated_by_max_pages")
    assert sorted(truncated["query_country"]) == sorted(
        c for c, o in cut.listing_outcomes.items() if o != "read_to_end"
    )
    assert scan_profiles(tmp_path).select(pl.len()).collect().item() == cut.profiles.height


def test_misspecification_checks_its_fields():
    for bad in (
        {"heaped_share": 1.5},
        {"country_sigma": (1.0, 0.3)},
        {"max_pages": 0},
        {"listing_order": "random"},
    ):
        with pytest.raises(ValueError):
            Misspecification(**bad)


# -- the study: bias and coverage per case -----------------------------------------------------


@pytest.fixture(scope="module")
def study():
    result = misspecification_study(replications=REPLICATIONS)
    print(f"\n{REPLICATIONS} replications per case, 4,000 registered profiles, 9,999 draws")
    print(result.table())
    return result


def summary_of(study, name: str) -> dict:
    return study.summary.filter(pl.col("case") == name).row(0, named=True)


CLAIMED = [c.name for c in CASES if c.claimed]
BIASED = [c.name for c in CASES if not c.claimed]


@pytest.mark.slow
@pytest.mark.parametrize("name", CLAIMED)
def test_claimed_cases_recover_the_career_elasticity(study, name):
    row = summary_of(study, name)
    assert row["replications"] == REPLICATIONS
    assert abs(row["bias"]) < MAX_BIAS_OVER_SE * row["mean_std_error"], row
    assert row["coverage"] >= MIN_COVERAGE, row


@pytest.mark.slow
@pytest.mark.parametrize("name", BIASED)
def test_selection_and_cohorts_bias_the_slope_in_the_known_direction(study, name):
    """Survivorship and cohorts push the listed gradient above β, a listing cut in order of
    rate pulls it below: the intervals miss β, and the study shows it rather than hiding it."""
    row, case = summary_of(study, name), case_named(name)
    signed = case.expected * row["bias"]
    assert signed > 3 * row["bias_mcse"] and signed > row["mean_std_error"], row
    assert case.expected * (row["listed_gradient"] - row["truth"]) > 0
    assert row["coverage"] < MIN_COVERAGE, row


@pytest.mark.slow
@pytest.mark.parametrize("name", [c for c in BIASED if "survivorship" in c or "cohorts" in c])
def test_what_is_estimated_there_is_the_gradient_among_listed_profiles(study, name):
    row = summary_of(study, name)
    assert row["coverage_listed"] >= MIN_COVERAGE, row


@pytest.mark.slow
def test_iid_errors_under_cover_with_country_slopes(study):
    """The teeth: the same fits with iid errors miss β far more often than 5% when slopes
    differ by country; clustering with the rule's bootstrap does not."""
    row = summary_of(study, "country slopes (sd 0.03)")
    assert row["coverage_iid"] < MIN_COVERAGE - 0.1, row
    assert row["coverage"] - row["coverage_iid"] > 0.2


@pytest.mark.slow
def test_study_reports_every_case_with_its_monte_carlo_errors(study):
    table = study.table()
    assert all(case.name in table for case in CASES)
    summary = study.summary
    assert summary.height == len(CASES)
    for column in ("bias_mcse", "rmse_mcse", "width_mcse", "coverage_mcse"):
        assert summary[column].null_count() == 0
    correct = summary_of(study, "correct model")
    assert correct["listed_gradient"] == correct["truth"] == 0.06
    assert math.isclose(
        correct["coverage_mcse"],
        math.sqrt(correct["coverage"] * (1 - correct["coverage"]) / REPLICATIONS),
    )
