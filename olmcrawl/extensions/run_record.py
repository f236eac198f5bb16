"""The run record of every crawl: <store>/runs/<run_id>.json, and the run's outcome.

Created exclusively when the spider opens (status ``running``; a run id already in the store is
refused with reason ``run_id_exists`` before any request), rewritten as soon as the first
response says where the data comes from (``platform``, or the replay's simulated origin; the
``OLM_DATA_ORIGIN`` setting names it up front), and rewritten when the spider closes with the
outcome (:mod:`olmstats.store.runs`: ``complete``, ``incomplete``, ``blocked`` or ``failed``)
and the problems that decided it. A killed crawl therefore leaves a record that says
``running`` and still names its data origin. Beside the record the run keeps a hidden
256 KiB reserve file, removed at the end: on a full disk its space takes the last record, so
that even then the record says the run failed.

Contents: spider, arguments, politeness settings, start and end, items kept (rows durably in
the store) and dropped by reason, items lost (passed every check but never written), every
listing with its pages and outcome, data-quality counts, response codes, files written, where
the data came from and the pseudonym key's fingerprint. The outcome is also left in the stats
(``olm/outcome``, ``olm/problems``) for the caller.
"""

from __future__ import annotations

import contextlib
import platform as host_platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import scrapy
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

import olmstats as olmstats_package
from olmstats import __version__
from olmstats.errors import StoreWriteError
from olmstats.schema import SCHEMA_VERSION
from olmstats.store import Outcome, create_run_record, update_run_record
from olmstats.store.layout import (
    RUNS_DIR,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    run_part_files,
    run_record_path,
)
from olmstats.store.runs import RUNNING, StoreProblem, read_run_record
from olmstats.store.writing import write_new_file

REPLAY_HEADER = b"X-Olm-Replay"
POLITENESS_SETTINGS = (
    "ROBOTSTXT_OBEY",
    "AUTOTHROTTLE_ENABLED",
    "DOWNLOAD_DELAY",
    "DOWNLOAD_DELAY_JITTER",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "USER_AGENT",
    "RETRY_TIMES",
)
#: Finish reasons that mean the run could not do its job.
FAILED_REASONS = frozenset(
    {
        "bad_arguments",
        "unknown_skill",
        "unknown_country",
        "no_pseudonym_key",
        "impolite_settings",
        "store_write_failed",
        "run_id_exists",
        "bootstrap_failed",
        "redis_unreachable",
    }
)


#: Space kept free for the run's last record, so that a full disk can still be reported.
RESERVE_BYTES = 256 * 1024


def reserve_space(path: Path) -> None:
    """Write *path* (hidden, RESERVE_BYTES of zeros); StoreWriteError if the disk cannot."""
    write_new_file(path, lambda handle: handle.write(b"\0" * RESERVE_BYTES))


def counts(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    """{rest of key: value} of the stats under *prefix* (one level)."""
    return {
        key.removeprefix(prefix): value
        for key, value in stats.items()
        if key.startswith(prefix) and "/" not in key.removeprefix(prefix)
    }


def classify_run(reason: str, spider: Spider, stats: dict[str, Any]) -> tuple[str, list[str]]:
    """(status, problems) of a run that closed with finish reason *reason*."""
    failure = stats.get("olm/failure")
    write_failure = stats.get("olm/store/write_failed")
    if write_failure:
        return Outcome.failed, [f"store_write_failed: {write_failure}"]
    if reason in FAILED_REASONS:
        return Outcome.failed, [f"{reason}: {failure}" if failure else reason]
    if reason.startswith("blocked_") or reason == "rate_limited":
        return Outcome.blocked, [f"{reason}: {failure}" if failure else reason]
    problems = []
    if reason != "finished":
        problems.append(f"stopped early ({reason})" + (f": {failure}" if failure else ""))
    listings = getattr(spider, "listings", None)
    not_read = listings.not_read() if listings is not None else []
    if not_read:
        shown = "; ".join(item.describe() for item in not_read[:3])
        more = f"; and {len(not_read) - 3} more" if len(not_read) > 3 else ""
        problems.append(f"{len(not_read)} of {len(listings)} listings not read: {shown}{more}")
    if listings is not None:
        problems += listings.problems()
    callback_errors = stats.get("olm/errors/callback", 0)
    if callback_errors:
        problems.append(f"{callback_errors} spider callback error(s)")
    pipeline_errors = stats.get("olm/errors/pipeline", 0)
    if pipeline_errors:
        problems.append(f"{pipeline_errors} item(s) lost to pipeline errors")
    return (Outcome.incomplete if problems else Outcome.complete), problems


class RunRecordExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store = Path(crawler.settings.get("OLM_STORE"))
        self.data_origin: str | None = crawler.settings.get("OLM_DATA_ORIGIN") or None
        self.owns_record = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        return ext

    # -- signals ---------------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        self.data_origin = self.data_origin or getattr(spider, "data_origin", None)
        if getattr(spider, "resumed", None) is not None:
            self.reopen(spider)
            return
        run_id = spider.run_id
        taken = run_record_path(self.store, run_id).exists() or bool(
            run_part_files(self.store, run_id)
        )
        try:
            if taken:
                raise CloseSpider("run_id_exists")
            create_run_record(self.store, self.record(spider, status=RUNNING))
            self.owns_record = True
            reserve_space(self.reserve_path(spider))
        except CloseSpider:
            self.refuse(spider, "run_id_exists", f"run id {run_id} already exists in {self.store}")
        except StoreWriteError as exc:
            self.refuse(spider, "store_write_failed", str(exc))

    def reopen(self, spider: Spider) -> None:
        """A resumed run: its record must be the unfinished one the job directory names."""
        found = read_run_record(run_record_path(self.store, spider.run_id))
        if isinstance(found, StoreProblem):
            self.refuse(spider, "run_id_exists", f"cannot resume {spider.run_id}: {found.message}")
        if found.get("status") != RUNNING and found.get("finish_reason") != "shutdown":
            self.refuse(
                spider, "run_id_exists", f"run {spider.run_id} already ended ({found['status']})"
            )
        self.data_origin = self.data_origin or found.get("data_origin")
        self.resumed_at = [*found.get("resumed", []), datetime.now(UTC).isoformat()]
        self.owns_record = True
        try:
            self.write(spider, status=RUNNING)
            reserve = self.reserve_path(spider)
            with contextlib.suppress(FileNotFoundError):
                reserve.unlink()  # left by the killed process
            reserve_space(reserve)
        except StoreWriteError as exc:
            self.refuse(spider, "store_write_failed", str(exc))

    def refuse(self, spider: Spider, reason: str, message: str) -> None:
        """Close before any request: the record cannot be created."""
        self.crawler.stats.set_value("olm/failure", message)
        if not self.owns_record:
            self.crawler.stats.set_value("olm/run_record/not_written", message)
        spider.logger.error(message)
        raise CloseSpider(reason)

    def response_received(
        self, response: Response, request: scrapy.Request, spider: Spider
    ) -> None:
        if self.data_origin is not None:
            return
        origin = response.headers.get(REPLAY_HEADER)
        self.data_origin = origin.decode("utf-8", "replace") if origin else "platform"
        self.write(spider, status=RUNNING)

    def item_error(self, item: Any, response: Response, spider: Spider, failure: Failure) -> None:
        self.crawler.stats.inc_value("olm/errors/pipeline")
        self.crawler.stats.inc_value(f"olm/errors/pipeline/{type(failure.value).__name__}")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        listings = getattr(spider, "listings", None)
        if listings is not None:
            listings.close(stopped=reason != "finished")
        status, problems = classify_run(reason, spider, stats.get_stats())
        notes = listings.shortfalls() if listings is not None else []
        notes += list(getattr(spider, "run_notes", []))
        if notes:
            stats.set_value("olm/listing/short_of_total", len(notes))
        stats.set_value("olm/outcome", str(status))
        stats.set_value("olm/problems", problems)
        stats.set_value("olm/notes", notes)
        self.write(spider, status=str(status), reason=reason, problems=problems, notes=notes)
        journal = getattr(spider, "journal", None)
        if journal is not None and self.owns_record and reason != "shutdown":
            journal.append({"kind": "end", "status": str(status), "reason": reason})

    # -- the record ------------------------------------------------------------------------------

    def reserve_path(self, spider: Spider) -> Path:
        return self.store / RUNS_DIR / f"{TEMP_PREFIX}{spider.run_id}.reserve{TEMP_SUFFIX}"

    def write(self, spider: Spider, **fields: Any) -> None:
        if not self.owns_record:
            return
        final = fields.get("status") != RUNNING
        reserve = self.reserve_path(spider)
        try:
            try:
                update_run_record(self.store, self.record(spider, **fields))
            except StoreWriteError:
                if not final or not reserve.exists():
                    raise
                reserve.unlink()  # the disk is full: the reserved space takes the last record
                update_run_record(self.store, self.record(spider, **fields))
            self.crawler.stats.set_value("olm/run_record/not_written", None)
        except StoreWriteError as exc:
            stats = self.crawler.stats
            stats.set_value("olm/run_record/not_written", str(exc))
            if fields.get("status") != RUNNING:
                stats.set_value("olm/outcome", str(Outcome.failed))
                stats.set_value(
                    "olm/problems", [*(stats.get_value("olm/problems") or []), str(exc)]
                )
            spider.logger.error(str(exc))
        finally:
            if final:
                with contextlib.suppress(OSError):
                    reserve.unlink()

    def record(
        self,
        spider: Spider,
        *,
        status: str,
        reason: str | None = None,
        problems: list[str] | None = None,
        notes: list[str] | None = None,
    ) -> dict[str, Any]:
        stats = self.crawler.stats.get_stats()
        settings = self.crawler.settings
        run_id = spider.run_id
        quality = {
            key.removeprefix("olm/"): value
            for key, value in stats.items()
            if key.startswith("olm/")
            and not key.startswith(
                (
                    "olm/drop",
                    "olm/store/",
                    "olm/failure",
                    "olm/pseudonym_key",
                    "olm/outcome",
                    "olm/problems",
                    "olm/notes",
                    "olm/run_record",
                    "olm/stop_reason",
                )
            )
        }
        listings = getattr(spider, "listings", None)
        shared = getattr(spider, "shared", None)
        ended = status != RUNNING
        return {
            "run_id": run_id,
            "spider": spider.name,
            "platform": getattr(spider, "platform", None),
            "plan": settings.get("OLM_PLAN") or None,
            # when a killed (or stopped) run was taken up again from its job directory
            "resumed": getattr(self, "resumed_at", []),
            "job_dir": settings.get("OLM_JOB_DIR") or None,
            # the job id scrapyd gave the run (scrapyd passes it as the _job argument)
            "scrapyd_job": getattr(spider, "_job", None),
            # a worker of a distributed crawl: Redis (no password), crawl, worker, the others
            "distributed": shared.describe() if shared is not None else None,
            "status": status,
            "finish_reason": reason,
            "problems": problems or [],
            "notes": notes or [],
            "arguments": getattr(spider, "arguments", {}),
            "base_url": getattr(spider, "base_url", None),
            "data_origin": self.data_origin,
            "started_at": spider.started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat() if ended else None,
            "snapshot_date": spider.snapshot_date.isoformat(),
            "items_kept": counts(stats, "olm/store/rows/"),
            "items_lost": counts(stats, "olm/store/lost/"),
            "items_dropped": counts(stats, "olm/drop/"),
            "data_quality": quality,
            "listings": listings.as_records() if listings is not None else [],
            "sources": getattr(spider, "sources", []),
            "requests": stats.get("downloader/request_count", 0),
            "response_status": counts(stats, "downloader/response_status_count/"),
            "retries": stats.get("retry/count", 0),
            "files": [str(p.relative_to(self.store)) for p in run_part_files(self.store, run_id)],
            "politeness": {name: settings.get(name) for name in POLITENESS_SETTINGS},
            "pseudonym_key_fingerprint": stats.get("olm/pseudonym_key_fingerprint"),
            "failure": stats.get("olm/failure"),
            "versions": {
                "olmstats": __version__,
                # where the code ran from: a checkout, an installed copy, or a scrapyd egg
                "olmstats_from": str(Path(olmstats_package.__file__).resolve().parent.parent),
                "scrapy": scrapy.__version__,
                "python": host_platform.python_version(),
                "schema": SCHEMA_VERSION,
            },
        }
