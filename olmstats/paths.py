"""Where files are: the shipped data (``data/`` in a source checkout, ``olmstats/_data`` in a
wheel), and whether an output path can be written."""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
import zipimport
from functools import cache
from pathlib import Path

from olmstats.errors import InputError

_PACKAGE = Path(__file__).resolve().parent
_IN_ARCHIVE = "olmstats/_data/"


@cache
def data_dir() -> Path:
    """The folder holding reference/, taxonomy/ and replay/.

    Run from a zipped egg (as scrapyd runs a deployed project), the data is extracted once to
    ``$XDG_CACHE_HOME/olmstats/data-<sha256 of the egg>`` (default ``~/.cache``)."""
    for candidate in (_PACKAGE.parent / "data", _PACKAGE / "_data"):
        if (candidate / "taxonomy").is_dir():
            return candidate
    loader = globals().get("__loader__")
    if isinstance(loader, zipimport.zipimporter):
        return _extracted(Path(loader.archive))
    raise FileNotFoundError("olmstats' data folder is missing from this installation")


def _extracted(archive: Path) -> Path:
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:16]
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = cache_home / "olmstats" / f"data-{digest}"
    if (target / "taxonomy").is_dir():
        return target
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(archive) as egg:
        members = [m for m in egg.namelist() if m.startswith(_IN_ARCHIVE)]
        if not members:
            raise FileNotFoundError(f"olmstats' data folder is missing from {archive}")
        egg.extractall(staging, members)
    try:
        (staging / _IN_ARCHIVE).rename(target)  # atomic: readers see all of it or none
    except OSError:
        if not (target / "taxonomy").is_dir():  # not a concurrent extraction that won
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


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
