"""Where files are: the shipped data (``data/`` in a source checkout, ``olmstats/_data`` in a
wheel), and whether an output path can be written."""

from __future__ import annotations

from pathlib import Path

from olmstats.errors import InputError

_PACKAGE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The folder holding reference/, taxonomy/ and replay/."""
    for candidate in (_PACKAGE.parent / "data", _PACKAGE / "_data"):
        if (candidate / "taxonomy").is_dir():
            return candidate
    raise FileNotFoundError("olmstats' data folder is missing from this installation")


def data_file(*parts: str) -> Path:
    return data_dir().joinpath(*parts)


def check_output_path(path: Path, option: str) -> Path:
    """*path* if a file can be created there: not a folder, in a folder that exists."""
    if path.is_dir():
        raise InputError(f"{option} {path} is a folder; give a file name")
    parent = path.parent if str(path.parent) else Path()
    if not parent.is_dir():
        raise InputError(f"{option} {path}: folder {parent} does not exist")
    return path
