# olmstats: two commands on a fresh machine with Python 3.11 and make.
#   make demo   build .venv, install, crawl the loopback replay, print the country table
#   make test   build .venv if needed, install, lint, run every test

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[crawl,distributed,reference,server,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/olm demo

lint: $(STAMP)
	$(BIN)/ruff check olmstats olmcrawl tests bench
	$(BIN)/ruff format --check olmstats olmcrawl tests bench

test: $(STAMP) lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) demo-store .pytest_cache .ruff_cache
