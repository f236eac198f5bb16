"""Net-of-fee rates: what a freelancer keeps of an asking rate after the platform's service fee.

Each platform's documented freelancer fee lives in ``data/fees/platform_fees.csv`` (one row per
platform and rule, with the date it took effect where a source gives one, the source URL and
whether that source is the platform's own page; see ``data/fees/SOURCE.md``). A rate net of fees
is ``rate × (1 − s)``, with s the share of the client's payment the freelancer pays on an hourly
contract under the rule in force on the row's snapshot date:

- ``bound="max"`` (default): the flat fee, or for a tiered or ranged rule its highest tier - a
  new client relationship (Upwork 2016-2023, PeoplePerHour) or the top of a membership range
  (Guru). The net rate is then the least a freelancer keeps on new work.
- ``bound="min"``: the lowest share the rule allows (long relationships, the best membership): the
  most a freelancer keeps.

A rule without a documented start date applies to every snapshot (said in the notes); a snapshot
before a platform's earliest dated rule, or a platform without any documented fee, gets a null
net rate - never the gross rate, never zero. Fees paid by clients, withdrawal and conversion fees,
VAT and paid bids are not deducted.

Example
-------
>>> import polars as pl
>>> from datetime import date
>>> rows = pl.DataFrame({"platform": ["guru"], "snapshot_date": [date(2026, 11, 1)],
...                      "hourly_rate_usd": [20.0]})
>>> round(net_of_fee(rows)["hourly_rate_usd"].item(), 2)  # 9% job fee, the top of 5-9%
18.2
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Literal, TypeVar

import polars as pl

from olmstats.errors import InputError
from olmstats.inputs import checked_frame
from olmstats.paths import data_file

FeeBound = Literal["max", "min"]
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

SCHEDULE_SCHEMA = {
    "platform": pl.String,
    "valid_from": pl.Date,
    "rule": pl.String,
    "hourly_fee_share": pl.Float64,
    "hourly_fee_share_min": pl.Float64,
    "source_url": pl.String,
    "source_kind": pl.String,
    "note": pl.String,
}
SHARE_COLUMNS: dict[str, str] = {"max": "hourly_fee_share", "min": "hourly_fee_share_min"}


@cache
def _shipped_schedule() -> pl.DataFrame:
    frame = pl.read_csv(data_file("fees", "platform_fees.csv"), schema=SCHEDULE_SCHEMA)
    return check_schedule(frame)


def fee_schedule() -> pl.DataFrame:
    """The shipped fee rules: platform, valid_from (Date, null when no source dates the rule),
    rule, hourly_fee_share and hourly_fee_share_min (shares of the client's payment, 0-1),
    source_url, source_kind (``platform`` or ``third-party``) and note; sorted by platform and
    date."""
    return _shipped_schedule()


def check_schedule(schedule: pl.DataFrame) -> pl.DataFrame:
    """*schedule* if it is a valid fee table (columns of :data:`SCHEDULE_SCHEMA`, shares in
    [0, 1) with min ≤ max, at most one undated rule per platform and none beside dated ones, no
    two rules of a platform on one day); InputError in one line otherwise."""
    if not isinstance(schedule, pl.DataFrame):
        raise InputError(f"fee schedule must be a Polars DataFrame, got {type(schedule).__name__}")
    missing = [c for c in SCHEDULE_SCHEMA if c not in schedule.columns]
    if missing:
        raise InputError(f"fee schedule lacks column(s) {', '.join(missing)}")
    try:
        schedule = schedule.select(list(SCHEDULE_SCHEMA)).cast(SCHEDULE_SCHEMA)
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"fee schedule cannot be read: {str(exc).splitlines()[0]}") from None
    for row in schedule.iter_rows(named=True):
        high, low = row["hourly_fee_share"], row["hourly_fee_share_min"]
        for value in (high, low):
            if value is not None and not 0 <= value < 1:
                raise InputError(
                    f"fee share of {row['platform']} ({row['valid_from']}) must lie in [0, 1), "
                    f"got {value}"
                )
        if (high is None) != (low is None) or (high is not None and low > high):
            raise InputError(
                f"fee of {row['platform']} ({row['valid_from']}): hourly_fee_share_min must be "
                "given with hourly_fee_share and not exceed it"
            )
    for (name,), rules in schedule.group_by("platform"):
        undated = rules["valid_from"].null_count()
        if undated and rules.height > 1:
            raise InputError(
                f"fee schedule of {name}: an undated rule cannot stand beside other rules "
                "(date them all)"
            )
        if rules["valid_from"].drop_nulls().is_duplicated().any():
            raise InputError(f"fee schedule of {name}: two rules start on the same day")
    return schedule.sort("platform", "valid_from", nulls_last=False)


def _check_bound(bound: object) -> str:
    if bound not in SHARE_COLUMNS:
        raise InputError(f"bound must be 'max' or 'min', got {bound!r}")
    return SHARE_COLUMNS[bound]


def fee_share(
    platform: str | pl.Expr = "platform",
    on: str | pl.Expr = "snapshot_date",
    *,
    bound: FeeBound = "max",
    schedule: pl.DataFrame | None = None,
) -> pl.Expr:
    """The fee share (0-1, of the client's payment) in force for each row: the rule of the row's
    *platform* with the latest ``valid_from`` on or before the row's date *on*; an undated rule
    for every date; null where no rule applies. *bound* as in the module docstring."""
    column = _check_bound(bound)
    rules = fee_schedule() if schedule is None else check_schedule(schedule)
    platform = pl.col(platform) if isinstance(platform, str) else platform
    on = pl.col(on) if isinstance(on, str) else on
    chain = None
    for (name,), group in rules.group_by("platform", maintain_order=True):
        starts = group["valid_from"].to_list()
        shares = group[column].to_list()
        for i, (start, share) in enumerate(zip(starts, shares, strict=True)):
            condition = platform == name
            if start is not None:
                condition = condition & (on >= pl.lit(start))
                if i + 1 < len(starts):
                    condition = condition & (on < pl.lit(starts[i + 1]))
            value = pl.lit(share, dtype=pl.Float64)
            chain = (pl.when(condition) if chain is None else chain.when(condition)).then(value)
    if chain is None:
        return pl.lit(None, dtype=pl.Float64)
    return chain.otherwise(pl.lit(None, dtype=pl.Float64))


def net_of_fee(
    data: Frame | pl.Expr | str,
    *,
    rate: str = "hourly_rate_usd",
    bound: FeeBound = "max",
    schedule: pl.DataFrame | None = None,
) -> Frame | pl.Expr:
    """Rates net of each platform's freelancer fee (US$/hour in, US$/hour out).

    Parameters
    ----------
    data
        A profiles frame (DataFrame or LazyFrame with ``platform``, ``snapshot_date`` and the
        *rate* column), or an expression / column name of a rate to be evaluated where
        ``platform`` and ``snapshot_date`` are columns.
    rate
        The rate column of a frame (US$ per hour).
    bound
        ``"max"``: the highest fee the rule allows (flat fee, new client, top of a range);
        ``"min"``: the lowest.
    schedule
        A fee table shaped like :func:`fee_schedule` (default: the shipped one).

    Returns
    -------
    For a frame, the same kind of frame with *rate* replaced by the net rate (null where no fee
    is documented for the platform and date), the gross rate kept as ``<rate>_gross`` and the
    share applied as ``fee_share``; for an expression, the net-rate expression.
    """
    share = fee_share(bound=bound, schedule=schedule)
    if isinstance(data, str | pl.Expr):
        expression = pl.col(data) if isinstance(data, str) else data
        return expression * (1 - share)
    eager = isinstance(data, pl.DataFrame)
    frame = checked_frame(data, "profiles", ("platform", "snapshot_date", rate), rates=(rate,))
    frame = frame.with_columns(pl.col(rate).alias(f"{rate}_gross"), share.alias("fee_share"))
    frame = frame.with_columns((pl.col(rate) * (1 - pl.col("fee_share"))).alias(rate))
    return frame.collect() if eager else frame


def fees_used(
    profiles: pl.LazyFrame | pl.DataFrame,
    *,
    rate: str = "hourly_rate_usd",
    bound: FeeBound = "max",
    schedule: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Which rule each platform's rated rows were netted with: one row per platform and rule
    (``valid_from``, ``rule``, ``fee_share``, ``source_url``, ``source_kind``), with the rated
    ``rows`` and their snapshot dates; a platform or date without a documented fee appears with
    a null rule and share."""
    column = _check_bound(bound)
    rules = fee_schedule() if schedule is None else check_schedule(schedule)
    frame = checked_frame(profiles, "profiles", ("platform", "snapshot_date", rate))
    rows = (
        frame.filter(pl.col(rate).is_not_null())
        .group_by("platform", "snapshot_date")
        .agg(rows=pl.len())
        .collect()
    )
    out = []
    for platform, snapshot, count in rows.sort("platform", "snapshot_date").iter_rows():
        match = _rule_on(rules, platform, snapshot)
        out.append(
            {
                "platform": platform,
                "snapshot_date": snapshot,
                "rows": count,
                "valid_from": None if match is None else match["valid_from"],
                "rule": None if match is None else match["rule"],
                "fee_share": None if match is None else match[column],
                "source_url": None if match is None else match["source_url"],
                "source_kind": None if match is None else match["source_kind"],
                "undated": match is not None and match["valid_from"] is None,
            }
        )
    schema = {
        "platform": pl.String,
        "snapshot_date": pl.Date,
        "rows": pl.Int64,
        "valid_from": pl.Date,
        "rule": pl.String,
        "fee_share": pl.Float64,
        "source_url": pl.String,
        "source_kind": pl.String,
        "undated": pl.Boolean,
    }
    per_snapshot = pl.DataFrame(out, schema=schema)
    return (
        per_snapshot.group_by(
            "platform", "valid_from", "rule", "fee_share", "source_url", "source_kind", "undated"
        )
        .agg(
            rows=pl.col("rows").sum(),
            snapshot_first=pl.col("snapshot_date").min(),
            snapshot_last=pl.col("snapshot_date").max(),
        )
        .sort("platform", "snapshot_first")
    )


def _rule_on(rules: pl.DataFrame, platform: str, on: date) -> dict | None:
    """The rule of *platform* in force on *on* (the latest valid_from ≤ on; an undated one)."""
    candidates = rules.filter(pl.col("platform") == platform)
    undated = candidates.filter(pl.col("valid_from").is_null())
    if undated.height:
        return undated.row(0, named=True)
    started = candidates.filter(pl.col("valid_from") <= on)
    return started.row(-1, named=True) if started.height else None


def fee_notes(used: pl.DataFrame, *, bound: FeeBound = "max") -> list[str]:
    """One line per platform saying which fee, from which date and source, its rates were
    netted with (from :func:`fees_used`), and one line on what is not deducted."""
    from olmstats.platforms import platforms

    _check_bound(bound)
    known = platforms()
    which = (
        "the highest fee each rule allows (flat fee; a new client on tiered fees; the top of a "
        "membership range)"
        if bound == "max"
        else "the lowest fee each rule allows (long relationships, the best membership)"
    )
    lines = [f"Net of fees: rate × (1 − fee share), with {which}."]
    for row in used.iter_rows(named=True):
        name = known[row["platform"]].display_name if row["platform"] in known else row["platform"]
        span = (
            str(row["snapshot_first"])
            if row["snapshot_first"] == row["snapshot_last"]
            else f"{row['snapshot_first']} to {row['snapshot_last']}"
        )
        if row["rule"] is None:
            lines.append(
                f"{name}: no fee documented for snapshots {span} ({row['rows']:,} rated rows): "
                "net rates left empty."
            )
            continue
        since = (
            "its start date is not documented in the source (applied to every snapshot)"
            if row["undated"]
            else f"in force from {row['valid_from']}"
        )
        lines.append(
            f"{name}: {100 * row['fee_share']:g}% deducted ({row['rule']}); {since}; snapshots "
            f"{span}; source ({row['source_kind']}): {row['source_url']}."
        )
    lines.append(
        "Not deducted: fees paid by clients, withdrawal and currency-conversion fees, VAT, paid "
        "bids; a rate is what the profile asks, not what it earns (data/fees/SOURCE.md)."
    )
    return lines
