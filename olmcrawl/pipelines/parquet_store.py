"""Stage 7: append items to the Parquet store (olmstats.store.PartWriter), exclusively.

Settings: ``OLM_STORE`` (folder), ``OLM_STORE_ROWS_PER_FILE`` (rows buffered before a part file
is written; also the most a killed crawl can lose). Only the dataset's documented columns are
written.

Kept means written: ``olm/store/rows/<dataset>`` counts rows in part files that are complete
and in place, never rows still buffered. Before the first request the store is probed with a
real write; a store that cannot be written stops the crawl there, and a write that fails later
stops it at once. Either way the finish reason is ``store_write_failed``, the rows that did not
reach the store are counted under ``olm/store/lost/<dataset>``, and no temporary file is left.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem

from olmcrawl.base.journal import ListingDone
from olmcrawl.pipelines.stage import Stage
from olmcrawl.stopping import stop_crawl
from olmstats.errors import StoreWriteError
from olmstats.items import OlmItem
from olmstats.store import PartWriter, probe_writable
from olmstats.store.layout import run_part_files

REASON = "store_write_failed"


class ParquetStorePipeline(Stage):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.store = Path(crawler.settings.get("OLM_STORE"))
        self.rows_per_file = crawler.settings.getint("OLM_STORE_ROWS_PER_FILE")
        self.writers: dict[str, PartWriter] = {}
        self.failure: str | None = None

    def open_spider(self) -> None:
        spider = self.crawler.spider
        try:
            probe_writable(self.store, spider.run_id)
        except StoreWriteError as exc:
            self.failed(str(exc))
            raise CloseSpider(REASON) from None
        if getattr(spider, "resumed", None) is not None:  # rows stored before the kill count
            for path in run_part_files(self.store, spider.run_id):
                name = path.relative_to(self.store).parts[0]
                self.count(f"store/rows/{name}", pq.ParquetFile(path).metadata.num_rows)
                self.count(f"store/files/{name}")

    def process_item(self, item: OlmItem | ListingDone) -> OlmItem | ListingDone:
        if isinstance(item, ListingDone):
            self.checkpoint(item.label)
            return item
        name = item.dataset.name
        if self.failure is not None:
            self.count(f"store/lost/{name}")
            raise DropItem(f"{name} not written: {self.failure}")
        writer = self.writers.get(name)
        if writer is None:
            spider = self.crawler.spider
            writer = PartWriter(
                self.store,
                item.dataset,
                platform=item.platform,
                snapshot_date=spider.snapshot_date,
                run_id=spider.run_id,
                rows_per_file=self.rows_per_file,
                resume=getattr(spider, "resumed", None) is not None,
                # a distributed worker stores a key only once it has claimed it in Redis
                keys_claimed=getattr(spider, "shared", None) is not None,
            )
            self.writers[name] = writer
        try:
            self.written(
                writer, writer.add({c: getattr(item, c) for c in item.dataset.column_names})
            )
        except StoreWriteError as exc:
            self.lost(writer, str(exc))
            stop_crawl(self.crawler, REASON, str(exc))
            raise DropItem(f"{name} not written: {exc}") from None
        return item

    def close_spider(self) -> None:
        for writer in self.writers.values():
            if self.failure is not None:
                self.count(f"store/lost/{writer.dataset.name}", writer.discard())
                continue
            try:
                self.written(writer, writer.flush())
            except StoreWriteError as exc:
                self.lost(writer, str(exc))

    def checkpoint(self, label: str) -> None:
        """Every row yielded before listing *label*'s marker goes to a part file; then the
        listing is journaled as done (a resumed crawl will not read it again)."""
        if self.failure is not None:
            return
        for writer in self.writers.values():
            try:
                self.written(writer, writer.flush())
            except StoreWriteError as exc:
                self.lost(writer, str(exc))
                stop_crawl(self.crawler, REASON, str(exc))
                return
        self.crawler.spider.listing_stored(label)

    # -- bookkeeping -----------------------------------------------------------------------------

    def written(self, writer: PartWriter, path: Path | None) -> None:
        if path is None:
            return
        name = writer.dataset.name
        rows = writer.rows_written - self.stats.get_value(f"olm/store/rows/{name}", 0)
        self.count(f"store/rows/{name}", rows)
        self.count(f"store/files/{name}")

    def lost(self, writer: PartWriter, message: str) -> None:
        self.failed(message)
        self.count(f"store/lost/{writer.dataset.name}", writer.discard())

    def failed(self, message: str) -> None:
        self.failure = message
        self.stats.set_value("olm/store/write_failed", message)
        if self.stats.get_value("olm/failure") is None:
            self.stats.set_value("olm/failure", message)
