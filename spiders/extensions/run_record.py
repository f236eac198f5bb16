"""Write a run record for every crawl: <store>/runs/<run_id>.json.

Written when the spider opens (status ``running``) and rewritten when it closes (status
``finished``), atomically both times, so a killed crawl still leaves a record saying it never
finished. Contents: spider, arguments, politeness settings, start and end, items kept and dropped
by reason, data-quality counts, response codes, finish reason, files written, where the data came
from (``platform`` or the replay's simulated origin) and the pseudonym key's fingerprint.
"""

from __future__ import annotations

import platform as host_platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import scrapy
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from olmstats import __version__
from olmstats.schema import SCHEMA_VERSION
from olmstats.store import write_run_record

REPLAY_HEADER = b"X-Olm-Replay"
POLITENESS_SETTINGS = (
    "ROBOTSTXT_OBEY",
    "AUTOTHROTTLE_ENABLED",
    "DOWNLOAD_DELAY",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "USER_AGENT",
    "RETRY_TIMES",
)


class RunRecordExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store = Path(crawler.settings.get("OLM_STORE"))
        self.replay_origin: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def response_received(
        self, response: Response, request: scrapy.Request, spider: Spider
    ) -> None:
        origin = response.headers.get(REPLAY_HEADER)
        if origin and self.replay_origin is None:
            self.replay_origin = origin.decode("utf-8", "replace")

    def spider_opened(self, spider: Spider) -> None:
        write_run_record(self.store, self.record(spider, status="running"))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        write_run_record(self.store, self.record(spider, status="finished", reason=reason))

    def record(self, spider: Spider, *, status: str, reason: str | None = None) -> dict[str, Any]:
        stats = self.crawler.stats.get_stats()
        settings = self.crawler.settings
        run_id = spider.run_id
        kept = {
            key.rsplit("/", 1)[1]: value
            for key, value in stats.items()
            if key.startswith("olm/store/rows/")
        }
        dropped = {
            key.removeprefix("olm/drop/"): value
            for key, value in stats.items()
            if key.startswith("olm/drop/")
        }
        quality = {
            key.removeprefix("olm/"): value
            for key, value in stats.items()
            if key.startswith("olm/")
            and not key.startswith(("olm/drop", "olm/store/", "olm/failure", "olm/pseudonym_key"))
        }
        statuses = {
            key.rsplit("/", 1)[1]: value
            for key, value in stats.items()
            if key.startswith("downloader/response_status_count/")
        }
        files = sorted(
            str(p.relative_to(self.store))
            for p in self.store.glob(f"*/platform=*/snapshot_date=*/part-{run_id}-*")
        )
        return {
            "run_id": run_id,
            "spider": spider.name,
            "platform": getattr(spider, "platform", None),
            "status": status,
            "finish_reason": reason,
            "arguments": getattr(spider, "arguments", {}),
            "base_url": getattr(spider, "base_url", None),
            "data_origin": self.replay_origin or ("platform" if status == "finished" else None),
            "started_at": spider.started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat() if status == "finished" else None,
            "snapshot_date": spider.snapshot_date.isoformat(),
            "items_kept": kept,
            "items_dropped": dropped,
            "data_quality": quality,
            "listings": getattr(spider, "listings", []),
            "requests": stats.get("downloader/request_count", 0),
            "response_status": statuses,
            "retries": stats.get("retry/count", 0),
            "files": files,
            "politeness": {name: settings.get(name) for name in POLITENESS_SETTINGS},
            "pseudonym_key_fingerprint": stats.get("olm/pseudonym_key_fingerprint"),
            "failure": stats.get("olm/failure"),
            "versions": {
                "olmstats": __version__,
                "scrapy": scrapy.__version__,
                "python": host_platform.python_version(),
                "schema": SCHEMA_VERSION,
            },
        }
