"""Stage 7: append items to the Parquet store (olmstats.store.PartWriter), atomically.

Settings: ``OLM_STORE`` (folder), ``OLM_STORE_ROWS_PER_FILE`` (rows buffered before a part file
is written; also the most a killed crawl can lose). Only the dataset's documented columns are
written. Stats: ``olm/store/rows/<dataset>``, ``olm/store/files/<dataset>``.
"""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import Crawler

from olmstats.store import PartWriter
from spiders.items import OlmItem
from spiders.pipelines.stage import Stage


class ParquetStorePipeline(Stage):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.store = Path(crawler.settings.get("OLM_STORE"))
        self.rows_per_file = crawler.settings.getint("OLM_STORE_ROWS_PER_FILE")
        self.writers: dict[str, PartWriter] = {}

    def process_item(self, item: OlmItem) -> OlmItem:
        writer = self.writers.get(item.dataset.name)
        if writer is None:
            spider = self.crawler.spider
            writer = PartWriter(
                self.store,
                item.dataset,
                platform=item.platform,
                snapshot_date=spider.snapshot_date,
                run_id=spider.run_id,
                rows_per_file=self.rows_per_file,
            )
            self.writers[item.dataset.name] = writer
        before = len(writer.files)
        writer.add({name: getattr(item, name) for name in item.dataset.column_names})
        self.count(f"store/rows/{item.dataset.name}")
        if len(writer.files) != before:
            self.count(f"store/files/{item.dataset.name}")
        return item

    def close_spider(self) -> None:
        for name, writer in self.writers.items():
            if writer.flush() is not None:
                self.count(f"store/files/{name}")
