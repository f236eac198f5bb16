"""Write a large synthetic store for the benchmarks (vectorised; same distributions as the
simulated market's rate model, without its per-row platform rendering).

    python -m bench.make_store --profiles 10000000 --jobs 2000000 --out bench/out/store-10m
"""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from olmstats.occupations import occupations
from olmstats.schema import JOBS, PROFILES
from olmstats.simulate import DEFAULT_COUNTRIES, MarketParameters
from olmstats.store import write_frame
from olmstats.store.runs import importing

SNAPSHOT = date(2026, 11, 23)


def pseudonyms(rng: np.random.Generator, n: int) -> pl.Series:
    raw = rng.bytes(16 * n)
    return pl.Series(np.frombuffer(raw, dtype="S16")).cast(pl.Binary).bin.encode("hex")


def profiles_frame(n: int, seed: int) -> pl.DataFrame:
    p = MarketParameters(seed=seed)
    rng = np.random.default_rng(seed)
    codes = np.array([c.iso2 for c in DEFAULT_COUNTRIES])
    weights = np.array([c.supply_weight for c in DEFAULT_COUNTRIES])
    effects = np.array([c.rate_effect for c in DEFAULT_COUNTRIES])
    which = rng.choice(len(codes), size=n, p=weights / weights.sum())
    occ = list(occupations())
    occ_effect = np.array([p.occupation_effects[o] for o in occ])
    mix = np.array([p.profile_occupation_mix[o] for o in occ])
    job = rng.choice(len(occ), size=n, p=mix / mix.sum())
    tenure = p.max_tenure_years * rng.beta(1.2, 2.0, size=n)
    work = rng.random(n) < 0.15 + 0.6 * (1 - np.exp(-tenure / 3))
    reviews = np.where(
        work, 1 + rng.negative_binomial(1.2, 1.2 / (1.2 + 4 * (1 + tenure) ** 1.3)), 0
    )
    log_rate = (
        p.intercept
        + effects[which]
        + occ_effect[job]
        + p.tenure_elasticity * tenure
        + p.reviews_elasticity * np.log1p(reviews)
        + rng.normal(0, p.sigma, size=n)
    )
    rate = np.round(np.exp(log_rate), 2)
    rate[rng.random(n) < p.rate_missing_share] = np.nan
    registered = np.datetime64(SNAPSHOT) - (tenure * 365.25).astype("timedelta64[D]")
    frame = (
        pl.DataFrame(
            {
                "profile_id": pseudonyms(rng, n),
                "country": codes[which],
                "registration_date": registered,
                "hourly_rate": rate,
                "reviews": reviews,
                "skill_ids": rng.integers(1, 3000, size=n),
                "occupation": np.array(occ)[job],
            }
        )
        .with_columns(
            pl.col("hourly_rate").fill_nan(None),
            hourly_rate_currency=pl.lit("USD"),
            fx_usd_per_unit=pl.when(pl.col("hourly_rate").is_not_null()).then(1.0),
            fx_source=pl.when(pl.col("hourly_rate").is_not_null()).then(pl.lit("identity")),
            jobs_completed=pl.col("reviews"),
            jobs_total=pl.col("reviews"),
            rating=pl.when(pl.col("reviews") > 0).then(4.8),
            completion_rate=pl.when(pl.col("reviews") > 0).then(1.0),
            on_time=pl.when(pl.col("reviews") > 0).then(0.95),
            on_budget=pl.when(pl.col("reviews") > 0).then(0.95),
            earnings_score=pl.col("reviews").log1p(),
            skills=pl.concat_list(pl.lit("Skill")),
            query_country=pl.col("country"),
            query_skill=pl.lit(None, pl.String),
            observed_at=pl.lit(datetime(2026, 11, 23, 12, tzinfo=UTC)),
            run_id=pl.lit("bench-profiles"),
        )
        .with_columns(
            hourly_rate_usd=pl.col("hourly_rate"),
            skill_ids=pl.concat_list(pl.col("skill_ids").cast(pl.String)),
            extras=pl.lit([], PROFILES.polars_schema["extras"]),
        )
    )
    return frame


def jobs_frame(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed + 1)
    codes = np.array([c.iso2 for c in DEFAULT_COUNTRIES])
    weights = np.array([c.demand_weight for c in DEFAULT_COUNTRIES])
    occ = np.array(list(occupations()))
    low = rng.choice([10.0, 30.0, 250.0, 750.0], size=n)
    return (
        pl.DataFrame(
            {
                "job_id": pseudonyms(rng, n),
                "employer_id": pseudonyms(rng, n),
                "employer_country": codes[
                    rng.choice(len(codes), size=n, p=weights / weights.sum())
                ],
                "job_type": np.where(rng.random(n) < 0.15, "hourly", "fixed"),
                "budget_min": low,
                "budget_max": low * 3,
                "bid_count": rng.negative_binomial(1.5, 1.5 / 31.5, size=n),
                "occupation": occ[rng.integers(0, len(occ), size=n)],
                "posted_at": datetime(2026, 11, 20, tzinfo=UTC),
            }
        )
        .with_columns(
            currency=pl.lit("USD"),
            fx_usd_per_unit=pl.lit(1.0),
            fx_source=pl.lit("identity"),
            budget_min_usd=pl.col("budget_min"),
            budget_max_usd=pl.col("budget_max"),
            bid_avg=pl.when(pl.col("bid_count") > 0).then(pl.col("budget_min") * 2),
            bid_period_days=pl.lit(7),
            language=pl.lit("en"),
            skill_ids=pl.concat_list(pl.lit("13")),
            extras=pl.lit([], JOBS.polars_schema["extras"]),
            skills=pl.concat_list(pl.lit("Python")),
            query_skill=pl.lit(None, pl.String),
            observed_at=pl.lit(datetime(2026, 11, 23, 12, tzinfo=UTC)),
            run_id=pl.lit("bench-jobs"),
        )
        .with_columns(bid_avg_usd=pl.col("bid_avg"))
    )


def write(out: Path, dataset, frame: pl.DataFrame, snapshot: date, run_id: str) -> None:
    """The frame as part files, with a run record naming it simulated (as crawls have)."""
    with importing(
        out,
        run_id,
        source="bench.make_store",
        data_origin="simulated benchmark store (bench/make_store.py)",
        snapshot_date=snapshot.isoformat(),
    ) as items:
        write_frame(
            out, dataset, frame, platform="freelancer", snapshot_date=snapshot, run_id=run_id
        )
        items[dataset.name] = frame.height


def make_store(
    out: Path, n_profiles: int, n_jobs: int, seed: int = 1, revisit: float = 0.0
) -> Path:
    """Write the store; with *revisit* > 0 a second run a week later re-observes that share of
    the profiles (same pseudonyms, rates 5% higher), so readers must deduplicate."""
    if out.exists():
        shutil.rmtree(out)
    people = profiles_frame(n_profiles, seed)
    write(out, PROFILES, people, SNAPSHOT, "bench-profiles")
    if revisit:
        again = people.sample(fraction=revisit, seed=seed).with_columns(
            hourly_rate_usd=pl.col("hourly_rate_usd") * 1.05,
            observed_at=pl.lit(datetime(2026, 11, 30, 12, tzinfo=UTC)),
        )
        write(out, PROFILES, again, date(2026, 11, 30), "bench-profiles-revisit")
    if n_jobs:
        write(out, JOBS, jobs_frame(n_jobs, seed), SNAPSHOT, "bench-jobs")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=Path("bench/out/store-1m"))
    parser.add_argument(
        "--revisit",
        type=float,
        default=0.0,
        help="share of profiles observed again by a second run",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    make_store(args.out, args.profiles, args.jobs, revisit=args.revisit)
    print(
        f"wrote {args.profiles:,} profiles and {args.jobs:,} jobs to {args.out} "
        f"in {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
