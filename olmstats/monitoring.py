"""Which crawl runs need a look: the checks behind ``olm runs --check``.

A run is flagged when

- it did not complete: ``incomplete``, ``blocked`` or ``failed`` (its problems say why);
- it is ``running`` but started more than *stale_hours* ago (killed, or hung);
- it kept fewer rows than the previous run of the same crawl by more than *max_fall* (a share:
  0.5 flags a fall by more than half). Runs are the same crawl when plan, spider and arguments
  are equal; the previous one is the latest earlier run of that crawl that completed (a failed
  run that kept nothing must not hide a fall);
- its rows dropped for failing a check (``items_rejected``: not the out-of-scope filters such
  as closed jobs or an entity met twice) are more than *max_drop_share* of the rows it saw
  (kept + dropped);
- its values set to null as implausible (``olm/fix/…``) are more than *max_fix_share* per row
  kept.

Why not Spidermon: its monitors run inside one crawl, at that spider's close, over that job's
stats. These checks compare runs with each other across days, read only the run records on disk,
and must also see runs that were killed before any close handler ran; a crawl's own stats are
already in its record. Alerting is left to the scheduler: ``olm runs --check`` exits 1 when
anything is flagged, so systemd's ``OnFailure=`` or cron's mail fires.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from olmstats.errors import InputError

DEFAULT_MAX_FALL = 0.5
DEFAULT_MAX_DROP_SHARE = 0.05
DEFAULT_MAX_FIX_SHARE = 0.05
DEFAULT_STALE_HOURS = 24.0


def _share(value: float, name: str) -> float:
    if not (0 <= value <= 1):
        raise InputError(f"{name} must be a share between 0 and 1, got {value!r}")
    return value


def flag_runs(
    runs: pl.DataFrame,
    *,
    max_fall: float = DEFAULT_MAX_FALL,
    max_drop_share: float = DEFAULT_MAX_DROP_SHARE,
    max_fix_share: float = DEFAULT_MAX_FIX_SHARE,
    stale_hours: float = DEFAULT_STALE_HOURS,
    now: datetime | None = None,
) -> pl.DataFrame:
    """*runs* (as :func:`olmstats.store.read_runs` gives them) with ``previous_run``,
    ``items_change`` (share, against the previous run of the same crawl) and ``flags`` (the
    reasons, ``; ``-separated; null when nothing is flagged). See the module docstring."""
    _share(max_fall, "max_fall")
    _share(max_drop_share, "max_drop_share")
    _share(max_fix_share, "max_fix_share")
    if not stale_hours > 0:
        raise InputError(f"stale_hours must be positive, got {stale_hours!r}")
    now = now or datetime.now(UTC)
    crawl = [pl.col("plan").fill_null(""), "spider", pl.col("arguments").fill_null("")]
    ended = pl.col("status") != "running"
    ordered = runs.with_columns(
        started=pl.col("started_at").str.to_datetime(time_zone="UTC", strict=False)
    ).sort("started", "run_id", nulls_last=False)
    # the latest earlier complete run of the same crawl: carried forward over complete runs
    complete = pl.col("status") == "complete"
    ordered = ordered.with_columns(
        _ended_kept=pl.when(complete).then(pl.col("items_kept")),
        _ended_id=pl.when(complete).then(pl.col("run_id")),
    ).with_columns(
        previous_kept=pl.col("_ended_kept").shift(1).forward_fill().over(crawl),
        previous_run=pl.col("_ended_id").shift(1).forward_fill().over(crawl),
    )
    change = pl.when(pl.col("previous_kept") > 0).then(
        pl.col("items_kept") / pl.col("previous_kept") - 1
    )
    seen = pl.col("items_kept") + pl.col("items_dropped")
    drop_share = pl.when(seen > 0).then(pl.col("items_rejected") / seen)
    fix_share = pl.when(pl.col("items_kept") > 0).then(pl.col("items_fixed") / pl.col("items_kept"))
    hours = (pl.lit(now) - pl.col("started")).dt.total_seconds() / 3600
    reasons = [
        pl.when(pl.col("status").is_in(["incomplete", "blocked", "failed"])).then(
            pl.format(
                "{}: {}", pl.col("status"), pl.col("problems").fill_null("no reason recorded")
            )
        ),
        pl.when((pl.col("status") == "running") & (hours > stale_hours)).then(
            pl.format("running for {} h: killed or hung?", hours.round(0).cast(pl.Int64))
        ),
        pl.when(ended & (pl.col("_change") < -max_fall)).then(
            pl.format(
                "kept {} rows, {}% fewer than {} ({})",
                "items_kept",
                (-100 * pl.col("_change")).round(0).cast(pl.Int64),
                "previous_run",
                "previous_kept",
            )
        ),
        pl.when(pl.col("_drop") > max_drop_share).then(
            pl.format("{}% of rows dropped as invalid", (100 * pl.col("_drop")).round(1))
        ),
        pl.when(pl.col("_fix") > max_fix_share).then(
            pl.format("{} implausible values nulled per 100 rows", (100 * pl.col("_fix")).round(1))
        ),
    ]
    flagged = ordered.with_columns(_change=change, _drop=drop_share, _fix=fix_share).with_columns(
        items_change=pl.col("_change"),
        flags=pl.concat_str(reasons, separator="; ", ignore_nulls=True),
    )
    return flagged.with_columns(flags=pl.when(pl.col("flags") != "").then(pl.col("flags"))).select(
        *runs.columns, "previous_run", "items_change", "flags"
    )
