"""The base of every olmstats spider: run identity, argument checking, one-line failures."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import CloseSpider

from olmstats import countries as country_table
from olmstats.errors import InputError

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def parse_skill_names(text: str | None) -> list[str]:
    """Split "python, Web Scraping" into names; reject empty lists and odd characters."""
    if text is None:
        return []
    names = [part.strip() for part in text.split(",") if part.strip()]
    for name in names:
        if len(name) > 80 or any(ch in name for ch in "<>{}[]\\\"'"):
            raise InputError(f"invalid skill name {name!r}")
    if not names:
        raise InputError("no skill given: pass names such as python,php")
    return names


def parse_max_pages(text: str | int | None) -> int | None:
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise InputError(f"max_pages must be a whole number, got {text!r}") from None
    if value < 1:
        raise InputError(f"max_pages must be at least 1, got {value}")
    return value


def parse_since(text: str | None, today: date) -> date | None:
    if text is None or text == "":
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise InputError(f"since must be a date like 2026-11-01, got {text!r}") from None
    if value > today:
        raise InputError(f"since {value} is in the future")
    return value


def new_run_id(spider_name: str, started_at: datetime) -> str:
    return f"{started_at:%Y%m%dT%H%M%SZ}-{spider_name}-{secrets.token_hex(3)}"


class OlmSpider(scrapy.Spider):
    """Common behaviour: a run id and snapshot date, validated arguments, clean stops.

    Arguments are validated when the spider is built; a bad one is reported as a single
    ERROR line and the spider closes with reason ``bad_arguments`` before sending any request.
    """

    platform: str = ""
    #: Arguments this spider accepts (Scrapy passes unknown ``-a`` options too; we refuse them).
    accepted_arguments: frozenset[str] = frozenset({"countries", "skills", "max_pages"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.arguments = {k: v for k, v in kwargs.items() if k not in ("name", "_job")}
        super().__init__(*args, **kwargs)
        self.started_at = datetime.now(UTC)
        self.snapshot_date = self.started_at.date()
        self.run_id = kwargs.get("run_id") or new_run_id(self.name, self.started_at)
        self.argument_error: str | None = None
        self.listings: list[dict[str, Any]] = []
        try:
            unknown = set(self.arguments) - self.accepted_arguments - {"run_id"}
            if unknown:
                raise InputError(
                    f"unknown argument(s) {sorted(unknown)}; "
                    f"this spider takes {sorted(self.accepted_arguments)}"
                )
            self.parse_arguments(**{k: v for k, v in self.arguments.items() if k != "run_id"})
        except InputError as exc:
            self.argument_error = str(exc)

    def parse_arguments(
        self,
        countries: str | None = None,
        skills: str | None = None,
        max_pages: str | None = None,
        **extra: str,
    ) -> None:
        self.country_codes = [] if countries is None else country_table.parse_list(countries)
        self.skill_names = parse_skill_names(skills)
        self.max_pages = parse_max_pages(max_pages)

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    @property
    def is_loopback(self) -> bool:
        return urlsplit(self.base_url).hostname in LOOPBACK_HOSTS

    def fail(self, reason: str, message: str) -> CloseSpider:
        """Log *message* as one line and return the CloseSpider to raise."""
        self.logger.error("%s: %s", self.name, message)
        self.crawler.stats.set_value("olm/failure", message)
        return CloseSpider(reason)

    async def start(self) -> AsyncIterator[Any]:
        if self.argument_error:
            raise self.fail("bad_arguments", self.argument_error)
        async for request in self.start_listing():
            yield request

    async def start_listing(self) -> AsyncIterator[Any]:
        raise NotImplementedError
        yield  # pragma: no cover
