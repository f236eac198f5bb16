"""How crowded is the market a worker enters? Workers per job, bids per job, shares.

What is counted (printed with every table): **workers** are distinct profiles listed in the
public directory, each at its latest observation in the snapshot; many listed profiles are not
active workers, so ratios are upper bounds on competition among active workers. **Jobs** are
distinct open projects at the snapshot (not jobs filled over a period). **Bids** are the
platform's bid counts on open projects when observed (a project still open gathers more).

- ``workers_per_job``: profiles per open job by occupation (global), and by occupation × worker
  country against global demand for that occupation; per snapshot, or averaged over snapshots.
- ``bids_per_job``: median and mean bid count by occupation, budget band or employer country.
- ``supply_demand_shares``: the Online Labour Index's view: each country's share of workers (by
  where workers are) and of jobs (by where employers are), optionally by occupation, per
  snapshot.
- ``new_projects``: the **flow** the Online Labour Index counts - projects posted per day in a
  window, each counted once however many crawls saw it (deduplicated by pseudonymised id and
  ``posted_at``), by occupation and employer country. Open projects at one snapshot are a
  **stock** (stock = flow × mean time open), so occupations whose projects stay open longer
  weigh more in the stock than in the flow; OLI's shares are shares of the flow (tested on job
  rows built from OLI's published daily levels).
- ``shares``: the share function everything above uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from olmstats.errors import InputError
from olmstats.inputs import check_min_count, check_window, jobs_input, profiles_input
from olmstats.metrics import suppressed

COUNTED = (
    "workers: distinct profiles listed in the directory (not all active); open projects: "
    "distinct projects open at the snapshot (a stock, not projects posted per day); bids: bid "
    "counts on open projects when observed."
)
FIXED_BANDS_USD = (30.0, 250.0, 750.0, 1500.0)  # upper edges of the middle of the budget
FIXED_LABELS = ("fixed <$30", "fixed $30-250", "fixed $250-750", "fixed $750-1500", "fixed $1500+")
HOURLY_BANDS_USD = (8.0, 15.0, 25.0, 50.0)
HOURLY_LABELS = (
    "hourly <$8/h",
    "hourly $8-15/h",
    "hourly $15-25/h",
    "hourly $25-50/h",
    "hourly $50+/h",
)


def shares(
    frame: pl.DataFrame | pl.LazyFrame,
    category: str,
    *,
    within: Sequence[str] = (),
    weight: str | None = None,
) -> pl.DataFrame:
    """Share of each *category* value within each *within* group: counts of rows, or sums of
    *weight*. Columns: within..., category, amount, total, share."""
    keys = [*within, category]
    amount = pl.len().cast(pl.Float64) if weight is None else pl.col(weight).sum()
    grouped = frame.lazy().group_by(keys).agg(amount=amount)
    total = pl.col("amount").sum().over(list(within)) if within else pl.col("amount").sum()
    return (
        grouped.with_columns(total=total)
        .with_columns(share=pl.col("amount") / pl.col("total"))
        .sort(keys)
        .collect()
    )


def _latest_rows(frame: pl.LazyFrame, key: str, snapshots: str) -> pl.LazyFrame:
    """One row per entity per snapshot (``all``) or at the latest snapshot only (``latest``).

    Within one run every entity is stored once (see olmstats.store), so only snapshots holding
    several runs need deduplicating; the check reads the small run_id column.
    """
    if snapshots not in ("latest", "all"):
        raise InputError("snapshots must be 'latest' or 'all'")
    if snapshots == "latest":
        frame = frame.filter(pl.col("snapshot_date") == pl.col("snapshot_date").max())
    runs_per_snapshot = frame.group_by("snapshot_date").agg(pl.col("run_id").n_unique())
    if runs_per_snapshot.select(pl.col("run_id").max()).collect().item() in (None, 1):
        return frame
    return frame.unique(subset=["platform", "snapshot_date", key])


def workers_per_job(
    profiles: pl.LazyFrame,
    jobs: pl.LazyFrame,
    *,
    by_country: bool = False,
    snapshots: str = "latest",
    min_count: int = 10,
) -> pl.DataFrame:
    """Profiles per open job in each occupation (and, with *by_country*, each worker country's
    profiles per global open job in the occupation). With ``snapshots="all"`` the ratio is
    computed per snapshot date present in both datasets and averaged."""
    profiles, jobs = profiles_input(profiles, rates=False), jobs_input(jobs)
    check_min_count(min_count)
    people = _latest_rows(profiles, "profile_id", snapshots).drop_nulls("occupation")
    work = _latest_rows(jobs, "job_id", snapshots).drop_nulls("occupation")
    worker_keys = ["snapshot_date", "occupation"] + (["country"] if by_country else [])
    workers = people.group_by(worker_keys).agg(workers=pl.len())
    openings = work.group_by("snapshot_date", "occupation").agg(open_projects=pl.len())
    if snapshots == "latest":  # the two datasets may have been crawled on different days
        workers = workers.drop("snapshot_date")
        openings = openings.drop("snapshot_date")
        on = ["occupation"]
    else:
        on = ["snapshot_date", "occupation"]
    ratios = workers.join(openings, on=on, how="left").with_columns(
        workers_per_job=pl.when(pl.col("open_projects") > 0).then(
            pl.col("workers") / pl.col("open_projects")
        )
    )
    keys = ["occupation"] + (["country"] if by_country else [])
    table = (
        ratios.group_by(keys)
        .agg(
            workers=pl.col("workers").mean(),
            open_projects=pl.col("open_projects").mean(),
            workers_per_job=pl.col("workers_per_job").mean(),
            snapshots=pl.len(),
        )
        .collect()
    )
    return table.with_columns(
        workers_per_job=suppressed(pl.col("workers_per_job"), pl.col("workers"), min_count)
    ).sort(keys)


def budget_band() -> pl.Expr:
    """Budget band of a job from the middle of its US$ budget (per hour for hourly jobs)."""
    middle = (pl.col("budget_min_usd") + pl.col("budget_max_usd")) / 2
    middle = pl.coalesce(middle, pl.col("budget_min_usd"), pl.col("budget_max_usd"))

    def chain(edges: Sequence[float], labels: Sequence[str]) -> pl.Expr:
        expr = pl.when(middle.is_null()).then(pl.lit(None, pl.String))
        for edge, label in zip(edges, labels, strict=False):
            expr = expr.when(middle < edge).then(pl.lit(label))
        return expr.otherwise(pl.lit(labels[-1]))

    return (
        pl.when(pl.col("job_type") == "hourly")
        .then(chain(HOURLY_BANDS_USD, HOURLY_LABELS))
        .otherwise(chain(FIXED_BANDS_USD, FIXED_LABELS))
    )


BID_GROUPS = ("occupation", "budget_band", "employer_country")


def bids_per_job(
    jobs: pl.LazyFrame, *, by: str = "occupation", snapshots: str = "latest", min_count: int = 10
) -> pl.DataFrame:
    """Median and mean bids per open project, by occupation, budget band or employer country."""
    jobs = jobs_input(jobs, "bid_count", "budget_min_usd", "budget_max_usd")
    check_min_count(min_count)
    if by not in BID_GROUPS:
        raise InputError(f"by must be one of {', '.join(BID_GROUPS)}, got {by!r}")
    work = _latest_rows(jobs, "job_id", snapshots).with_columns(budget_band=budget_band())
    table = (
        work.drop_nulls(["bid_count", by])
        .group_by(by)
        .agg(
            open_projects=pl.len(),
            median_bids=pl.col("bid_count").median(),
            mean_bids=pl.col("bid_count").mean(),
            share_without_bids=(pl.col("bid_count") == 0).mean(),
        )
        .collect()
    )
    enough = pl.col("open_projects")
    return table.with_columns(
        suppressed(pl.col(c), enough, min_count)
        for c in ("median_bids", "mean_bids", "share_without_bids")
    ).sort("open_projects", descending=True)


def supply_demand_shares(
    profiles: pl.LazyFrame, jobs: pl.LazyFrame, *, by_occupation: bool = False
) -> pl.DataFrame:
    """Per snapshot date (and occupation): each country's share of workers (where workers are)
    and of jobs (where employers are), as the Online Labour Index reports them."""
    profiles, jobs = profiles_input(profiles, rates=False), jobs_input(jobs)
    within = ["snapshot_date"] + (["occupation"] if by_occupation else [])
    people = _latest_rows(profiles, "profile_id", "all")
    work = (
        _latest_rows(jobs, "job_id", "all")
        .drop_nulls("employer_country")
        .rename({"employer_country": "country"})
    )
    if by_occupation:
        people = people.drop_nulls("occupation")
        work = work.drop_nulls("occupation")
    supply = (
        shares(people, "country", within=within)
        .rename({"amount": "workers", "share": "worker_share"})
        .drop("total")
    )
    demand = (
        shares(work, "country", within=within)
        .rename({"amount": "open_projects", "share": "open_project_share"})
        .drop("total")
    )
    return (
        supply.join(demand, on=[*within, "country"], how="full", coalesce=True)
        .with_columns(
            pl.col("workers", "open_projects", "worker_share", "open_project_share").fill_null(0.0)
        )
        .sort([*within, "workers"], descending=[False] * len(within) + [True])
    )


FLOW_GROUPS = ("occupation", "employer_country")


def new_projects(
    jobs: pl.LazyFrame | pl.DataFrame,
    *,
    since: date | None = None,
    until: date | None = None,
    by: Sequence[str] = ("occupation",),
    daily: bool = False,
) -> NewProjects:
    """Projects posted per day in a window: the flow of new demand the OLI counts.

    A project is the pair (platform, pseudonymised ``job_id``) with its ``posted_at``: however
    many crawls listed it, it counts once, on the UTC day it was posted. A project whose platform
    shows no posting time is dated by the first snapshot that saw it, and counted in
    ``undated``. The window is ``since``..``until`` inclusive (default: the first to the last
    snapshot date in the data); projects posted before it (still open at its first crawl) are
    not new in it.

    Parameters
    ----------
    jobs
        Job rows with ``platform``, ``snapshot_date``, ``job_id``, ``posted_at`` (UTC
        timestamp) and the columns of *by*.
    by
        Any of ``occupation`` and ``employer_country`` (none: the platform total).
    daily
        One row per posting day (and group) instead of the window's mean per day.

    Returns
    -------
    NewProjects
        ``table``: *by*..., ``new_projects`` (count), ``days`` (window length),
        ``new_projects_per_day``, ``share`` (of the window's new projects with a value of *by*),
        ``undated``; with *daily*, ``posted_on`` instead of ``days``. ``since``/``until``: the
        window used; ``notes``: the definition and what a crawl cadence can miss.

    Notes
    -----
    A project that opened and closed between two crawls is never seen, so the flow is a lower
    bound unless crawls are more frequent than the shortest time a project stays open; projects
    posted on the window's last days may still appear in later crawls (crawl past ``until``).
    """
    by = list(by)
    unknown = [g for g in by if g not in FLOW_GROUPS]
    if unknown:
        raise InputError(f"by must be among {', '.join(FLOW_GROUPS)}, got {unknown[0]!r}")
    check_window(since, until)
    frame = jobs_input(jobs, "posted_at")
    if since is None or until is None:
        first, last = (
            frame.select(first=pl.col("snapshot_date").min(), last=pl.col("snapshot_date").max())
            .collect()
            .row(0)
        )
        if first is None:
            raise InputError("jobs is empty: no new projects can be counted")
        since, until = since or first, until or last
    # one row per project: the first snapshot that saw it and its posting time
    projects = (
        frame.group_by("platform", "job_id", "posted_at")
        .agg(
            pl.col("snapshot_date").min().alias("first_seen"),
            *[pl.col(g).sort_by("snapshot_date").last() for g in by],
        )
        .with_columns(
            posted_on=pl.coalesce(
                pl.col("posted_at").dt.convert_time_zone("UTC").dt.date(), pl.col("first_seen")
            ),
            undated=pl.col("posted_at").is_null(),
        )
        .filter(pl.col("posted_on").is_between(since, until))
    )
    keys = [*by, "posted_on"] if daily else by
    counted = projects.drop_nulls(by) if by else projects
    counts = {"new_projects": pl.len(), "undated": pl.col("undated").sum()}
    table = (
        (counted.group_by(keys).agg(**counts) if keys else counted.select(**counts))
        .collect()
        .with_columns(pl.col("new_projects", "undated").cast(pl.Int64))
    )
    days = (until - since).days + 1
    within = ["posted_on"] if daily else []
    total = pl.col("new_projects").sum().over(within) if within else pl.col("new_projects").sum()
    table = table.with_columns(share=pl.col("new_projects") / total)
    if daily:
        table = table.sort([*keys])
    else:
        table = table.with_columns(
            days=pl.lit(days, pl.Int64), new_projects_per_day=pl.col("new_projects") / days
        ).sort("new_projects", descending=True)
    missing = projects.select(
        [pl.col(g).is_null().sum().alias(g) for g in by] or [pl.len().alias("_")]
    ).collect()
    notes = [
        f"new projects: distinct projects posted {since} to {until} ({days} days, UTC), each "
        "counted once however many crawls listed it (pseudonymised id and posting time); "
        "dated by posted_at, or by the first crawl that saw it where the platform shows none "
        "(undated).",
        "A flow, as the Online Labour Index counts: open projects at a snapshot are a stock "
        "(stock = flow × mean time open). Projects that opened and closed between two crawls "
        "are not seen: crawl more often than the shortest listing lives.",
    ]
    crawls = (
        frame.filter(pl.col("snapshot_date").is_between(since, until + timedelta(days=1)))
        .select(pl.col("snapshot_date").n_unique())
        .collect()
        .item()
    )
    if crawls < 2:
        notes.append(
            f"{'No crawl' if crawls == 0 else 'Only one crawl'} from {since} to "
            f"{until + timedelta(days=1)}: a flow needs crawls spread over the window; projects "
            "posted in it and closed before a crawl saw them are missing (a lower bound)."
        )
    for g in by:
        if missing[g][0]:
            notes.append(f"{missing[g][0]:,} new projects without {g} are left out of the table.")
    return NewProjects(table, since, until, notes)


@dataclass(frozen=True)
class NewProjects:
    """The flow table of :func:`new_projects`, its window and its notes."""

    table: pl.DataFrame
    since: date
    until: date
    notes: list[str] = field(default_factory=list)
