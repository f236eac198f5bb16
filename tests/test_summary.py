"""country_summary: hand-computed values, suppression, filters, and agreement with DuckDB."""

from __future__ import annotations

from datetime import UTC, date, datetime
from statistics import NormalDist

import duckdb
import numpy as np
import polars as pl
import pytest

from olmstats import InputError, scan_jobs, scan_profiles
from olmstats.schema import JOBS, PROFILES
from olmstats.store import PartWriter
from olmstats.summary import country_summary
from tests.test_store import row as profile_row

DAY1, DAY2 = date(2026, 11, 23), date(2026, 11, 24)


def job_row(n: int, country: str | None, occupation: str = "software_technology") -> dict:
    return {
        "job_id": f"{n:032x}",
        "employer_id": None,
        "employer_country": country,
        "job_type": "fixed",
        "budget_min": 30.0,
        "budget_max": 250.0,
        "currency": "USD",
        "fx_usd_per_unit": 1.0,
        "fx_source": "identity",
        "budget_min_usd": 30.0,
        "budget_max_usd": 250.0,
        "bid_count": 3,
        "bid_avg": 100.0,
        "bid_avg_usd": 100.0,
        "posted_at": datetime(2026, 11, 22, tzinfo=UTC),
        "bid_period_days": 7,
        "language": "en",
        "skill_ids": ["13"],
        "skills": ["Python"],
        "occupation": occupation,
        "query_skill": None,
        "extras": [],
        "observed_at": datetime(2026, 11, 23, tzinfo=UTC),
        "run_id": "run",
    }


def write(store, dataset, snapshot, rows, run_id="run"):
    writer = PartWriter(
        store, dataset, platform="freelancer", snapshot_date=snapshot, run_id=run_id
    )
    for r in rows:
        writer.add(r)
    writer.close()


@pytest.fixture
def hand_store(tmp_path):
    """PK: rates 1..12 (profile 12 asked 100 on day 1, 12 on day 2); IN: 10 profiles, 8 with a
    rate; NA: 3 profiles. Jobs: US 2 (one seen twice), PK 1, unknown employer 1."""

    def profile(n, country, rate, occupation="software_technology", day=DAY1):
        r = profile_row(n, country)
        r.update(
            hourly_rate=rate,
            hourly_rate_usd=rate,
            occupation=occupation,
            observed_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
        )
        return r

    day1 = [profile(n, "PK", float(n)) for n in range(1, 12)] + [profile(12, "PK", 100.0)]
    day1 += [
        profile(
            100 + n,
            "IN",
            None if n < 2 else 5.0 + n,
            "writing_translation" if n < 6 else "creative_multimedia",
        )
        for n in range(10)
    ]
    day1 += [profile(200 + n, "NA", 7.0) for n in range(3)]
    write(tmp_path, PROFILES, DAY1, day1)
    write(tmp_path, PROFILES, DAY2, [profile(12, "PK", 12.0, day=DAY2)], run_id="run2")
    write(
        tmp_path,
        JOBS,
        DAY1,
        [job_row(1, "US"), job_row(2, "US"), job_row(3, "PK"), job_row(4, None)],
    )
    write(tmp_path, JOBS, DAY2, [job_row(1, "US")], run_id="run2")
    return tmp_path


def test_values_computed_by_hand(hand_store):
    table = country_summary(scan_profiles(hand_store), scan_jobs(hand_store))
    rows = {r["country"]: r for r in table.iter_rows(named=True)}
    assert table["country"].to_list() == ["PK", "IN", "NA", "US"]  # supply, then demand
    pk = rows["PK"]
    assert (pk["profiles"], pk["profiles_with_rate"]) == (12, 12)  # profile 12 counted once
    # type 7 on 1..12: p25 at 2.75 -> 3.75, median at 5.5 -> 6.5, p75 at 8.25 -> 9.25
    assert (pk["rate_p25_usd"], pk["rate_median_usd"], pk["rate_p75_usd"]) == (3.75, 6.5, 9.25)
    # ranks: 6 - 1.96*sqrt(12)/2 = 2.61 -> 3; 1 + 6 + 3.39 = 10.39 -> 10
    assert (pk["rate_median_ci_low"], pk["rate_median_ci_high"]) == (3.0, 10.0)
    assert pk["open_projects"] == 1
    assert (pk["snapshot_first"], pk["snapshot_last"], pk["snapshots"]) == (DAY1, DAY2, 2)
    assert pk["top_occupations"] == "Software & tech 100%"
    india = rows["IN"]
    assert (india["profiles"], india["profiles_with_rate"]) == (10, 8)
    assert india["rate_median_usd"] is None  # 8 rates < 10: suppressed, not noise
    assert india["top_occupations"] == "Writing 60%, Creative 40%"  # 6 and 4 of 10
    namibia = rows["NA"]
    assert (namibia["profiles"], namibia["rate_median_usd"], namibia["top_occupations"]) == (
        3,
        None,
        None,
    )
    assert namibia["country_name"] == "Namibia"
    us = rows["US"]
    assert (us["profiles"], us["open_projects"], us["rate_median_usd"]) == (0, 2, None)


def test_min_count_and_filters(hand_store):
    table = country_summary(scan_profiles(hand_store), scan_jobs(hand_store), min_count=3)
    assert table.filter(pl.col("country") == "NA")["rate_median_usd"].item() == 7.0
    only = country_summary(
        scan_profiles(hand_store),
        countries=["IN"],
        occupations_filter=["creative_multimedia"],
        min_count=1,
    )
    assert only["country"].to_list() == ["IN"] and only["profiles"].item() == 4
    day1 = country_summary(scan_profiles(hand_store), until=DAY1)
    assert day1.filter(pl.col("country") == "PK")["rate_p75_usd"].item() == 9.25
    # on day 1 alone profile 12 still asks 100: the top of the distribution changes
    assert day1.filter(pl.col("country") == "PK")["rate_median_ci_high"].item() == 10.0
    assert day1.filter(pl.col("country") == "PK")["snapshots"].item() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"countries": ["XX"]}, "unknown country"),
        ({"occupations_filter": ["plumbing"]}, "unknown occupation"),
        ({"min_count": 0}, "min_count"),
    ],
)
def test_bad_arguments_are_named(hand_store, kwargs, message):
    with pytest.raises(InputError, match=message):
        country_summary(scan_profiles(hand_store), **kwargs)


def test_agrees_with_duckdb_on_a_random_store(tmp_path):
    """An independent implementation (SQL in DuckDB) gives the same table."""
    rng = np.random.default_rng(3)
    countries = ["PK", "IN", "BD", "US", "NA", "KE", "PH", "GB"]
    rows = []
    for n in range(4000):
        r = profile_row(n, countries[rng.integers(len(countries))])
        rate = None if rng.random() < 0.15 else round(float(np.exp(rng.normal(2.3, 0.7))), 2)
        r.update(hourly_rate=rate, hourly_rate_usd=rate)
        rows.append(r)
    write(tmp_path, PROFILES, DAY1, rows)
    again = [
        dict(
            r,
            hourly_rate_usd=(r["hourly_rate_usd"] or 10.0) * 1.1,
            observed_at=datetime(2026, 11, 24, tzinfo=UTC),
        )
        for r in rows[::3]
    ]
    write(tmp_path, PROFILES, DAY2, again, run_id="run2")

    ours = country_summary(scan_profiles(tmp_path), min_count=1).sort("country")
    z = NormalDist().inv_cdf(0.975)
    sql = f"""
    with obs as (
      select * from read_parquet('{tmp_path}/profiles/**/*.parquet', hive_partitioning = true)
    ), latest as (
      select * from obs qualify row_number() over (
        partition by platform, profile_id order by snapshot_date desc, observed_at desc) = 1
    ), ranked as (
      select country, hourly_rate_usd as r,
             row_number() over (partition by country order by hourly_rate_usd) as k,
             count(*) over (partition by country) as n
      from latest where hourly_rate_usd is not null
    ), ci as (
      select country,
        max(case when k = greatest(1, round(n / 2 - {z} * sqrt(n) / 2)) then r end) as lo,
        max(case when k = least(n, round(1 + n / 2 + {z} * sqrt(n) / 2)) then r end) as hi
      from ranked group by country
    )
    select l.country, count(*) as profiles, count(hourly_rate_usd) as profiles_with_rate,
           quantile_cont(hourly_rate_usd, 0.25) as p25,
           quantile_cont(hourly_rate_usd, 0.5) as p50,
           quantile_cont(hourly_rate_usd, 0.75) as p75, any_value(ci.lo) as lo,
           any_value(ci.hi) as hi
    from latest l left join ci using (country) group by l.country order by l.country
    """
    theirs = pl.from_arrow(duckdb.sql(sql).arrow())
    assert ours["country"].to_list() == theirs["country"].to_list()
    assert ours["profiles"].to_list() == theirs["profiles"].to_list()
    assert ours["profiles_with_rate"].to_list() == theirs["profiles_with_rate"].to_list()
    for mine, peer in [
        ("rate_p25_usd", "p25"),
        ("rate_median_usd", "p50"),
        ("rate_p75_usd", "p75"),
        ("rate_median_ci_low", "lo"),
        ("rate_median_ci_high", "hi"),
    ]:
        np.testing.assert_allclose(ours[mine].to_numpy(), theirs[peer].to_numpy(), rtol=1e-12)
