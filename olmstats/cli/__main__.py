"""`python -m olmstats.cli` = `olm`."""

from olmstats.cli import run

run()
