"""The full country table reads the store once and hands the same rows to every part: each
column equals the part computed on its own, on the store and on a snapshot window."""

from __future__ import annotations

import polars as pl
import pytest

from olmstats import progression, scan_profiles
from olmstats.country_table import crowding, full_country_table
from olmstats.earnings import relative_earnings
from olmstats.simulate import MarketParameters, PanelParameters, simulate_panel, write_panel_store
from olmstats.summary import country_summary
from tests.conftest import TEST_KEY


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    store = tmp_path_factory.mktemp("panel-table")
    simulated = simulate_panel(MarketParameters(seed=8, n_profiles=4000), PanelParameters(waves=3))
    write_panel_store(simulated, store, key=TEST_KEY)
    days = simulated.snapshot_dates
    # open projects at each snapshot: occupations cycle, so both windows have every one
    occupations = sorted(
        scan_profiles(store)
        .select(pl.col("occupation").drop_nulls().unique())
        .collect()["occupation"]
    )
    jobs = pl.DataFrame(
        [
            {
                "snapshot_date": day,
                "job_id": f"{day}-{i}",
                "employer_country": ["US", "GB", "IN"][i % 3],
                "occupation": occupations[i % len(occupations)],
                "bid_count": (i * (w + 3)) % 17,
                "budget_min_usd": 10.0,
                "budget_max_usd": 30.0,
                "job_type": "fixed",
            }
            for w, day in enumerate(days)
            for i in range(60 + 30 * w)
        ]
    )
    return scan_profiles(store), jobs, days


def by_country(frame: pl.DataFrame, column: str) -> dict:
    return dict(zip(frame["country"], frame[column], strict=True))


@pytest.mark.parametrize("window", ["all", "since", "until"])
def test_every_column_equals_its_part_on_the_same_rows(panel, window):
    profiles, jobs, days = panel
    since = days[1] if window == "since" else None
    until = days[1] if window == "until" else None
    table = full_country_table(profiles, jobs, since=since, until=until, draws=200).table
    inside = profiles
    inside_jobs = jobs
    if since:
        inside = inside.filter(pl.col("snapshot_date") >= since)
        inside_jobs = inside_jobs.filter(pl.col("snapshot_date") >= since)
    if until:
        inside = inside.filter(pl.col("snapshot_date") <= until)
        inside_jobs = inside_jobs.filter(pl.col("snapshot_date") <= until)
    summary = country_summary(profiles, jobs, since=since, until=until)
    for column in ("profiles", "rate_median_usd", "rate_median_ci_low", "open_projects"):
        assert by_country(table, column) == by_country(summary, column), column
    slopes = progression.rate_progression(inside, by="country")
    expected = by_country(slopes, "percent")
    got = by_country(
        table.filter(pl.col("tenure_pct_per_year").is_not_null()), "tenure_pct_per_year"
    )
    assert got and got == pytest.approx({c: expected[c] for c in got}, rel=1e-9)
    earned = relative_earnings(inside, draws=200).countries
    for column in ("nominal", "local_low", "adj_platform"):
        want = {c: v for c, v in by_country(earned, column).items() if v is not None}
        have = {c: v for c, v in by_country(table, column).items() if c in want}
        assert have == pytest.approx(want, rel=1e-9), column
    crowded = crowding(inside, inside_jobs)
    assert by_country(table.drop_nulls("workers_per_job"), "workers_per_job") == pytest.approx(
        by_country(crowded.drop_nulls("workers_per_job"), "workers_per_job"), rel=1e-12
    )
