"""Where the shipped data lives: ``data/`` in a source checkout, ``olmstats/_data`` in a wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The folder holding reference/, taxonomy/ and replay/."""
    for candidate in (_PACKAGE.parent / "data", _PACKAGE / "_data"):
        if (candidate / "taxonomy").is_dir():
            return candidate
    raise FileNotFoundError("olmstats' data folder is missing from this installation")


def data_file(*parts: str) -> Path:
    return data_dir().joinpath(*parts)
