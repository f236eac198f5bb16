"""Crawl plans: what to crawl, how often, checked before anything is sent.

A plan is a TOML file::

    name = "demo"                 # optional: the file name without .toml
    cadence = "daily"             # hourly, daily, weekly or monthly
    at = "03:17"                  # UTC; hourly plans use the minute only (default 03:17)
    weekday = "mon"               # weekly plans only (default mon)

    [[crawl]]
    spider = "freelancer_profiles"
    countries = ["IN", "PK", "BD"]
    max_pages = 20

    [[crawl]]
    spider = "guru_jobs"
    categories = ["programming-development"]

Every ``[[crawl]]`` names a spider (``olm platforms`` lists them) and that spider's arguments:
``countries`` (ISO alpha-2 codes), ``skills`` and ``categories`` (as the platform spells them;
checked against the platform's taxonomy file, so that every skill crawled has an occupation),
``query``, ``max_pages``, ``since`` (a date, or ``"stored"``: from the newest posting the store
holds for the listing, for frequent jobs crawls). Anything unknown - a key, a spider, an
argument the spider does not take, a country, a skill, a category, a cadence - is a one-line
:class:`~olmstats.errors.InputError` naming the file and the crawl, before any crawling.

Crawls of one platform run one after the other, so that a plan never sends a host more than
its polite rate; crawls of different platforms run side by side.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from olmstats.errors import InputError

CADENCES = ("hourly", "daily", "weekly", "monthly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PLAN_KEYS = frozenset({"name", "cadence", "at", "weekday", "crawl"})
CRAWL_KEYS = frozenset(
    {"spider", "countries", "skills", "categories", "query", "max_pages", "since"}
)
LIST_ARGUMENTS = ("countries", "skills", "categories")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class Crawl:
    """One crawl of a plan: a spider and its arguments as ``scrapy crawl -a`` takes them."""

    spider: str
    platform: str
    arguments: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        told = " ".join(f"{k}={v}" for k, v in self.arguments.items())
        return f"{self.spider} {told}".strip()


@dataclass(frozen=True)
class Plan:
    name: str
    path: Path
    cadence: str
    at: str
    weekday: str
    crawls: tuple[Crawl, ...]

    @property
    def platforms(self) -> list[str]:
        return sorted({c.platform for c in self.crawls})

    def chains(self) -> list[list[Crawl]]:
        """The crawls grouped by platform (each group runs in order, groups side by side)."""
        return [[c for c in self.crawls if c.platform == p] for p in self.platforms]

    @property
    def on_calendar(self) -> str:
        """The systemd ``OnCalendar=`` expression of the cadence (UTC)."""
        hour, minute = self.at.split(":")
        return {
            "hourly": f"*-*-* *:{minute}:00 UTC",
            "daily": f"*-*-* {hour}:{minute}:00 UTC",
            "weekly": f"{self.weekday.capitalize()} *-*-* {hour}:{minute}:00 UTC",
            "monthly": f"*-*-01 {hour}:{minute}:00 UTC",
        }[self.cadence]

    @property
    def cron(self) -> str:
        """The five cron fields of the cadence (cron runs in the machine's zone: set CRON_TZ)."""
        hour, minute = (int(x) for x in self.at.split(":"))
        return {
            "hourly": f"{minute} * * * *",
            "daily": f"{minute} {hour} * * *",
            "weekly": f"{minute} {hour} * * {WEEKDAYS.index(self.weekday) + 1}",
            "monthly": f"{minute} {hour} 1 * *",
        }[self.cadence]


def _fail(path: Path, message: str) -> InputError:
    return InputError(f"{path}: {message}")


def _spiders() -> dict[str, Any]:
    from scrapy.settings import Settings
    from scrapy.spiderloader import get_spider_loader

    import olmcrawl.settings as project

    settings = Settings({k: getattr(project, k) for k in dir(project) if k.isupper()})
    loader = get_spider_loader(settings)
    return {name: loader.load(name) for name in loader.list()}


@cache
def _taxonomy_slugs(platform: str) -> tuple[frozenset[str], frozenset[str]]:
    """Slugs of the skill names and of the category names in the platform's taxonomy."""
    from olmstats.occupations import skill_map
    from olmstats.platforms.text import slug

    mapping = skill_map(platform)
    return frozenset(map(slug, mapping.by_name)), frozenset(map(slug, mapping.by_category))


def _values(path: Path, where: str, key: str, value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v.strip() for v in items):
        raise _fail(path, f"{where}: {key} must be a text or a list of texts")
    return [v.strip() for v in items]


def _check_crawl(path: Path, index: int, entry: Any, spiders: dict[str, Any]) -> Crawl:
    from olmstats import countries as country_table
    from olmstats.platforms.text import slug

    where = f"crawl {index}"
    if not isinstance(entry, dict):
        raise _fail(path, f"{where} is not a table ([[crawl]])")
    unknown = sorted(set(entry) - CRAWL_KEYS)
    if unknown:
        raise _fail(
            path, f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(CRAWL_KEYS))})"
        )
    name = entry.get("spider")
    if not isinstance(name, str):
        raise _fail(path, f'{where} names no spider (spider = "...")')
    if name not in spiders:
        hints = country_table.closest_names(name, list(spiders))
        hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
        raise _fail(path, f"{where}: unknown spider {name!r}{hint}")
    cls = spiders[name]
    where = f"crawl {index} ({name})"
    if getattr(cls, "feed_name", ""):
        raise _fail(path, f"{where}: {name} imports archived files; it has no place in a plan")
    accepted = cls.accepted_arguments
    arguments: dict[str, str] = {}
    skill_slugs, category_slugs = _taxonomy_slugs(cls.platform)
    for key, value in entry.items():
        if key == "spider":
            continue
        if key not in accepted:
            raise _fail(
                path,
                f"{where}: {name} does not take {key} (it takes {', '.join(sorted(accepted))})",
            )
        if key == "countries":
            codes = _values(path, where, key, value)
            try:
                arguments[key] = ",".join(country_table.parse_list(",".join(codes)))
            except InputError as exc:
                raise _fail(path, f"{where}: {exc}") from None
        elif key in ("skills", "categories"):
            found = _values(path, where, key, value)
            known = skill_slugs if key == "skills" else category_slugs
            for text in found:
                head = slug(text.split("/")[0]) if key == "categories" else slug(text)
                if head not in known:
                    kind = "skill" if key == "skills" else "category"
                    hints = country_table.closest_names(head, sorted(known))
                    hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
                    raise _fail(
                        path,
                        f"{where}: {cls.platform} lists no {kind} {text!r} in its taxonomy "
                        f"(data/taxonomy/{cls.platform}_{key}.csv){hint}",
                    )
            arguments[key] = ",".join(found)
        elif key == "max_pages":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _fail(path, f"{where}: max_pages must be a whole number of at least 1")
            arguments[key] = str(value)
        elif key == "since":
            text = value.isoformat() if isinstance(value, date) else str(value)
            if text != "stored":
                try:
                    date.fromisoformat(text)
                except ValueError:
                    raise _fail(
                        path, f'{where}: since must be a date (YYYY-MM-DD) or "stored"'
                    ) from None
            arguments[key] = text
        else:
            arguments[key] = " ".join(_values(path, where, key, value))
    return Crawl(spider=name, platform=cls.platform, arguments=arguments)


def load_plan(path: Path | str) -> Plan:
    """The plan in the TOML file *path*, checked (see the module docstring)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"no plan file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read plan {path}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"not valid TOML: {exc}") from None
    unknown = sorted(set(data) - PLAN_KEYS)
    if unknown:
        raise _fail(path, f"unknown key {unknown[0]!r} (keys: {', '.join(sorted(PLAN_KEYS))})")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not NAME.match(name):
        raise _fail(path, f"plan name {name!r} must be lower-case letters, digits, - or _")
    cadence = data.get("cadence")
    if cadence not in CADENCES:
        raise _fail(path, f"cadence must be one of {', '.join(CADENCES)}, got {cadence!r}")
    at = data.get("at", "03:17")
    if not isinstance(at, str) or not TIME.match(at):
        raise _fail(path, f"at must be a UTC time HH:MM, got {at!r}")
    weekday = data.get("weekday", "mon")
    if weekday not in WEEKDAYS:
        raise _fail(path, f"weekday must be one of {', '.join(WEEKDAYS)}, got {weekday!r}")
    if "weekday" in data and cadence != "weekly":
        raise _fail(path, "weekday applies to weekly plans only")
    entries = data.get("crawl")
    if not isinstance(entries, list) or not entries:
        raise _fail(path, "the plan lists no crawl ([[crawl]] with spider = ...)")
    spiders = _spiders()
    crawls = tuple(_check_crawl(path, i, e, spiders) for i, e in enumerate(entries, start=1))
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    for i, c in enumerate(crawls, start=1):
        key = (c.spider, tuple(sorted(c.arguments.items())))
        if key in seen:
            raise _fail(path, f"crawl {i} repeats crawl {seen[key]} ({c.describe()})")
        seen[key] = i
    return Plan(name=name, path=path, cadence=cadence, at=at, weekday=weekday, crawls=crawls)


class PlanRunningError(InputError):
    """The previous run of a plan still holds its lock."""


@contextmanager
def held_lock(
    path: Path, busy: str, holder: dict[str, Any], *, shared: bool = False
) -> Iterator[Path]:
    """Hold an ``flock`` on *path* for the duration, or raise :class:`PlanRunningError` with
    *busy* and what the holder wrote there. The kernel releases the lock when the holder
    exits, however it exits (SIGKILL included), so a stale lock file never blocks anyone.
    A *shared* lock is held by any number of shared holders at once, and by no exclusive one
    meanwhile (shared holders all write the same *holder*, without a pid or time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")  # held for the whole block
    except OSError:  # a store that cannot be written: the crawl itself reports it, in full
        yield path
        return
    try:
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                found = json.loads(handle.read() or "{}")
            except ValueError:
                found = {}
            told = ", ".join(f"{k} {v}" for k, v in found.items()) or "holder unknown"
            raise PlanRunningError(f"{busy} ({told}): not starting another") from None
        handle.seek(0)
        handle.truncate()
        if shared:
            handle.write(json.dumps(holder))
        else:
            handle.write(
                json.dumps({"pid": os.getpid(), **holder, "started": datetime.now(UTC).isoformat()})
            )
        handle.flush()
        yield path
    finally:
        handle.close()  # releases the lock


def plan_lock(store: Path | str, plan: Plan) -> Any:
    """*plan*'s lock in *store* (``plans/<name>.lock``): one run of a plan at a time."""
    from olmstats.store.layout import PLANS_DIR

    path = Path(store) / PLANS_DIR / f"{plan.name}.lock"
    return held_lock(path, f"plan {plan.name} is still running", {"plan": plan.name})


@contextmanager
def platform_locks(
    store: Path | str, platforms: Sequence[str], holder: str, *, distributed: bool = False
) -> Iterator[None]:
    """Hold every platform's lock in *store* (``plans/platform-<name>.lock``): one process at a
    time crawls a platform into a store, so that a plan and an ``olm crawl`` of one host never
    add up to twice its polite rate. The workers of distributed crawls (*distributed*) share
    the lock with each other - their requests to a host already share one rate, in Redis - and
    exclude any other crawl of the platform into the store meanwhile. (Across machines, use
    one scheduler, or distributed workers.)"""
    from olmstats.store.layout import PLANS_DIR

    with ExitStack() as stack:
        for name in sorted(set(platforms)):
            path = Path(store) / PLANS_DIR / f"platform-{name}.lock"
            busy = f"{name} is being crawled into {store}"
            if distributed:
                busy += " by a crawl that shares no rate with distributed workers"
                who = {"by": "distributed workers (olm crawl --redis)"}
                stack.enter_context(held_lock(path, busy, who, shared=True))
            else:
                stack.enter_context(held_lock(path, busy, {"by": holder}))
        yield
