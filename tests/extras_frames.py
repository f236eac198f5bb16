"""Profile frames built by hand for the gradient, dispersion, fee and hiring tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

SNAPSHOT = date(2025, 6, 1)


def profiles_frame(
    groups: dict[str, list[float | None]],
    *,
    platform: str = "freelancer",
    snapshot: date = SNAPSHOT,
    reviews: dict[str, list[int | None]] | None = None,
    occupation: str | None = "software_technology",
    start: int = 0,
) -> pl.DataFrame:
    """One profile per rate: ``groups`` maps a country to its profiles' US$ rates (None: no
    rate); ``reviews`` (same shape) gives their review counts (default 0)."""
    rows = []
    n = start
    for country, rates in groups.items():
        counts = (reviews or {}).get(country, [0] * len(rates))
        for rate, count in zip(rates, counts, strict=True):
            rows.append(
                {
                    "platform": platform,
                    "snapshot_date": snapshot,
                    "profile_id": f"{platform}-{n:08d}",
                    "country": country,
                    "hourly_rate_usd": rate,
                    "occupation": occupation,
                    "reviews": count,
                    "observed_at": datetime(
                        snapshot.year, snapshot.month, snapshot.day, tzinfo=UTC
                    ),
                    "run_id": f"run-{platform}",
                }
            )
            n += 1
    return pl.DataFrame(
        rows,
        schema={
            "platform": pl.String,
            "snapshot_date": pl.Date,
            "profile_id": pl.String,
            "country": pl.String,
            "hourly_rate_usd": pl.Float64,
            "occupation": pl.String,
            "reviews": pl.Int64,
            "observed_at": pl.Datetime("us", "UTC"),
            "run_id": pl.String,
        },
    )


def from_simulated(rates: pl.DataFrame, *, platform: str = "freelancer") -> pl.DataFrame:
    """``olmstats.simulate.simulate_rates`` output as a profiles frame (one snapshot)."""
    return rates.with_row_index("n").select(
        platform=pl.lit(platform),
        snapshot_date=pl.lit(SNAPSHOT),
        profile_id=pl.format("{}-{}", pl.lit(platform), pl.col("n")),
        country="country",
        hourly_rate_usd="hourly_rate_usd",
        occupation="occupation",
        reviews="reviews",
        observed_at=pl.lit(datetime(2025, 6, 1, tzinfo=UTC)),
        run_id=pl.lit("simulated"),
    )
