"""Competition ratios, computed by hand on a small store, and OLI's own occupation shares."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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


# OLI's occupations as olmstats' six classes (OLI's seventh, microwork, has no class here)
OLI_CLASSES = {
    "Clerical and data entry": "clerical_data_entry",
    "Creative and multimedia": "creative_multimedia",
    "Professional services": "professional_services",
    "Sales and marketing support": "sales_marketing",
    "Software development and technology": "software_technology",
    "Writing and translation": "writing_translation",
}
# how many days a project of each class stays open: the stock over-weights long-lived ones
DAYS_OPEN = {
    "clerical_data_entry": 1,
    "creative_multimedia": 3,
    "professional_services": 10,
    "sales_marketing": 2,
    "software_technology": 4,
    "writing_translation": 6,
}


def oli_market(tmp_path, month: str, per_point: float) -> tuple[Path, dict[str, int], dict]:
    """Job rows of a market whose daily new projects follow OLI's published level for *month*
    (``per_point`` projects a day per index point, every day of the month), each open for its
    class's DAYS_OPEN and crawled every day from the 1st to the 20th. Also returns the true
    number of projects posted per class from the 1st to the 14th, and OLI's published levels."""
    levels = pl.read_csv(OLI).filter(pl.col("date") == month).row(0, named=True)
    start = date.fromisoformat(month)
    per_day = {code: round(levels[name] * per_point) for name, code in OLI_CLASSES.items()}
    projects = []  # (id, class, posted day, employer country)
    n = 0
    for offset in range(-10, 20):  # some posted in the previous month, still open on the 1st
        day = start + timedelta(days=offset)
        for code, count in per_day.items():
            for k in range(count):
                projects.append((n, code, day, "US" if k % 3 else "GB"))
                n += 1
    truth = {code: 14 * count for code, count in per_day.items()}
    for snapshot_offset in range(20):
        snapshot = start + timedelta(days=snapshot_offset)
        rows = []
        for job, code, posted, country in projects:
            if posted <= snapshot < posted + timedelta(days=DAYS_OPEN[code]):
                r = job_row(job, country, code)
                r.update(
                    posted_at=datetime.combine(posted, time(9, 30), tzinfo=UTC),
                    observed_at=datetime.combine(snapshot, time(12), tzinfo=UTC),
                    run_id=f"crawl-{snapshot_offset}",
                )
                rows.append(r)
        write_frame(
            tmp_path,
            JOBS,
            pl.DataFrame(rows),
            platform="freelancer",
            snapshot_date=snapshot,
            run_id=f"crawl-{snapshot_offset}",
        )
    return tmp_path, truth, levels


def test_new_projects_from_job_rows_reproduce_oli_occupation_shares(tmp_path):
    """Occupation shares computed from job rows, not from OLI's own totals: a market posting
    projects at OLI's May 2016 daily levels, crawled daily, each project listed on every crawl
    while open. The flow counts each project once and gives OLI's shares (among the six
    classes); the stock at any one snapshot does not."""
    store, truth, levels = oli_market(tmp_path, "2016-05-01", per_point=10.0)
    flow = competition.new_projects(
        scan_jobs(store), since=date(2016, 5, 1), until=date(2016, 5, 14)
    )
    got = dict(flow.table.select("occupation", "new_projects").iter_rows())
    assert got == truth  # every project once: none double-counted over its crawls, none lost
    six = sum(levels[name] for name in OLI_CLASSES)
    for name, code in OLI_CLASSES.items():
        share = flow.table.filter(pl.col("occupation") == code)["share"].item()
        assert share == pytest.approx(levels[name] / six, abs=0.001)  # rounding of counts only
    software = flow.table.filter(pl.col("occupation") == "software_technology").row(0, named=True)
    assert software["days"] == 14
    assert software["new_projects_per_day"] == truth["software_technology"] / 14
    assert (software["undated"], flow.since, flow.until) == (0, date(2016, 5, 1), date(2016, 5, 14))
    # by employer country: every third project GB, the rest US, in each class and day
    countries = competition.new_projects(
        scan_jobs(store), since=date(2016, 5, 1), until=date(2016, 5, 14), by=["employer_country"]
    ).table
    per_day = {code: count // 14 for code, count in truth.items()}
    gb = 14 * sum(len(range(0, count, 3)) for count in per_day.values())
    assert dict(countries.select("employer_country", "new_projects").iter_rows()) == {
        "GB": gb,
        "US": sum(truth.values()) - gb,
    }
    # The stock on 10 May (every class's full lifetime covered): per_day × days open, so
    # professional services (open 10 days) weighs far more than in the flow.
    rows = scan_jobs(store).filter(pl.col("snapshot_date") == date(2016, 5, 10)).collect()
    stock = dict(competition.shares(rows, "occupation").select("occupation", "share").iter_rows())
    open_total = sum(per_day[c] * DAYS_OPEN[c] for c in per_day)
    for code in per_day:
        assert stock[code] == pytest.approx(per_day[code] * DAYS_OPEN[code] / open_total)
    professional = levels["Professional services"] / six
    assert stock["professional_services"] > 2 * professional


def test_new_projects_daily_and_bad_input(tmp_path):
    store, truth, _ = oli_market(tmp_path, "2016-06-01", per_point=1.0)
    daily = competition.new_projects(
        scan_jobs(store), since=date(2016, 6, 3), until=date(2016, 6, 5), daily=True
    ).table
    assert daily["posted_on"].unique().sort().to_list() == [
        date(2016, 6, 3),
        date(2016, 6, 4),
        date(2016, 6, 5),
    ]
    one_day = daily.filter(pl.col("posted_on") == date(2016, 6, 4))
    assert one_day["new_projects"].sum() == sum(truth.values()) // 14
    np.testing.assert_allclose(one_day["share"].sum(), 1.0)
    with pytest.raises(InputError, match="by must be among occupation, employer_country"):
        competition.new_projects(scan_jobs(store), by=["skill"])
    with pytest.raises(InputError, match="posted_at"):
        competition.new_projects(scan_jobs(store).drop("posted_at"))


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
    assert (software["workers"], software["open_projects"], software["workers_per_job"]) == (
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
    assert software["open_projects"] == 6  # 4 on day 1, 2 on day 2
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
    assert dict(employers.select("employer_country", "open_projects").iter_rows()) == {
        "US": 6,
        "GB": 1,
    }
    with pytest.raises(InputError, match="by must be one of"):
        competition.bids_per_job(scan_jobs(market), by="weekday")


def test_supply_and_demand_shares(market):
    table = competition.supply_demand_shares(scan_profiles(market), scan_jobs(market))
    day1 = {
        r["country"]: r for r in table.filter(pl.col("snapshot_date") == DAY1).iter_rows(named=True)
    }
    assert day1["PK"]["worker_share"] == pytest.approx(4 / 8)
    assert day1["IN"]["worker_share"] == pytest.approx(4 / 8)
    assert day1["US"]["open_project_share"] == pytest.approx(4 / 5) and day1["US"]["workers"] == 0
    assert day1["GB"]["open_project_share"] == pytest.approx(1 / 5)
    sums = table.group_by("snapshot_date").agg(pl.col("worker_share", "open_project_share").sum())
    np.testing.assert_allclose(sums["worker_share"], 1.0)
    np.testing.assert_allclose(sums["open_project_share"], 1.0)
    by_occupation = competition.supply_demand_shares(
        scan_profiles(market), scan_jobs(market), by_occupation=True
    )
    writing = by_occupation.filter(
        (pl.col("snapshot_date") == DAY1) & (pl.col("occupation") == "writing_translation")
    )
    assert writing.filter(pl.col("country") == "IN")["worker_share"].item() == 1.0
