"""Competition ratios, computed by hand on a small store, and OLI's own occupation shares."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from olmstats import InputError, competition, scan_jobs, scan_profiles
from olmstats.schema import JOBS, PROFILES
from olmstats.store import write_frame
from tests.test_store import row
from tests.test_summary import job_row

OLI = Path(__file__).parent / "fixtures" / "oli" / "oli_levels_monthly.csv"
DAY1, DAY2 = date(2026, 11, 1), date(2026, 11, 15)


def test_share_function_reproduces_oli_occupation_shares():
    """OLI publishes monthly demand levels by occupation; its occupation shares of demand are
    level / Total. The share function, fed the levels, must give exactly those."""
    levels = pl.read_csv(OLI)
    long = levels.drop("Total").unpivot(
        index="date", variable_name="occupation", value_name="level"
    )
    ours = competition.shares(long, "occupation", within=["date"], weight="level")
    published = levels.unpivot(
        index=["date", "Total"], variable_name="occupation", value_name="level"
    ).with_columns(published=pl.col("level") / pl.col("Total"))
    joined = ours.join(published, on=["date", "occupation"])
    assert joined.height == 100 * 7
    np.testing.assert_allclose(joined["share"], joined["published"], rtol=1e-12)
    may_2016 = ours.filter(pl.col("date") == "2016-05-01")
    top = may_2016.sort("share", descending=True)["occupation"].to_list()[:3]
    # OLI, May 2016: software first, then creative and multimedia (literature notes, section 1)
    assert top[:2] == ["Software development and technology", "Creative and multimedia"]


@pytest.fixture
def market(tmp_path):
    """Day 1: 6 software profiles (4 PK, 2 IN) and 2 writing (IN); 3 software jobs and 1
    writing job. Day 2: 8 software profiles (PK), 2 software jobs."""

    def people(start, count, country, occupation, day):
        out = []
        for n in range(start, start + count):
            r = row(n, country)
            r.update(
                occupation=occupation,
                observed_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
            )
            out.append(r)
        return out

    def work(start, occupations, bids, day, country="US", budget=(30.0, 250.0)):
        out = []
        for n, (occupation, b) in enumerate(zip(occupations, bids, strict=True), start=start):
            r = job_row(n, country, occupation)
            r.update(
                bid_count=b,
                budget_min_usd=budget[0],
                budget_max_usd=budget[1],
                observed_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
            )
            out.append(r)
        return out

    day1 = (
        people(0, 4, "PK", "software_technology", DAY1)
        + people(4, 2, "IN", "software_technology", DAY1)
        + people(6, 2, "IN", "writing_translation", DAY1)
    )
    write_frame(
        tmp_path,
        PROFILES,
        pl.DataFrame(day1),
        platform="freelancer",
        snapshot_date=DAY1,
        run_id="p1",
    )
    write_frame(
        tmp_path,
        PROFILES,
        pl.DataFrame(people(100, 8, "PK", "software_technology", DAY2)),
        platform="freelancer",
        snapshot_date=DAY2,
        run_id="p2",
    )
    write_frame(
        tmp_path,
        JOBS,
        pl.DataFrame(
            work(0, ["software_technology"] * 3 + ["writing_translation"], [0, 10, 50, 7], DAY1)
            + work(10, ["software_technology"], [3], DAY1, country="GB", budget=(10.0, 20.0))
        ),
        platform="freelancer",
        snapshot_date=DAY1,
        run_id="j1",
    )
    write_frame(
        tmp_path,
        JOBS,
        pl.DataFrame(work(20, ["software_technology"] * 2, [4, 6], DAY2)),
        platform="freelancer",
        snapshot_date=DAY2,
        run_id="j2",
    )
    return tmp_path


def test_workers_per_job_by_hand(market):
    latest = competition.workers_per_job(scan_profiles(market), scan_jobs(market), min_count=1)
    software = latest.filter(pl.col("occupation") == "software_technology").row(0, named=True)
    assert (software["workers"], software["open_jobs"], software["workers_per_job"]) == (
        8.0,
        2.0,
        4.0,
    )  # day 2: 8 PK profiles, 2 jobs
    both = competition.workers_per_job(
        scan_profiles(market), scan_jobs(market), snapshots="all", min_count=1
    )
    software = both.filter(pl.col("occupation") == "software_technology").row(0, named=True)
    assert software["workers_per_job"] == pytest.approx((6 / 4 + 8 / 2) / 2)  # day 1, day 2
    assert software["snapshots"] == 2
    by_country = competition.workers_per_job(
        scan_profiles(market), scan_jobs(market), by_country=True, snapshots="all", min_count=1
    )
    india = by_country.filter(
        (pl.col("country") == "IN") & (pl.col("occupation") == "writing_translation")
    ).row(0, named=True)
    assert india["workers_per_job"] == 2.0  # 2 Indian writers per 1 writing job (day 1)
    suppressed = competition.workers_per_job(scan_profiles(market), scan_jobs(market))
    assert suppressed["workers_per_job"].null_count() == suppressed.height  # all under 10


def test_bids_per_job_by_hand(market):
    all_days = competition.bids_per_job(scan_jobs(market), snapshots="all", min_count=1)
    software = all_days.filter(pl.col("occupation") == "software_technology").row(0, named=True)
    assert software["jobs"] == 6  # 4 on day 1, 2 on day 2
    assert software["median_bids"] == np.median([0, 10, 50, 3, 4, 6])
    assert software["mean_bids"] == pytest.approx(np.mean([0, 10, 50, 3, 4, 6]))
    assert software["share_without_bids"] == pytest.approx(1 / 6)
    bands = competition.bids_per_job(
        scan_jobs(market), by="budget_band", snapshots="all", min_count=1
    )
    assert set(bands["budget_band"]) == {"fixed $30-250", "fixed <$30"}
    employers = competition.bids_per_job(
        scan_jobs(market), by="employer_country", snapshots="all", min_count=1
    )
    assert dict(employers.select("employer_country", "jobs").iter_rows()) == {"US": 6, "GB": 1}
    with pytest.raises(InputError, match="by must be one of"):
        competition.bids_per_job(scan_jobs(market), by="weekday")


def test_supply_and_demand_shares(market):
    table = competition.supply_demand_shares(scan_profiles(market), scan_jobs(market))
    day1 = {
        r["country"]: r for r in table.filter(pl.col("snapshot_date") == DAY1).iter_rows(named=True)
    }
    assert day1["PK"]["worker_share"] == pytest.approx(4 / 8)
    assert day1["IN"]["worker_share"] == pytest.approx(4 / 8)
    assert day1["US"]["job_share"] == pytest.approx(4 / 5) and day1["US"]["workers"] == 0
    assert day1["GB"]["job_share"] == pytest.approx(1 / 5)
    sums = table.group_by("snapshot_date").agg(pl.col("worker_share", "job_share").sum())
    np.testing.assert_allclose(sums["worker_share"], 1.0)
    np.testing.assert_allclose(sums["job_share"], 1.0)
    by_occupation = competition.supply_demand_shares(
        scan_profiles(market), scan_jobs(market), by_occupation=True
    )
    writing = by_occupation.filter(
        (pl.col("snapshot_date") == DAY1) & (pl.col("occupation") == "writing_translation")
    )
    assert writing.filter(pl.col("country") == "IN")["worker_share"].item() == 1.0
