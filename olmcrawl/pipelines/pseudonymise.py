"""Stage 5: replace native ids with keyed pseudonyms (olmstats.pseudonym) and forget the ids.

The key comes from the OLM_PSEUDONYM_KEY setting (read from the environment by settings.py). A
crawl without a key refuses to start: it stops with reason ``no_pseudonym_key`` before any item.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from olmcrawl.pipelines.stage import Stage, passes_markers
from olmstats.errors import InputError
from olmstats.items import OlmItem, ProfileItem
from olmstats.pseudonym import KEY_ENV, PROJECT, USER, Pseudonymiser


class PseudonymisePipeline(Stage):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.pseudonymise: Pseudonymiser | None = None

    def open_spider(self) -> None:
        key = self.crawler.settings.get("OLM_PSEUDONYM_KEY") or ""
        if not key:
            message = f"no pseudonymisation key: set {KEY_ENV} (keep it secret and keep it)"
        else:
            try:
                self.pseudonymise = Pseudonymiser(key)
            except InputError as exc:
                message = str(exc)
            else:
                self.stats.set_value("olm/pseudonym_key_fingerprint", self.pseudonymise.fingerprint)
                return
        self.stats.set_value("olm/failure", message)
        self.crawler.spider.logger.error(message)
        raise CloseSpider("no_pseudonym_key")

    @passes_markers
    def process_item(self, item: OlmItem) -> OlmItem:
        assert self.pseudonymise is not None
        platform = item.platform
        if isinstance(item, ProfileItem):
            item.profile_id = self.pseudonymise(platform, USER, item.native_id)
        else:
            item.job_id = self.pseudonymise(platform, PROJECT, item.native_id)
            if item.owner_native_id is not None:
                item.employer_id = self.pseudonymise(platform, USER, item.owner_native_id)
            item.owner_native_id = None
        item.native_id = None
        return item
