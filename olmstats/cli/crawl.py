"""Run the Scrapy spiders in this process (Scrapy is imported only here) and say how they ended.

Each run's outcome comes from the run record extension (stats ``olm/outcome`` and
``olm/problems``); :func:`report` prints one line per run - the last thing ``olm crawl`` prints -
and returns the exit code documented in :mod:`olmstats.store.runs`.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from olmstats.errors import InputError
from olmstats.store.runs import EXIT_COMPLETE, Outcome, exit_code


@dataclass(frozen=True)
class CrawlResult:
    spider: str
    run_id: str
    status: str
    finish_reason: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    items_kept: int = 0
    items_dropped: int = 0
    items_lost: int = 0
    listings: int = 0
    listings_read: int = 0
    record_problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == Outcome.complete

    @property
    def exit_code(self) -> int:
        return exit_code(self.status, self.finish_reason)

    def line(self) -> str:
        """One line: outcome, rows written, listings, why not complete, run id."""
        text = (
            f"{self.spider}: {self.status} — {self.items_kept:,} items written to the store, "
            f"{self.items_dropped:,} dropped"
        )
        if self.items_lost:
            text += f", {self.items_lost:,} lost (never written)"
        if self.listings:
            text += f"; {self.listings_read} of {self.listings} listings read to the end"
        if self.problems:
            text += "; " + "; ".join(self.problems)
        if self.notes:
            text += "; note: " + "; ".join(self.notes)
        if self.record_problem:
            text += f"; run record not written: {self.record_problem}"
        return text + f" (run {self.run_id})"


def project_settings(overrides: dict[str, Any]) -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "olmcrawl.settings")
    try:
        from scrapy.utils.project import get_project_settings
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError("crawling needs Scrapy: pip install 'olmstats[crawl]'") from None
    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    return settings


def check_spider(name: str, settings: Any) -> Any:
    """The spider class called *name*; InputError naming the known ones otherwise."""
    from scrapy.spiderloader import get_spider_loader

    loader = get_spider_loader(settings)
    names = sorted(loader.list())
    if name not in names:
        raise InputError(f"unknown spider {name!r}: one of {', '.join(names)}")
    return loader.load(name)


def feed_spiders(settings: Any) -> dict[str, Any]:
    """The archived-feed spiders by their feed name (``olm import <feed>``)."""
    from scrapy.spiderloader import get_spider_loader

    loader = get_spider_loader(settings)
    found = {}
    for name in loader.list():
        cls = loader.load(name)
        if getattr(cls, "feed_name", ""):
            found[cls.feed_name] = cls
    return found


def _sum(stats: dict[str, Any], prefix: str) -> int:
    return sum(
        v
        for k, v in stats.items()
        if k.startswith(prefix) and "/" not in k.removeprefix(prefix) and isinstance(v, int)
    )


def run_spiders(
    jobs: list[tuple[str, dict[str, str]]],
    overrides: dict[str, Any],
    *,
    one_per_platform: bool = False,
    crawl_settings: list[dict[str, Any]] | None = None,
) -> list[CrawlResult]:
    """Run each (spider name, arguments) concurrently in one Scrapy process; block until done.

    With *one_per_platform*, the crawls of one platform run one after the other (in the order
    given) and only crawls of different platforms overlap: each crawler has its own downloader,
    so two crawls of one host side by side would send it twice its polite rate.
    *crawl_settings* (one dict per job) adds settings to that crawl alone (its job directory)."""
    settings = project_settings(overrides)
    for name, _ in jobs:
        check_spider(name, settings)
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)  # LOG_ENABLED=False: a NullHandler, a quiet terminal
    crawlers = [process.create_crawler(name) for name, _ in jobs]
    for crawler, extra in zip(crawlers, crawl_settings or [{}] * len(jobs), strict=True):
        for setting_name, value in extra.items():
            crawler.settings.set(setting_name, value, priority="cmdline")
    attempted: set[int] = {id(c) for c in crawlers} if not one_per_platform else set()
    if not one_per_platform:
        for crawler, (_, arguments) in zip(crawlers, jobs, strict=True):
            process.crawl(crawler, **arguments)
        process.start()
    else:
        from twisted.internet import defer

        chains: dict[str, list[tuple[Any, dict[str, str]]]] = {}
        for crawler, (_, arguments) in zip(crawlers, jobs, strict=True):
            chains.setdefault(crawler.spidercls.platform, []).append((crawler, arguments))

        stopped: list[bool] = []

        @defer.inlineCallbacks
        def in_turn(chain: list[tuple[Any, dict[str, str]]]) -> Any:
            for crawler, arguments in chain:
                if stopped:  # Ctrl-C or SIGTERM stopped the plan: start nothing more
                    return
                attempted.add(id(crawler))
                try:
                    yield process.crawl(crawler, **arguments)
                except Exception:  # reported below as not created; the chain goes on
                    continue
                if crawler.stats.get_value("finish_reason") == "shutdown":
                    stopped.append(True)

        def stop(_: object) -> None:
            from twisted.internet import reactor

            reactor.callLater(0, reactor.stop)

        every = defer.DeferredList([in_turn(c) for c in chains.values()], consumeErrors=True)
        every.addBoth(stop)
        process.start(stop_after_crawl=False)
    results = []
    for (name, arguments), crawler in zip(jobs, crawlers, strict=True):
        spider = getattr(crawler, "spider", None)
        try:
            stats = crawler.stats.get_stats()
        except RuntimeError:  # the crawler never started
            stats = {}
        if spider is None:
            stopped_first = id(crawler) not in attempted  # the plan stopped before its turn
            results.append(
                CrawlResult(
                    name,
                    arguments.get("run_id", "-"),
                    str(Outcome.incomplete if stopped_first else Outcome.failed),
                    "not_started",
                    [
                        "not started: the plan was stopped before this crawl's turn"
                        if stopped_first
                        else "the spider could not be created (see --log-level ERROR)"
                    ],
                )
            )
            continue
        listings = getattr(spider, "listings", None)
        results.append(
            CrawlResult(
                spider=spider.name,
                run_id=spider.run_id,
                status=str(stats.get("olm/outcome") or Outcome.failed),
                finish_reason=str(stats.get("finish_reason") or "unknown"),
                problems=list(
                    stats.get("olm/problems")
                    or ([] if stats.get("olm/outcome") else ["the crawl ended without an outcome"])
                ),
                notes=list(stats.get("olm/notes") or []),
                items_kept=_sum(stats, "olm/store/rows/"),
                items_dropped=_sum(stats, "olm/drop/"),
                items_lost=_sum(stats, "olm/store/lost/"),
                listings=len(listings) if listings is not None else 0,
                listings_read=(len(listings) - len(listings.not_read())) if listings else 0,
                record_problem=stats.get("olm/run_record/not_written"),
            )
        )
    return results


def report(results: list[CrawlResult]) -> int:
    """Print each run's outcome line on stderr; the exit code of the worst run."""
    for result in results:
        sys.stderr.write(result.line() + "\n")
    codes = [r.exit_code for r in results if r.exit_code != EXIT_COMPLETE]
    # failed first, then bad arguments, blocked, incomplete
    priority = {4: 0, 2: 1, 5: 2, 3: 3}
    return min(codes, key=lambda c: priority.get(c, 0)) if codes else EXIT_COMPLETE
