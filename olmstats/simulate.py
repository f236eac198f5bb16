"""A simulated freelance market with known true parameters.

The demo, the replay server and the statistics tests all use this one generator, so every
statistic can be checked against the truth that produced the data. Everything is drawn from a
NumPy ``Generator`` seeded with ``MarketParameters.seed``: the same parameters give the same
market, row for row.

Data-generating process (profiles)
----------------------------------
For profile *i* in country *c* and occupation *o*, with tenure *t* (years since registration)
and *r* reviews::

    log(hourly_rate_usd_i) = intercept + country_effect[c] + occupation_effect[o]
                             + tenure_elasticity * t + reviews_elasticity * log1p(r) + e_i,
    e_i ~ Normal(0, sigma)

rounded to cents; a share ``rate_missing_share`` of profiles set no rate (null). Effects are
log-points relative to the United States and to software development. Country effects follow one
documented rule, ``0.27 × ln(GDP per capita / US GDP per capita)`` with WDI 2024 GDP per capita
in current US$ (the slope makes the Philippines/US gap -0.83, the gap for graphic designers in
Lehdonvirta et al. 2019: $8.47 vs $19.53 an hour). Tenure is 12 × Beta(1.2, 2); the chance of
having had any work rises with tenure, and reviews of those who had work are 1 + negative
binomial with a mean growing with tenure, so most newcomers have none, as field studies find.

Jobs
----
Employer countries follow ``demand_weight`` (the US posts about half, as the OLI found);
occupations follow ``job_occupation_mix``; 15% of projects are hourly (budgets per hour). Budgets
are Freelancer-style US$ brackets converted into the employer's currency where the platform
offers it (US$ per unit from WDI 2024 official rates, ``CURRENCY_USD_PER_UNIT``) and rounded to
two significant figures. Bid counts are negative binomial with an occupation mean; the mean bid
lies inside the budget.

Misspecified markets
--------------------
:class:`Misspecification` departs from the profile model above in one way or several: rates
heaped at round numbers, exits that depend on ability (survivorship), cohort effects,
country-specific error variances and tenure slopes, and directory listings cut at
``max_pages`` in a stated order. :func:`simulate_misspecified` draws one snapshot of such a
market (only its store-facing columns, fast) and :func:`write_snapshot_store` writes it as a
crawl would, recording truncated listings as such. Each field's docstring says which parameter
the progression slope then targets; :mod:`olmstats.misspecification` measures bias and coverage
per case through the production path.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from olmstats import countries as country_table
from olmstats.occupations import OUT_OF_SCOPE, occupations, skill_table


@dataclass(frozen=True, slots=True)
class CountrySpec:
    """A simulated country: shares of supply and demand, and its true rate effect."""

    iso2: str
    supply_weight: float  # relative share of profiles
    demand_weight: float  # relative share of projects posted by employers there
    rate_effect: float  # log-points relative to the United States


# Supply weights loosely follow OLI worker shares (India, Bangladesh, US, Pakistan, Philippines
# lead); demand weights follow OLI employer shares (US ~half, then UK, Australia, India, Canada).
# rate_effect = round(0.27 * ln(GDP pc / US GDP pc), 2), WDI NY.GDP.PCAP.CD 2024.
DEFAULT_COUNTRIES: tuple[CountrySpec, ...] = (
    CountrySpec("IN", 24.0, 5.0, -0.95),
    CountrySpec("BD", 12.0, 0.5, -0.95),
    CountrySpec("PK", 8.0, 1.0, -1.10),
    CountrySpec("US", 9.0, 45.0, 0.00),
    CountrySpec("PH", 5.0, 0.6, -0.83),
    CountrySpec("GB", 3.0, 7.0, -0.13),
    CountrySpec("UA", 2.5, 0.3, -0.75),
    CountrySpec("RS", 1.5, 0.2, -0.50),
    CountrySpec("EG", 2.0, 0.3, -0.88),
    CountrySpec("NG", 2.0, 0.4, -1.18),
    CountrySpec("KE", 2.0, 0.3, -1.00),
    CountrySpec("LK", 1.2, 0.2, -0.79),
    CountrySpec("ID", 1.5, 0.3, -0.77),
    CountrySpec("VN", 1.0, 0.3, -0.78),
    CountrySpec("RU", 2.0, 0.3, -0.47),
    CountrySpec("RO", 0.8, 0.3, -0.39),
    CountrySpec("CA", 1.5, 5.0, -0.12),
    CountrySpec("AU", 0.8, 6.0, -0.08),
    CountrySpec("DE", 0.8, 3.0, -0.12),
    CountrySpec("FR", 0.6, 1.5, -0.17),
    CountrySpec("ES", 0.6, 1.0, -0.24),
    CountrySpec("IT", 0.6, 1.0, -0.20),
    CountrySpec("PL", 0.7, 0.4, -0.33),
    CountrySpec("BR", 1.2, 0.5, -0.57),
    CountrySpec("AR", 0.6, 0.2, -0.49),
    CountrySpec("MX", 0.6, 0.4, -0.49),
    CountrySpec("CO", 0.5, 0.2, -0.64),
    CountrySpec("VE", 0.5, 0.1, -0.81),
    CountrySpec("NP", 0.8, 0.1, -1.10),
    CountrySpec("MA", 0.5, 0.2, -0.82),
    CountrySpec("TN", 0.4, 0.1, -0.82),
    CountrySpec("DZ", 0.5, 0.1, -0.73),
    CountrySpec("GH", 0.4, 0.1, -0.96),
    CountrySpec("ZA", 0.5, 0.6, -0.71),
    CountrySpec("UG", 0.3, 0.1, -1.18),
    CountrySpec("TZ", 0.2, 0.1, -1.16),
    CountrySpec("ET", 0.2, 0.1, -1.17),
    CountrySpec("NA", 0.15, 0.1, -0.80),
    CountrySpec("TR", 0.6, 0.3, -0.46),
    CountrySpec("MY", 0.5, 0.4, -0.54),
    CountrySpec("TH", 0.3, 0.3, -0.66),
    CountrySpec("CN", 0.6, 0.5, -0.50),
    CountrySpec("NL", 0.3, 1.2, -0.07),
    CountrySpec("MK", 0.3, 0.1, -0.60),
    CountrySpec("BA", 0.3, 0.1, -0.60),
    CountrySpec("XK", 0.2, 0.1, -0.68),
    CountrySpec("GR", 0.3, 0.3, -0.34),
    CountrySpec("PT", 0.3, 0.4, -0.29),
    CountrySpec("JM", 0.15, 0.1, -0.65),
    CountrySpec("AE", 0.2, 1.2, -0.15),
    CountrySpec("SG", 0.2, 1.0, 0.03),
    CountrySpec("NZ", 0.2, 0.6, -0.15),
    CountrySpec("IL", 0.2, 0.8, -0.13),
    CountrySpec("IE", 0.2, 0.6, 0.07),
    CountrySpec("CH", 0.1, 0.8, 0.06),
    CountrySpec("HK", 0.1, 0.5, -0.12),
    CountrySpec("SE", 0.1, 0.5, -0.11),
)

# US$ per unit, 1 / WDI PA.NUS.FCRF 2024 (EUR from the euro-area aggregate EMU).
CURRENCY_USD_PER_UNIT: dict[str, float] = {
    "USD": 1.0,
    "GBP": 1.278095,
    "EUR": 1.08238,
    "AUD": 0.65991,
    "CAD": 0.730268,
    "INR": 0.011952,
    "SGD": 0.748372,
    "NZD": 0.605214,
    "HKD": 0.128142,
}
_CURRENCY_SIGN = {
    "USD": "$",
    "GBP": "£",
    "EUR": "€",
    "AUD": "$",
    "CAD": "$",
    "INR": "₹",
    "SGD": "$",
    "NZD": "$",
    "HKD": "$",
}
_CURRENCY_NAME = {
    "USD": "US Dollar",
    "GBP": "British Pound",
    "EUR": "Euro",
    "AUD": "Australian Dollar",
    "CAD": "Canadian Dollar",
    "INR": "Indian Rupee",
    "SGD": "Singapore Dollar",
    "NZD": "New Zealand Dollar",
    "HKD": "Hong Kong Dollar",
}
# Freelancer currency ids as seen in recorded responses where known (USD 1, INR 11).
_CURRENCY_ID = {
    "USD": 1,
    "NZD": 2,
    "AUD": 3,
    "GBP": 4,
    "HKD": 5,
    "SGD": 6,
    "EUR": 8,
    "CAD": 9,
    "INR": 11,
}

FIXED_BRACKETS_USD = ((10, 30), (30, 250), (250, 750), (750, 1500), (1500, 3000), (3000, 5000))
HOURLY_BRACKETS_USD = ((2, 8), (8, 15), (15, 25), (25, 50), (50, 100))

SIMULATED_SKILL_ID_START = 900_001


def _default_occupation_effects() -> dict[str, float]:
    return {
        "software_technology": 0.0,
        "creative_multimedia": -0.15,
        "professional_services": 0.10,
        "sales_marketing": -0.20,
        "writing_translation": -0.25,
        "clerical_data_entry": -0.55,
    }


def _default_profile_mix() -> dict[str, float]:
    return {
        "software_technology": 0.30,
        "creative_multimedia": 0.22,
        "writing_translation": 0.15,
        "clerical_data_entry": 0.15,
        "sales_marketing": 0.10,
        "professional_services": 0.08,
    }


def _default_job_mix() -> dict[str, float]:
    # OLI demand, May 2016: software 35%, creative 23%, clerical+microwork 19%, writing 12%,
    # sales 9%, professional 2% (data/… oli_levels_monthly); rounded.
    return {
        "software_technology": 0.36,
        "creative_multimedia": 0.23,
        "clerical_data_entry": 0.16,
        "writing_translation": 0.12,
        "sales_marketing": 0.09,
        "professional_services": 0.04,
    }


def _default_bid_means() -> dict[str, float]:
    return {
        "clerical_data_entry": 45.0,
        "creative_multimedia": 35.0,
        "writing_translation": 30.0,
        "sales_marketing": 25.0,
        "software_technology": 22.0,
        "professional_services": 12.0,
    }


@dataclass(frozen=True)
class MarketParameters:
    """Everything that determines the simulated market. Rates in US$ per hour."""

    seed: int = 20261125
    n_profiles: int = 6000
    n_jobs: int = 2500
    as_of: datetime = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    intercept: float = math.log(18.0)  # log US$/h: US software freelancer, no tenure, no reviews
    tenure_elasticity: float = 0.06  # log-points per year since registration
    reviews_elasticity: float = 0.08  # log-points per unit of log(1 + reviews)
    sigma: float = 0.45  # sd of the idiosyncratic log-rate error
    rate_missing_share: float = 0.12
    max_tenure_years: float = 12.0
    hourly_job_share: float = 0.15
    countries: tuple[CountrySpec, ...] = DEFAULT_COUNTRIES
    occupation_effects: dict[str, float] = field(default_factory=_default_occupation_effects)
    profile_occupation_mix: dict[str, float] = field(default_factory=_default_profile_mix)
    job_occupation_mix: dict[str, float] = field(default_factory=_default_job_mix)
    bid_count_mean: dict[str, float] = field(default_factory=_default_bid_means)

    def with_(self, **changes: object) -> MarketParameters:
        return replace(self, **changes)


@dataclass(frozen=True)
class MarketTruth:
    """The true values behind a simulated market, for checking estimators."""

    intercept: float
    tenure_elasticity: float
    reviews_elasticity: float
    sigma: float
    country_effects: dict[str, float]  # log-points vs US
    occupation_effects: dict[str, float]  # log-points vs software_technology
    rate_missing_share: float
    as_of: datetime

    @property
    def tenure_percent_per_year(self) -> float:
        return 100.0 * (math.exp(self.tenure_elasticity) - 1.0)


@dataclass(frozen=True)
class SimulatedMarket:
    """Rows of a simulated market with the truth that generated them.

    ``profiles`` and ``jobs`` hold the platform-side view (native ids, the personal fields a
    platform would show) so that the replay server can render them; the store never sees those
    fields. ``skills`` is the platform's skill catalogue (``/projects/0.1/jobs/``).
    """

    parameters: MarketParameters
    truth: MarketTruth
    profiles: pl.DataFrame
    jobs: pl.DataFrame
    employers: pl.DataFrame
    skills: pl.DataFrame

    @property
    def origin(self) -> str:
        return f"simulated market (olmstats.simulate, seed {self.parameters.seed})"


def skill_catalogue() -> pl.DataFrame:
    """The simulated platform's skills: every row of the taxonomy, with ids for curated names.

    Columns: skill_id, skill_name, category_id, category_name, occupation, simulated_id.
    Skills outside the OLI scope are listed (the platform has them) but never assigned.
    """
    table = skill_table("freelancer")
    missing = table["skill_id"].is_null()
    synthetic = pl.int_range(
        SIMULATED_SKILL_ID_START, SIMULATED_SKILL_ID_START + table.height, eager=True
    )
    category_ids = {
        "Writing & Content": 2,
        "Translation & Languages": 10,
        "Design, Media & Architecture": 3,
        "Data Entry & Admin": 4,
        "Sales & Marketing": 6,
        "Business, Accounting, Human Resources & Legal": 7,
    }
    return table.with_columns(
        skill_id=pl.when(missing).then(synthetic).otherwise(pl.col("skill_id")),
        category_id=pl.col("category_id").fill_null(
            pl.col("category_name").replace_strict(
                category_ids, default=None, return_dtype=pl.Int64
            )
        ),
        simulated_id=missing,
    ).select("skill_id", "skill_name", "category_id", "category_name", "occupation", "simulated_id")


def _normalised(weights: dict[str, float] | list[float]) -> np.ndarray:
    values = np.asarray(list(weights.values()) if isinstance(weights, dict) else weights, float)
    return values / values.sum()


def _pick_skills(
    rng: np.random.Generator, own: np.ndarray, others: np.ndarray, n_main: int, add_other: bool
) -> list[int]:
    n_main = min(n_main, own.size)
    chosen = list(rng.choice(own, size=n_main, replace=False))
    if add_other and others.size:
        chosen.append(int(rng.choice(others)))
    return [int(s) for s in chosen]


_SYLLABLES = (
    "ka",
    "ri",
    "mo",
    "sa",
    "te",
    "lu",
    "na",
    "vi",
    "do",
    "ze",
    "pa",
    "ha",
    "ji",
    "ro",
    "me",
    "ta",
    "bi",
    "ku",
    "ne",
    "so",
)
_FIRST = (
    "Amir",
    "Sana",
    "Ravi",
    "Priya",
    "John",
    "Mary",
    "Ali",
    "Fatima",
    "Chen",
    "Ana",
    "Kofi",
    "Amina",
    "Ivan",
    "Olga",
    "Juan",
    "Maria",
    "Tariq",
    "Nadia",
    "Omar",
    "Lina",
)


def _unique_ids(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    """*n* distinct integers in [low, high), in random order, without building the range."""
    if high - low < n:
        raise ValueError("id range too small")
    ids = np.empty(0, dtype=np.int64)
    while ids.size < n:
        draw = rng.integers(low, high, size=int((n - ids.size) * 1.1) + 16)
        merged = np.concatenate([ids, draw])
        _, first = np.unique(merged, return_index=True)
        ids = merged[np.sort(first)]
    return ids[:n]


def _username(rng: np.random.Generator) -> str:
    parts = rng.choice(len(_SYLLABLES), size=int(rng.integers(2, 4)))
    return "".join(_SYLLABLES[i] for i in parts) + str(int(rng.integers(10, 9999)))


def _nice(value: float) -> float:
    """Round to two significant figures, as platforms' local-currency brackets are."""
    if value <= 0:
        return 0.0
    digits = 1 - math.floor(math.log10(value))
    return float(round(value, digits))


def simulate_market(parameters: MarketParameters | None = None) -> SimulatedMarket:
    """Draw a market. Deterministic in ``parameters`` (including its seed)."""
    p = parameters or MarketParameters()
    rng = np.random.default_rng(p.seed)
    known = country_table.countries()
    unknown = [c.iso2 for c in p.countries if c.iso2 not in known]
    if unknown:
        raise ValueError(f"simulation countries missing from the ISO table: {unknown}")
    codes = [c.iso2 for c in p.countries]
    effects = {c.iso2: c.rate_effect for c in p.countries}
    occ_codes = list(occupations())

    catalogue = skill_catalogue()
    in_scope = catalogue.filter(pl.col("occupation") != OUT_OF_SCOPE)
    pools = {
        occ: in_scope.filter(pl.col("occupation") == occ)["skill_id"].to_numpy()
        for occ in occ_codes
    }
    others = {
        occ: in_scope.filter(pl.col("occupation") != occ)["skill_id"].to_numpy()
        for occ in occ_codes
    }

    profiles = _simulate_profiles(p, rng, codes, effects, occ_codes, pools, others)
    employers, jobs = _simulate_jobs(p, rng, codes, occ_codes, pools, others)
    truth = MarketTruth(
        intercept=p.intercept,
        tenure_elasticity=p.tenure_elasticity,
        reviews_elasticity=p.reviews_elasticity,
        sigma=p.sigma,
        country_effects=effects,
        occupation_effects=dict(p.occupation_effects),
        rate_missing_share=p.rate_missing_share,
        as_of=p.as_of,
    )
    return SimulatedMarket(p, truth, profiles, jobs, employers, catalogue)


def _draw_reviews(rng: np.random.Generator, tenure: np.ndarray) -> np.ndarray:
    """Reviews at *tenure*: none without work (the chance of work rises with tenure), else
    1 + negative binomial with a mean growing with tenure."""
    p_work = 0.15 + 0.6 * (1.0 - np.exp(-tenure / 3.0))
    has_work = rng.random(tenure.size) < p_work
    mean_reviews = 4.0 * (1.0 + tenure) ** 1.3
    dispersion = 1.2
    extra = rng.negative_binomial(dispersion, dispersion / (dispersion + mean_reviews))
    return np.where(has_work, 1 + extra, 0)


def _draw_profiles(
    p: MarketParameters,
    rng: np.random.Generator,
    codes: list[str],
    effects: dict[str, float],
    occ_codes: list[str],
) -> dict[str, np.ndarray]:
    """The vectorised part of a profile: location, occupation, experience, reputation, rate."""
    n = p.n_profiles
    country = np.asarray(codes)[
        rng.choice(len(codes), size=n, p=_normalised([c.supply_weight for c in p.countries]))
    ]
    mix = [p.profile_occupation_mix[o] for o in occ_codes]
    occupation = np.asarray(occ_codes)[rng.choice(len(occ_codes), size=n, p=_normalised(mix))]
    tenure = p.max_tenure_years * rng.beta(1.2, 2.0, size=n)
    reviews = _draw_reviews(rng, tenure)
    completed = reviews + rng.binomial(reviews, 0.1)
    total = completed + rng.binomial(completed + 1, 0.05)
    rating = np.where(reviews > 0, np.clip(5.0 - rng.gamma(1.0, 0.2, size=n), 1.0, 5.0), 0.0)
    on_time = np.where(reviews > 0, rng.uniform(0.85, 1.0, size=n), 0.0)
    on_budget = np.where(reviews > 0, rng.uniform(0.85, 1.0, size=n), 0.0)
    earnings_score = np.where(
        reviews > 0, np.clip(1.1 * np.log1p(reviews) + rng.normal(0, 0.3, size=n), 0, 10), 0.0
    )
    country_effect = np.asarray([effects[c] for c in country])
    occupation_effect = np.asarray([p.occupation_effects[o] for o in occupation])
    systematic = (
        p.intercept
        + country_effect
        + occupation_effect
        + p.tenure_elasticity * tenure
        + p.reviews_elasticity * np.log1p(reviews)
    )
    rate = np.round(np.exp(systematic + rng.normal(0.0, p.sigma, size=n)), 2)
    rate_missing = rng.random(n) < p.rate_missing_share
    return {
        "country": country,
        "occupation": occupation,
        "tenure_years": tenure,
        "reviews": reviews.astype(np.int64),
        "jobs_completed": completed.astype(np.int64),
        "jobs_total": total.astype(np.int64),
        "rating": rating,
        "on_time": on_time,
        "on_budget": on_budget,
        "earnings_score": earnings_score,
        "log_rate_systematic": systematic,
        "hourly_rate_usd": np.where(rate_missing, np.nan, rate),
    }


def simulate_rates(parameters: MarketParameters | None = None) -> pl.DataFrame:
    """Only the rate model's columns of ``simulate_market(parameters).profiles`` (same values,
    much faster): for replication studies of the estimators."""
    p = parameters or MarketParameters()
    rng = np.random.default_rng(p.seed)
    codes = [c.iso2 for c in p.countries]
    draws = _draw_profiles(
        p, rng, codes, {c.iso2: c.rate_effect for c in p.countries}, list(occupations())
    )
    return pl.DataFrame(draws).with_columns(pl.col("hourly_rate_usd").fill_nan(None))


def _simulate_profiles(
    p: MarketParameters,
    rng: np.random.Generator,
    codes: list[str],
    effects: dict[str, float],
    occ_codes: list[str],
    pools: dict[str, np.ndarray],
    others: dict[str, np.ndarray],
) -> pl.DataFrame:
    n = p.n_profiles
    draws = _draw_profiles(p, rng, codes, effects, occ_codes)
    country, occupation, tenure = draws["country"], draws["occupation"], draws["tenure_years"]
    native_id = _unique_ids(rng, 1_000_000, 90_000_000, n)
    registered = [p.as_of - timedelta(days=float(t) * 365.25) for t in tenure]

    n_main = 1 + rng.binomial(4, 0.5, size=n)
    add_other = rng.random(n) < 0.3
    skill_ids = [
        _pick_skills(rng, pools[o], others[o], int(k), bool(a))
        for o, k, a in zip(occupation, n_main, add_other, strict=True)
    ]
    usernames = [_username(rng) for _ in range(n)]
    first = rng.choice(len(_FIRST), size=n)
    initial = rng.integers(0, 26, size=n)
    known = country_table.countries()
    return pl.DataFrame(
        {
            "native_id": native_id.astype(np.int64),
            **{k: v for k, v in draws.items() if k != "hourly_rate_usd"},
            "registration_time": [int(r.timestamp()) for r in registered],
            "hourly_rate_usd": draws["hourly_rate_usd"],
            "skill_ids": skill_ids,
            "username": usernames,
            "display_name": [
                f"{_FIRST[f]} {chr(65 + i)}." for f, i in zip(first, initial, strict=True)
            ],
            "city": [known[c].capital or "Capital" for c in country],
        }
    ).with_columns(pl.col("hourly_rate_usd").fill_nan(None))


def _simulate_jobs(
    p: MarketParameters,
    rng: np.random.Generator,
    codes: list[str],
    occ_codes: list[str],
    pools: dict[str, np.ndarray],
    others: dict[str, np.ndarray],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = p.n_jobs
    demand = _normalised([c.demand_weight for c in p.countries])
    country = np.asarray(codes)[rng.choice(len(codes), size=n, p=demand)]
    # Employers: about 0.7 per project, each in one country.
    employer_rows: list[dict[str, object]] = []
    owner = np.empty(n, dtype=np.int64)
    employer_ids = iter(_unique_ids(rng, 90_000_001, 99_000_000, n))
    known = country_table.countries()
    for code in np.unique(country):
        idx = np.flatnonzero(country == code)
        pool = [int(next(employer_ids)) for _ in range(max(1, round(0.7 * idx.size)))]
        owner[idx] = np.asarray(pool)[rng.integers(0, len(pool), size=idx.size)]
        for native in pool:
            employer_rows.append(
                {
                    "native_id": native,
                    "country": str(code),
                    "username": _username(rng),
                    "display_name": f"{_FIRST[int(rng.integers(len(_FIRST)))]} "
                    f"{chr(65 + int(rng.integers(26)))}.",
                    "city": known[str(code)].capital or "Capital",
                    "registration_time": int(
                        (p.as_of - timedelta(days=float(rng.uniform(30, 4000)))).timestamp()
                    ),
                }
            )
    mix = [p.job_occupation_mix[o] for o in occ_codes]
    occupation = np.asarray(occ_codes)[rng.choice(len(occ_codes), size=n, p=_normalised(mix))]
    hourly = rng.random(n) < p.hourly_job_share
    currency = np.asarray([local_currency(c) for c in country])
    budget_min, budget_max, bid_avg = [], [], []
    bid_count = np.empty(n, dtype=np.int64)
    for i in range(n):
        brackets = HOURLY_BRACKETS_USD if hourly[i] else FIXED_BRACKETS_USD
        weights = (0.25, 0.35, 0.25, 0.1, 0.05) if hourly[i] else (0.1, 0.4, 0.25, 0.12, 0.08, 0.05)
        low, high = brackets[int(rng.choice(len(brackets), p=weights))]
        per_unit = CURRENCY_USD_PER_UNIT[currency[i]]
        lo_local = float(low) if currency[i] == "USD" else _nice(low / per_unit)
        hi_local = float(high) if currency[i] == "USD" else _nice(high / per_unit)
        budget_min.append(lo_local)
        budget_max.append(hi_local)
        mean_bids = p.bid_count_mean[occupation[i]]
        r = 1.5
        bids = int(rng.negative_binomial(r, r / (r + mean_bids)))
        bid_count[i] = bids
        bid_avg.append(
            float(
                np.clip(
                    (lo_local + hi_local) / 2 * math.exp(rng.normal(0, 0.25)),
                    lo_local * 0.8,
                    hi_local * 1.2,
                )
            )
            if bids
            else None
        )
    posted = [p.as_of - timedelta(seconds=float(s)) for s in rng.uniform(0, 7 * 86400, size=n)]
    native_id = _unique_ids(rng, 40_000_000, 49_000_000, n)
    n_main = 1 + rng.binomial(3, 0.5, size=n)
    add_other = rng.random(n) < 0.25
    skill_ids = [
        _pick_skills(rng, pools[o], others[o], int(k), bool(a))
        for o, k, a in zip(occupation, n_main, add_other, strict=True)
    ]
    jobs = pl.DataFrame(
        {
            "native_id": native_id.astype(np.int64),
            "owner_id": owner,
            "employer_country": country,
            "occupation": occupation,
            "job_type": np.where(hourly, "hourly", "fixed"),
            "currency": currency,
            "fx_usd_per_unit": [CURRENCY_USD_PER_UNIT[c] for c in currency],
            "budget_min": budget_min,
            "budget_max": budget_max,
            "bid_count": bid_count,
            "bid_avg": bid_avg,
            "time_submitted": [int(t.timestamp()) for t in posted],
            "skill_ids": skill_ids,
        },
        schema_overrides={"bid_avg": pl.Float64},
    )
    return pl.DataFrame(employer_rows), jobs


_EURO = {"DE", "FR", "ES", "IT", "NL", "IE", "PT", "GR"}
_LOCAL_CURRENCY = {
    "GB": "GBP",
    "AU": "AUD",
    "CA": "CAD",
    "IN": "INR",
    "SG": "SGD",
    "NZ": "NZD",
    "HK": "HKD",
}


def local_currency(iso2: str) -> str:
    """The currency a user in *iso2* works in on the simulated platform (US$ where not offered)."""
    if iso2 in _EURO:
        return "EUR"
    return _LOCAL_CURRENCY.get(iso2, "USD")


def currency_object(code: str) -> dict[str, object]:
    """A Freelancer-style currency object for a simulated currency."""
    return {
        "id": _CURRENCY_ID[code],
        "code": code,
        "sign": _CURRENCY_SIGN[code],
        "name": _CURRENCY_NAME[code],
        "exchange_rate": CURRENCY_USD_PER_UNIT[code],
        "country": {"USD": "US", "EUR": "EU"}.get(code, code[:2]),
    }


# -- panels: the same profiles over several snapshots --------------------------------------------

TRAJECTORY_TYPES = ("sinking", "struggling", "surviving", "swimming")


@dataclass(frozen=True)
class PanelParameters:
    """How profiles evolve between snapshots (rates in log points per year).

    Career types after the field study of Pakistani freelancers (Malik, Nicholson & Heeks
    2017): *sinking* profiles leave (each later snapshot they survive with probability
    ``1 - sinking_exit``) and win no work; *struggling* ones win little work; *surviving* ones
    steady work at a flat rate; *swimming* ones steady work and a rate rising by
    ``swimming_extra_growth`` a year on top of the market's tenure and reviews effects. The type
    shares are invented for the simulation (the study publishes none).
    """

    waves: int = 4
    months_between: int = 6
    # Asking rates are sticky: of the log-rate error (sd MarketParameters.sigma) only this much
    # is redrawn at each snapshot; the rest is a persistent profile effect.
    rate_revision_sd: float = 0.05
    type_shares: tuple[float, float, float, float] = (0.30, 0.35, 0.20, 0.15)
    new_reviews_per_year: tuple[float, float, float, float] = (0.0, 1.0, 10.0, 12.0)
    sinking_exit: float = 0.5
    swimming_extra_growth: float = 0.30


@dataclass(frozen=True)
class SimulatedPanel:
    """Profile observations per snapshot (``observations``), with each profile's true type and
    the true within-profile growth the fixed-effects estimator targets."""

    market: MarketParameters
    panel: PanelParameters
    observations: pl.DataFrame
    within_growth_per_year: float  # true FE slope of log rate on tenure, same weights

    @property
    def snapshot_dates(self) -> list[date]:
        return sorted(self.observations["snapshot_date"].unique().to_list())


def simulate_panel(
    market: MarketParameters | None = None, panel: PanelParameters | None = None
) -> SimulatedPanel:
    """Observe the profiles of ``simulate_market(market)`` over ``panel.waves`` snapshots."""
    m = market or MarketParameters()
    p = panel or PanelParameters()
    base = simulate_market(m).profiles
    rng = np.random.default_rng(m.seed + 1)
    n = base.height
    kind = rng.choice(len(TRAJECTORY_TYPES), size=n, p=_normalised(list(p.type_shares)))
    if p.rate_revision_sd > m.sigma:
        raise ValueError("rate_revision_sd cannot exceed the market's sigma")
    persistent = rng.normal(0.0, math.sqrt(m.sigma**2 - p.rate_revision_sd**2), size=n)
    wave_sd = p.rate_revision_sd
    effects = {c.iso2: c.rate_effect for c in m.countries}
    level = (
        m.intercept
        + base["country"].replace_strict(effects).to_numpy()
        + base["occupation"].replace_strict(m.occupation_effects).to_numpy()
    )
    alive = np.ones(n, dtype=bool)
    reviews = base["reviews"].to_numpy().astype(np.int64)
    step_years = p.months_between / 12.0
    rows = []
    for wave in range(p.waves):
        years = wave * step_years
        if wave:
            leaving = (kind == 0) & (rng.random(n) < p.sinking_exit)
            alive &= ~leaving
            rate_per_year = np.asarray(p.new_reviews_per_year)[kind]
            reviews = reviews + rng.poisson(rate_per_year * step_years)
        tenure = base["tenure_years"].to_numpy() + years
        systematic = (
            level
            + m.tenure_elasticity * tenure
            + m.reviews_elasticity * np.log1p(reviews)
            + np.where(kind == 3, p.swimming_extra_growth * years, 0.0)
        )
        rate = np.round(np.exp(systematic + persistent + rng.normal(0, wave_sd, size=n)), 2)
        observed = (
            pl.DataFrame(
                {
                    "native_id": base["native_id"],
                    "country": base["country"],
                    "occupation": base["occupation"],
                    "trajectory": np.asarray(TRAJECTORY_TYPES)[kind],
                    "wave": wave,
                    "tenure_years": tenure,
                    "reviews": reviews,
                    "hourly_rate_usd": np.where(
                        base["hourly_rate_usd"].is_null().to_numpy(), np.nan, rate
                    ),
                    "log_rate_systematic": systematic,
                    "snapshot_date": m.as_of.date() + timedelta(days=round(years * 365.25)),
                    "registration_time": base["registration_time"],
                }
            )
            .filter(pl.Series(alive))
            .with_columns(pl.col("hourly_rate_usd").fill_nan(None))
        )
        rows.append(observed)
    observations = pl.concat(rows)
    return SimulatedPanel(m, p, observations, _true_within_slope(observations))


def _true_within_slope(observations: pl.DataFrame) -> float:
    """Σ(t − t̄ᵢ)(s − s̄ᵢ) / Σ(t − t̄ᵢ)² over profiles with a rate seen at least twice: the FE
    estimand on the noise-free systematic log rate."""
    rated = observations.drop_nulls("hourly_rate_usd").filter(pl.len().over("native_id") >= 2)
    centred = rated.select(
        t=pl.col("tenure_years") - pl.col("tenure_years").mean().over("native_id"),
        s=pl.col("log_rate_systematic") - pl.col("log_rate_systematic").mean().over("native_id"),
    )
    spread = float((centred["t"] ** 2).sum())
    return float((centred["t"] * centred["s"]).sum()) / spread if spread else math.nan


def write_panel_store(
    panel: SimulatedPanel,
    store: str | object,
    *,
    key: str,
    listing_outcome: Callable[[date, str], str] | None = None,
) -> None:
    """Write the panel's observations to *store* as profile rows, one run per snapshot, exactly
    as crawls would (pseudonymised with *key*; the true type never enters the store).

    Each run records one directory listing per country (``country=XX``), read to its end unless
    *listing_outcome* (snapshot date, country → outcome, e.g. ``"failed"`` or
    ``"truncated_by_max_pages"``) says otherwise - the crawl outcomes that decide whether a
    profile's absence is an exit."""
    countries = sorted(panel.observations["country"].unique().to_list())  # each crawl asks all
    for day in panel.snapshot_dates:
        _write_snapshot(
            store,
            panel.observations.filter(pl.col("snapshot_date") == day),
            day,
            key=key,
            source="olmstats.simulate.write_panel_store",
            data_origin=f"simulated panel (olmstats.simulate, seed {panel.market.seed})",
            outcomes={
                country: listing_outcome(day, country) if listing_outcome else "read_to_end"
                for country in countries
            },
        )


def _write_snapshot(
    store: str | object,
    observed: pl.DataFrame,
    day: date,
    *,
    key: str,
    source: str,
    data_origin: str,
    outcomes: dict[str, str],
) -> None:
    """One simulated run: *observed* (native_id, country, occupation, registration_time,
    reviews, hourly_rate_usd) as profile rows of snapshot *day*, and one directory listing per
    country of *outcomes* (country → crawl outcome) in its run record."""
    from olmstats.pseudonym import USER, Pseudonymiser
    from olmstats.schema import PROFILES
    from olmstats.store import write_frame
    from olmstats.store.runs import importing

    pseudonymise = Pseudonymiser(key)
    run_id = f"simulated-{day}"
    frame = observed.select(
        profile_id=pl.col("native_id").map_elements(
            lambda n: pseudonymise("freelancer", USER, n), return_dtype=pl.String
        ),
        country="country",
        registration_date=pl.from_epoch("registration_time", time_unit="s").dt.date(),
        hourly_rate="hourly_rate_usd",
        hourly_rate_currency=pl.lit("USD"),
        hourly_rate_usd="hourly_rate_usd",
        fx_usd_per_unit=pl.when(pl.col("hourly_rate_usd").is_not_null()).then(1.0),
        fx_source=pl.when(pl.col("hourly_rate_usd").is_not_null()).then(pl.lit("identity")),
        reviews="reviews",
        jobs_completed="reviews",
        jobs_total="reviews",
        rating=pl.when(pl.col("reviews") > 0).then(4.8),
        completion_rate=pl.when(pl.col("reviews") > 0).then(1.0),
        on_time=pl.lit(None, pl.Float64),
        on_budget=pl.lit(None, pl.Float64),
        earnings_score=pl.lit(None, pl.Float64),
        skill_ids=pl.lit([], pl.List(pl.String)),
        skills=pl.lit([], pl.List(pl.String)),
        occupation="occupation",
        query_country="country",
        query_skill=pl.lit(None, pl.String),
        extras=pl.lit([], PROFILES.polars_schema["extras"]),
        observed_at=pl.lit(datetime.combine(day, datetime.min.time(), tzinfo=UTC)),
        run_id=pl.lit(run_id),
    )
    listings = [
        {"listing": f"country={country}", "country": country, "skill": None, "outcome": outcome}
        for country, outcome in sorted(outcomes.items())
    ]
    with importing(
        store,
        run_id,
        source=source,
        data_origin=data_origin,
        snapshot_date=day.isoformat(),
        platform="freelancer",
        listings=listings,
    ) as items:
        write_frame(store, PROFILES, frame, platform="freelancer", snapshot_date=day, run_id=run_id)
        items["profiles"] = frame.height


# -- misspecified markets: one snapshot that the estimator's model does not describe ----------

#: Round asking rates (US$ an hour) that heaped rates move to: whole dollars to $3, then steps
#: of $5 to $50, $10 to $100, $25 to $200, $50 to $500, $100 to $1,000.
ROUND_RATES_USD: tuple[float, ...] = tuple(
    float(v)
    for v in (
        *range(1, 4),
        *range(5, 50, 5),
        *range(50, 100, 10),
        *range(100, 200, 25),
        *range(200, 500, 50),
        *range(500, 1001, 100),
    )
)
LISTING_ORDERS = ("reviews", "rate")


@dataclass(frozen=True)
class Misspecification:
    """Ways a market can differ from the rate model that ``rate_progression`` fits.

    The default (every field off) is the correct model: the profiles of
    :func:`simulate_market` (same distributions, not the same draws), all listed. Each field
    departs from it in one way; combine them freely. What each does, and the parameter the
    progression slope is then claimed (or not) to estimate:

    - **heaping** (``heaped_share``): that share of rates is moved to the nearest round number
      of ``heap_points`` (in dollars: $7 → $5, $8 → $10). Target: still the tenure elasticity
      ``MarketParameters.tenure_elasticity`` (β); heaping is error in the outcome.
    - **survivorship** (``exit_hazard``, ``exit_ability``): before the snapshot a profile
      leaves at a yearly hazard ``exit_hazard · exp(−exit_ability · z)``, z its ability (its
      persistent rate effect, the rate equation's error, in sd units): listed with probability
      ``exp(−hazard · tenure)``, so the longer the tenure, the more the listed are the able.
      Every career still grows by β a year; the listed cross-section climbs faster. Target of
      the method: the cross-sectional gradient among listed profiles, **not** β.
    - **cohorts** (``cohort_effect_per_year``): the rate level moves by this many log points
      per year of later registration, linear in the registration date (−0.03: each cohort
      asks 3% less than the one a year before it), on top of tenure. Within one snapshot,
      cohort and tenure are the same variable: the listed gradient is
      β − ``cohort_effect_per_year``, not β.
    - **country-specific variance** (``country_sigma``): each country's error sd drawn
      uniformly from the range (e.g. 0.3 to 1.0) instead of ``MarketParameters.sigma``.
      Target: β.
    - **country-specific slopes** (``country_slope_sd``): each country's tenure elasticity is
      β plus a normal draw with this sd. Target: β, the mean over countries (one market's
      profile-weighted mean of its countries' slopes differs from it by chance, which
      clustering by country is meant to cover).
    - **truncation by max_pages** (``max_pages``, ``page_size``, ``listing_order``): each
      country's directory listing is ordered by ``listing_order`` and only its first
      ``max_pages × page_size`` profiles are kept (the run records the listing as
      ``truncated_by_max_pages``). Freelancer documents no default order for its directory;
      its site ranks by "relevance", which rewards reputation, so ``"reviews"`` (most reviews
      first, ties in random order) is the plausible default; ``"rate"`` (highest rate first,
      no rate last) stands for any order that involves the rate (e.g. earnings). Ordered by
      reviews, a regressor of the model, the direct gradient's target is still β; ordered by
      rate, the kept profiles are selected on the outcome and the slope shrinks towards zero.
    """

    heaped_share: float = 0.0
    heap_points: tuple[float, ...] = ROUND_RATES_USD
    exit_hazard: float = 0.0  # yearly, for a profile of average ability
    exit_ability: float = 0.0  # the hazard falls by exp(-exit_ability) per sd of ability
    cohort_effect_per_year: float = 0.0  # log points per year of later registration
    country_sigma: tuple[float, float] | None = None  # (low, high) of the per-country error sd
    country_slope_sd: float = 0.0  # sd of the per-country tenure elasticity around β
    max_pages: int | None = None  # pages kept per country listing (None: read to the end)
    page_size: int = 100  # profiles per page (Freelancer's largest `limit`)
    listing_order: str = "reviews"  # order of a truncated listing: "reviews" or "rate"

    def __post_init__(self) -> None:
        if not 0.0 <= self.heaped_share <= 1.0:
            raise ValueError("heaped_share must be between 0 and 1")
        if self.exit_hazard < 0:
            raise ValueError("exit_hazard must not be negative")
        if (
            self.country_sigma is not None
            and not 0 < self.country_sigma[0] <= self.country_sigma[1]
        ):
            raise ValueError("country_sigma must be (low, high) with 0 < low <= high")
        if self.country_slope_sd < 0:
            raise ValueError("country_slope_sd must not be negative")
        if (self.max_pages is not None and self.max_pages < 1) or self.page_size < 1:
            raise ValueError("max_pages and page_size must be at least 1")
        if self.listing_order not in LISTING_ORDERS:
            raise ValueError(f"listing_order must be one of {', '.join(LISTING_ORDERS)}")

    def with_(self, **changes: object) -> Misspecification:
        return replace(self, **changes)


@dataclass(frozen=True)
class MisspecifiedMarket:
    """The profiles one snapshot lists (and a crawl keeps) of a misspecified market.

    ``profiles`` holds the listed profiles with the store's inputs (native_id, country,
    occupation, registration_time, reviews, hourly_rate_usd) and their true ``tenure_years``
    and ``ability`` (standardised rate error); ``registered`` counts the profiles drawn before
    exits and truncation; ``listing_outcomes`` is each country listing's crawl outcome.
    """

    parameters: MarketParameters
    misspecification: Misspecification
    profiles: pl.DataFrame
    registered: int
    listing_outcomes: dict[str, str]
    country_sigma: dict[str, float]
    country_slopes: dict[str, float]

    @property
    def career_elasticity(self) -> float:
        """β: how much one career's log rate grows a year of tenure at equal reviews (the
        mean over countries where slopes differ by country)."""
        return self.parameters.tenure_elasticity

    @property
    def snapshot_date(self) -> date:
        return self.parameters.as_of.date()


def simulate_misspecified(
    parameters: MarketParameters | None = None, misspecification: Misspecification | None = None
) -> MisspecifiedMarket:
    """Draw one snapshot of a market that departs from the rate model by *misspecification*.

    ``parameters.n_profiles`` profiles register (countries, occupations, tenure and reviews as
    in :func:`simulate_market`); their log rate is ``intercept + country + occupation +
    slope[c]·tenure + reviews_elasticity·log1p(reviews) + cohort + sigma[c]·z``; then exits,
    heaping and truncation as the misspecification says. Every random draw is made whatever
    the misspecification, in the same order, so markets with the same seed share their
    profiles and errors and differ only where their misspecification does. Deterministic.
    """
    p = parameters or MarketParameters()
    m = misspecification or Misspecification()
    rng = np.random.default_rng(p.seed)
    codes = [c.iso2 for c in p.countries]
    n = p.n_profiles
    index = rng.choice(len(codes), size=n, p=_normalised([c.supply_weight for c in p.countries]))
    country = np.asarray(codes)[index]
    occ_codes = list(occupations())
    mix = [p.profile_occupation_mix[o] for o in occ_codes]
    occupation = np.asarray(occ_codes)[rng.choice(len(occ_codes), size=n, p=_normalised(mix))]
    tenure = p.max_tenure_years * rng.beta(1.2, 2.0, size=n)
    reviews = _draw_reviews(rng, tenure)
    z = rng.standard_normal(n)  # ability: the persistent rate effect, in sd units
    sigma_draw = rng.random(len(codes))
    slope_draw = rng.standard_normal(len(codes))
    heap_draw, missing_draw, exit_draw, tie_draw = rng.random((4, n))

    low, high = m.country_sigma or (p.sigma, p.sigma)
    sigma = low + (high - low) * sigma_draw
    slope = p.tenure_elasticity + m.country_slope_sd * slope_draw
    effects = np.asarray([c.rate_effect for c in p.countries])
    occupation_effect = np.asarray([p.occupation_effects[o] for o in occupation])
    log_rate = (
        p.intercept
        + effects[index]
        + occupation_effect
        + slope[index] * tenure
        + p.reviews_elasticity * np.log1p(reviews)
        - m.cohort_effect_per_year * tenure  # registered `tenure` years before the snapshot
        + sigma[index] * z
    )
    rate = np.round(np.exp(log_rate), 2)
    if m.heaped_share:
        points = np.asarray(sorted(m.heap_points), float)
        upper = np.clip(np.searchsorted(points, rate), 1, points.size - 1)
        nearest = np.where(
            rate - points[upper - 1] <= points[upper] - rate, points[upper - 1], points[upper]
        )
        nearest = np.where(rate >= points[-1], points[-1], nearest)
        rate = np.where(heap_draw < m.heaped_share, nearest, rate)
    rate = np.where(missing_draw < p.rate_missing_share, np.nan, rate)

    hazard = m.exit_hazard * np.exp(-m.exit_ability * z)
    listed = exit_draw < np.exp(-hazard * tenure)
    outcomes = dict.fromkeys(sorted(set(codes)), "read_to_end")
    if m.max_pages is not None:
        cap = m.max_pages * m.page_size
        key = reviews.astype(float) if m.listing_order == "reviews" else np.nan_to_num(rate, nan=-1)
        # each country's listing in its order (largest first, ties in random order)
        order = np.lexsort((tie_draw, -key, index))
        order = order[listed[order]]
        kept = np.zeros(n, dtype=bool)
        for i, code in enumerate(codes):
            in_listing = order[index[order] == i]
            kept[in_listing[:cap]] = True
            if in_listing.size > cap:
                outcomes[code] = "truncated_by_max_pages"
        listed &= kept

    registered = np.floor(p.as_of.timestamp() - tenure * 365.25 * 86_400).astype(np.int64)
    profiles = pl.DataFrame(
        {
            "native_id": np.arange(1_000_001, 1_000_001 + n, dtype=np.int64),
            "country": country,
            "occupation": occupation,
            "tenure_years": tenure,
            "registration_time": registered,
            "reviews": reviews.astype(np.int64),
            "hourly_rate_usd": rate,
            "ability": z,
        }
    ).filter(pl.Series(listed))
    return MisspecifiedMarket(
        parameters=p,
        misspecification=m,
        profiles=profiles.with_columns(pl.col("hourly_rate_usd").fill_nan(None)),
        registered=n,
        listing_outcomes=outcomes,
        country_sigma=dict(zip(codes, sigma.tolist(), strict=True)),
        country_slopes=dict(zip(codes, slope.tolist(), strict=True)),
    )


def write_snapshot_store(market: MisspecifiedMarket, store: str | object, *, key: str) -> None:
    """Write *market*'s listed profiles to *store* as one crawl of one snapshot would
    (pseudonymised with *key*; ability and true tenure never enter the store), with each
    country listing's outcome in the run record."""
    _write_snapshot(
        store,
        market.profiles,
        market.snapshot_date,
        key=key,
        source="olmstats.simulate.write_snapshot_store",
        data_origin=f"simulated misspecified market (olmstats.simulate, seed "
        f"{market.parameters.seed})",
        outcomes=market.listing_outcomes,
    )


def firm_chain(workers: int = 5_000, firms: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
    """A poorly connected two-way fixed-effects graph: each worker seen in two adjacent firms
    of a chain of *firms*, so firm effects are linked only through their neighbours (the case
    where alternating projections crawl). ``y = 0.5·x − 0.3·z + 0.02·firm + ability + noise``:
    arrays ``worker``, ``firm``, ``x``, ``z``, ``y`` (two rows per worker)."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, firms - 1, workers)
    firm = np.column_stack([first, first + 1]).ravel()
    worker = np.repeat(np.arange(workers), 2)
    x = rng.normal(size=firm.size) + 0.01 * firm
    z = rng.normal(size=firm.size)
    ability = np.repeat(rng.normal(size=workers), 2)
    y = 0.5 * x - 0.3 * z + 0.02 * firm + ability + 0.1 * rng.normal(size=firm.size)
    return {"worker": worker, "firm": firm, "x": x, "z": z, "y": y}
