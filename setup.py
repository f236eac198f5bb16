"""The egg scrapyd-deploy uploads to a scrapyd server; pip and make build from pyproject.toml.

scrapyd-deploy (scrapyd-client) runs ``python setup.py bdist_egg`` here; scrapyd puts the egg on
``sys.path`` and finds the settings module through the egg's ``scrapy`` entry point, as
pyproject.toml declares it for installed copies. The egg carries olmstats, olmcrawl and the
shipped data (as ``olmstats/_data``, as in the wheel; olmstats.paths extracts it once when it
runs from the zipped egg).
"""

import shutil
import tomllib
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PROJECT = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))["project"]


class BuildWithData(build_py):
    """build_py, then data/ copied into the built olmstats package as _data/."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "olmstats" / "_data"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(HERE / "data", target, ignore=shutil.ignore_patterns("__pycache__"))


setup(
    name=PROJECT["name"],
    version=PROJECT["version"],
    packages=find_packages(include=["olmstats", "olmstats.*", "olmcrawl", "olmcrawl.*"]),
    entry_points={"scrapy": ["settings = olmcrawl.settings"]},
    cmdclass={"build_py": BuildWithData},
    zip_safe=True,
)
