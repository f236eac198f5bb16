"""A live progress line on the terminal (enabled by the `olm` CLI with OLM_PROGRESS=True)."""

from __future__ import annotations

from typing import Self

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class ProgressExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.task = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("OLM_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler)
        for handler, signal in (
            (ext.opened, signals.spider_opened),
            (ext.update, signals.response_received),
            (ext.closed, signals.spider_closed),
        ):
            crawler.signals.connect(handler, signal=signal)
        return ext

    def _description(self, spider: Spider) -> str:
        stats = self.crawler.stats
        kept = sum(v for k, v in stats.get_stats().items() if k.startswith("olm/store/rows/"))
        dropped = sum(
            v
            for k, v in stats.get_stats().items()
            if k.startswith("olm/drop/") and k.count("/") == 2
        )
        failed = stats.get_value("olm/page/failed", 0)
        return (
            f"{spider.name}: {stats.get_value('olm/pages', 0)} pages read"
            + (f", {failed} failed" if failed else "")
            + f", {kept} items written to the store, {dropped} dropped"
        )

    def opened(self, spider: Spider) -> None:
        self.progress.start()
        self.task = self.progress.add_task(self._description(spider), total=None)

    def update(self, spider: Spider, **_: object) -> None:
        if self.task is not None:
            self.progress.update(self.task, description=self._description(spider))

    def closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None:
            self.progress.update(self.task, description=self._description(spider) + f" ({reason})")
        self.progress.stop()
