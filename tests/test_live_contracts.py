"""Contracts against the real sites: one page per spider, for a user with network access.

    OLM_LIVE=1 .venv/bin/pytest tests/test_live_contracts.py -v

Skipped unless ``OLM_LIVE=1`` (tests here never touch the network otherwise, and CI has none).
Each registered spider that reads a live site crawls its ``example_arguments`` for one page with
the project's polite settings (robots.txt obeyed, 1 request/s), and the page it gets must still
be what its parser knows: either rows whose core fields parse (ids, countries, money) or, for a
platform that documents blocking (``blocked_hint``), a recognised block page that stopped the
crawl with exit 5 - never "complete" with nothing kept. Spiders that need credentials run only
when their environment variables are set; spiders of archived files have no live source.
``OLM_LIVE_SETTINGS="NAME=VALUE ..."`` passes Scrapy settings, e.g. a base URL pointing at a
mirror or at ``olm replay`` (how this test itself is checked offline).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader

from olmstats.platforms import platform
from olmstats.store import scan_jobs, scan_profiles
from tests.conftest import ROOT, TEST_KEY, project_settings

LIVE = os.environ.get("OLM_LIVE") == "1"
LOADER = get_spider_loader(Settings(project_settings()))
LIVE_SPIDERS = [n for n in sorted(LOADER.list()) if not getattr(LOADER.load(n), "feed_name", "")]

pytestmark = pytest.mark.skipif(not LIVE, reason="live contract: set OLM_LIVE=1 (network)")

#: Per dataset, the columns a parsed live page must fill in most rows.
CORE = {
    "profiles": ("profile_id", "country", "hourly_rate_usd"),
    "jobs": ("job_id", "posted_at", "budget_max_usd"),
}


@pytest.mark.parametrize("name", LIVE_SPIDERS)
def test_one_live_page_still_parses(name: str, tmp_path: Path) -> None:
    cls = LOADER.load(name)
    descriptor = platform(cls.platform)
    missing = [v for v in descriptor.credentials if not os.environ.get(v)]
    if missing:
        pytest.skip(f"{name} needs {', '.join(missing)}")
    arguments = {**getattr(cls, "example_arguments", {}), "max_pages": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", name, "-s", f"OLM_STORE={tmp_path}"]
        + [part for k, v in arguments.items() for part in ("-a", f"{k}={v}")]
        + [part for v in os.environ.get("OLM_LIVE_SETTINGS", "").split() for part in ("-s", v)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "OLM_PSEUDONYM_KEY": TEST_KEY},
    )
    (record_path,) = (tmp_path / "runs").glob("*.json")
    record = json.loads(record_path.read_text())
    if record["status"] == "blocked":
        assert descriptor.blocked_hint, f"{name}: blocked, and {cls.platform} documents no blocking"
        assert result.returncode == 5 and record["finish_reason"].startswith("blocked")
        assert sum(record["items_kept"].values()) == 0  # a block page is never rows
        pytest.skip(f"{name}: {record['finish_reason']} (recognised; see olm platforms)")
    assert record["status"] == "complete", record["problems"]
    assert result.returncode == 0
    (dataset, kept), *_ = record["items_kept"].items()
    assert kept > 0, f"{name}: the live page gave no rows"
    scan = scan_profiles if dataset == "profiles" else scan_jobs
    rows = scan(tmp_path).collect()
    assert rows.height == kept
    for column in CORE[dataset]:
        share = rows[column].is_not_null().mean()
        assert share >= 0.5, f"{name}: {column} parsed in {share:.0%} of {kept} rows"
    assert rows["platform"].unique().to_list() == [cls.platform]
