"""Platforms: one folder each, one small descriptor each, found by looking.

Every subpackage ``olmstats/platforms/<name>/`` is a platform. Its ``__init__.py`` holds the
descriptor (``PLATFORM``, a :class:`Platform`) and imports nothing heavy; next to it live the
platform's wire-format parsing (``parse.py``), its Scrapy spiders (``spiders.py``, the only
module of a platform that imports Scrapy; the library never imports it), and its loopback replay
(``replay.py``). The shared pipelines, the CLI, the replay server and ``olm platforms`` read the
descriptors and name no platform.

Adding a platform: a new folder with these files, its taxonomy rows
(``data/taxonomy/<name>_skills.csv`` and ``<name>_categories.csv``) and its test fixtures.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from olmstats.errors import InputError

#: What a platform lets a crawler see, in the words ``olm platforms`` uses.
FIELDS = (
    "profiles",
    "jobs",
    "rates",
    "bids or quotes",
    "employer country",
    "worker country",
    "tenure",
    "reviews",
)


@dataclass(frozen=True)
class Platform:
    """What the shared code needs to know about one platform."""

    name: str
    display_name: str
    homepage: str
    #: How the data is read: a public API, HTML pages, or archived files.
    method: Literal["API", "HTML", "archive"]
    #: The subset of FIELDS this platform's spiders collect.
    collects: tuple[str, ...]
    #: Native ids: positive whole numbers, or text (letters, digits, ``_ ~ -``).
    id_kind: Literal["integer", "text"]
    #: How amounts become US$ (the chain and the platform field, in words).
    money: str
    #: robots.txt, terms and known blocking, in words.
    access: str
    #: When the parser was last checked against a real page, and which.
    parser_checked: str
    #: The Scrapy setting holding the base URL (a replay or test server stands in through it).
    base_url_setting: str
    #: The platform's own settings and their defaults (spiders' ``custom_settings``).
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: Older names of the base-URL setting still honoured.
    base_url_aliases: tuple[str, ...] = ()
    #: The platform's field in each money amount, recorded in ``fx_source`` when used.
    fx_field: str | None = None
    #: "module:attribute" of the replay renderer (``olm demo``, tests).
    replay: str | None = None
    #: Environment variables holding API credentials (read into settings of the same name).
    credentials: tuple[str, ...] = ()
    #: What to tell the operator when the platform blocks the crawler (appended to the stop).
    blocked_hint: str = ""
    #: Keys this platform puts in the ``extras`` column, with their meaning and unit.
    extras: Mapping[str, str] = field(default_factory=dict)

    @property
    def taxonomy(self) -> tuple[str, str]:
        """The taxonomy files: skills, then categories (under data/taxonomy/)."""
        return f"{self.name}_skills.csv", f"{self.name}_categories.csv"

    @property
    def default_base_url(self) -> str:
        return str(self.settings[self.base_url_setting])

    def base_url(self, settings: Any) -> str:
        """The base URL from Scrapy *settings* (an alias set explicitly wins over the default)."""
        for alias in self.base_url_aliases:
            if settings.get(alias):
                return str(settings.get(alias)).rstrip("/")
        return str(settings.get(self.base_url_setting) or self.default_base_url).rstrip("/")


@cache
def platforms() -> dict[str, Platform]:
    """Every platform, by name (the subpackages of olmstats.platforms)."""
    found: dict[str, Platform] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.ispkg:
            continue
        descriptor = importlib.import_module(f"{__name__}.{module.name}").PLATFORM
        if descriptor.name != module.name:
            raise RuntimeError(f"platform folder {module.name} describes {descriptor.name!r}")
        found[descriptor.name] = descriptor
    return found


def platform(name: str) -> Platform:
    """The platform called *name*; InputError naming the known ones otherwise."""
    known = platforms()
    if name not in known:
        raise InputError(f"unknown platform {name!r}: one of {', '.join(known)}")
    return known[name]
