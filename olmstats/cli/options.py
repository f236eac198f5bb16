"""Options shared by the `olm` commands, defined once, and the checks behind them.

Every check ends a user mistake in one line (an InputError or a usage error) before any work.
"""

from __future__ import annotations

import json
import math
import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from olmstats.cli.render import Format
from olmstats.errors import InputError, StoreError
from olmstats.paths import check_output_path

DEFAULT_STORE = Path("store")
DEMO_STORE = Path("demo-store")
DEMO_MARKER = ".olm-demo-store"

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        "-s",
        help="Store folder (default: ./store, or ./demo-store when only `olm demo` has run).",
        envvar="OLM_STORE",
        show_default=False,
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f")]
PlatformOption = Annotated[
    list[str] | None,
    typer.Option("--platform", "-p", help="Only these platforms (see `olm platforms`)."),
]
OutputOption = Annotated[Path | None, typer.Option("--output", help="Write here, not stdout.")]


def _at_least_one(value: int) -> int:
    if value < 1:
        raise typer.BadParameter(f"must be at least 1, got {value}")
    return value


def min_count_option(what: str = "observations") -> Any:
    """The same --min-count everywhere: cells resting on fewer *what* are suppressed."""
    return Annotated[
        int,
        typer.Option(
            "--min-count", callback=_at_least_one, help=f"Suppress cells with fewer {what}."
        ),
    ]


def split_values(values: list[str] | None) -> list[str]:
    """ "PK,IN" "BD" → ["PK", "IN", "BD"]: repeated and comma-separated options alike."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} must be a date like 2026-11-01, got {text!r}") from None


def resolve_store(store: Path | None) -> Path:
    """The store to read: *store*; else ./store; else the demo's store, said on stderr."""
    if store is not None:
        return store
    if DEFAULT_STORE.exists():
        return DEFAULT_STORE
    if (DEMO_STORE / DEMO_MARKER).is_file():
        sys.stderr.write(
            f"note: showing {DEMO_STORE}/, the store `olm demo` wrote (there is no ./store); "
            "--store chooses another\n"
        )
        return DEMO_STORE
    raise StoreError(
        f"store not found: {DEFAULT_STORE} (crawl into it first, or run `olm demo`, which "
        f"writes {DEMO_STORE}/; --store names another)"
    )


def check_output(output: Path | None, fmt: Format) -> None:
    """Refuse an --output that cannot be written, before anything is computed."""
    if fmt is Format.parquet and output is None:
        raise InputError("--format parquet needs --output FILE")
    if output is not None:
        check_output_path(output, "--output")


def check_plot(plot: Path | None) -> None:
    if plot is not None:
        from olmstats.plots import check_plot_path

        check_plot_path(plot)


def finite_positive(value: float, option: str) -> float:
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{option} must be positive and finite, got {value}")
    return value


# -- crawl settings ---------------------------------------------------------------------------

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def log_level(text: str | None) -> dict[str, object]:
    """Scrapy log settings: off unless a level is asked for (the outcome line says the rest)."""
    if text is None:
        return {"LOG_ENABLED": False}
    level = text.upper()
    if level not in LOG_LEVELS:
        raise InputError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, got {text!r}")
    return {"LOG_ENABLED": True, "LOG_LEVEL": level}


def known_settings() -> dict[str, Any]:
    """Scrapy's default settings, the project's and every platform's, by name."""
    from scrapy.settings import default_settings

    import olmcrawl.settings as project
    from olmstats.platforms import platforms

    known = {
        name: getattr(module, name)
        for module in (default_settings, project)
        for name in dir(module)
        if SETTING_NAME.match(name)
    }
    for descriptor in platforms().values():
        known.update(descriptor.settings)
        known.update(dict.fromkeys(descriptor.base_url_aliases, descriptor.default_base_url))
    return known


def parse_settings(items: list[str] | None) -> dict[str, object]:
    """``--set NAME=VALUE`` pairs, each checked: a known name, a value of its type."""
    known = known_settings() if items else {}
    settings: dict[str, object] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"--set takes NAME=VALUE, got {item!r}")
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise InputError(f"--set {name}: no such Scrapy or olmstats setting{hint}")
        settings[name] = _typed(name, value.strip(), known[name])
    return settings


def _typed(name: str, value: str, default: Any) -> object:
    def bad(kind: str) -> InputError:
        return InputError(f"--set {name}={value!r}: {name} takes {kind}")

    if isinstance(default, bool):
        if value.lower() not in TRUE | FALSE:
            raise bad("True or False")
        return value.lower() in TRUE
    if isinstance(default, int):
        try:
            return int(value)
        except ValueError:
            raise bad("a whole number") from None
    if isinstance(default, float):
        try:
            number = float(value)
        except ValueError:
            raise bad("a number") from None
        if not math.isfinite(number):
            raise bad("a finite number")
        return number
    if isinstance(default, dict | list | tuple):
        if not value.startswith(("{", "[")):
            return value  # Scrapy reads comma-separated lists itself
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise bad("JSON (an object or a list)") from None
    return value


WeightOption = Annotated[
    list[str] | None,
    typer.Option(
        "--weight",
        "-w",
        help="Pool platforms as a weighted mixture: PLATFORM=WEIGHT for each (default: "
        "count rows).",
    ),
]
