"""Platforms are units: found by their folders, described once, started offline, named nowhere
else."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from scrapy import Request
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.test import get_crawler

from olmstats import InputError
from olmstats.occupations import skill_map
from olmstats.paths import data_file
from olmstats.platforms import FIELDS, platform, platforms
from olmstats.replay import renderer
from tests.conftest import ROOT, project_settings, run_olm

LOADER = get_spider_loader(__import__("scrapy.settings").settings.Settings(project_settings()))
SPIDERS = sorted(LOADER.list())
SHARED = ["olmcrawl", "olmstats/cli", "olmstats/store", "olmstats/replay", "olmstats/items.py"]


def test_every_platform_folder_is_found_and_complete(small_market):
    found = platforms()
    assert "freelancer" in found
    for name, descriptor in found.items():
        assert (ROOT / "olmstats" / "platforms" / name / "spiders.py").is_file()
        assert set(descriptor.collects) <= set(FIELDS)
        assert descriptor.base_url_setting == f"{name.upper()}_BASE_URL"
        assert descriptor.default_base_url.startswith("https://")
        assert data_file("taxonomy", descriptor.taxonomy[0]).is_file()
        assert skill_map(name).by_name  # the taxonomy loads and names classes
        if descriptor.replay:
            assert renderer(descriptor, small_market).origin.startswith("simulated")
    with pytest.raises(InputError, match="unknown platform 'fiverr': one of freelancer"):
        platform("fiverr")


def test_every_spider_belongs_to_a_platform_and_takes_its_base_url_setting():
    assert SPIDERS, "no spiders registered"
    for name in SPIDERS:
        cls = LOADER.load(name)
        descriptor = platform(cls.platform)
        assert descriptor.base_url_setting in cls.custom_settings


@pytest.mark.parametrize("name", SPIDERS)
def test_every_spider_starts_offline_and_yields_its_first_request(name):
    """As kingfisher-collect's test_spiders: no network, only the first request is built."""
    cls = LOADER.load(name)
    credentials = dict.fromkeys(platform(cls.platform).credentials, "offline-test-credential")
    crawler = get_crawler(cls, project_settings(**credentials))
    arguments = dict(getattr(cls, "example_arguments", {}))
    if getattr(cls, "feed_name", ""):  # an archived-feed spider reads a file: its fixture
        fixtures = ROOT / "tests" / "fixtures" / cls.platform
        arguments["file"] = str(sorted(fixtures.glob("*.xml"))[0])
    spider = cls.from_crawler(crawler, **arguments)
    crawler.spider = spider

    async def first():
        async for request in spider.start():
            return request
        return None

    request = asyncio.run(first())
    assert isinstance(request, Request)
    where = "file://" if "file" in arguments else platform(cls.platform).default_base_url
    assert request.url.startswith(where)
    assert request.errback is not None  # every request's failure is accounted for


def test_the_base_url_setting_and_its_alias_move_a_platform(tmp_path):
    descriptor = platform("freelancer")
    settings = {descriptor.base_url_setting: "http://127.0.0.1:9/api"}
    assert descriptor.base_url(__import__("scrapy.settings").settings.Settings(settings)) == (
        "http://127.0.0.1:9/api"
    )
    alias = {**settings, "FREELANCER_API_URL": "http://127.0.0.1:10/api/"}
    assert descriptor.base_url(__import__("scrapy.settings").settings.Settings(alias)) == (
        "http://127.0.0.1:10/api"
    )


def test_shared_code_names_no_platform():
    names = "|".join(platforms())
    found = subprocess.run(
        ["grep", "-rniE", rf"\b({names})\b", *SHARED, "--include=*.py"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.splitlines()
    assert found == []


def test_the_library_imports_without_scrapy():
    """Everything but the platforms' spiders.py and the crawl command imports with Scrapy
    absent (the library never starts a crawl on its own)."""
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "olmstats").rglob("*.py")
        if p.name != "spiders.py" and p.name != "__main__.py"
    )
    script = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'scrapy' or name.startswith(('scrapy.', 'twisted', 'olmcrawl')):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m.removesuffix('.__init__'))\n"
        "import olmstats.platforms as p; p.platforms()\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def test_olm_platforms_lists_what_each_platform_collects(tmp_path):
    out = tmp_path / "platforms.csv"
    run_olm("platforms", "--format", "csv", "--output", str(out), check=True)
    table = pl.read_csv(out)
    assert table["platform"].to_list() == list(platforms())
    freelancer = table.row(0, named=True)
    assert freelancer["spiders"] == "freelancer_jobs, freelancer_profiles"
    assert freelancer["rates"] == "yes" and freelancer["how"] == "API"
    shown = run_olm("platforms", check=True).stdout
    assert "Freelancer.com: money —" in shown and "FREELANCER_BASE_URL" in shown
    assert Path(ROOT / "olmstats" / "platforms" / "freelancer" / "__init__.py").is_file()


def test_summary_by_platform_and_the_platform_filter(demo_store):
    from olmstats import scan_jobs, scan_profiles

    profiles = scan_profiles(demo_store).collect()
    jobs = scan_jobs(demo_store).collect()
    by = run_olm("summary", "--store", str(demo_store), "--by", "platform", "-f", "csv", check=True)
    table = pl.read_csv(by.stdout.encode())
    assert table["platform"].to_list() == ["freelancer", "guru", "peopleperhour", "upwork"]
    for row in table.iter_rows(named=True):
        mine = profiles.filter(pl.col("platform") == row["platform"])
        assert row["profiles"] == mine["profile_id"].n_unique()  # one snapshot: rows = profiles
        assert row["open_projects"] == jobs.filter(pl.col("platform") == row["platform"]).height
        rates = mine["hourly_rate_usd"].drop_nulls()
        if rates.len() >= 10:
            assert row["rate_median_usd"] == pytest.approx(rates.median())
        else:
            assert row["rate_median_usd"] is None  # Upwork: jobs only, no profiles
    only = run_olm("summary", "--store", str(demo_store), "-p", "guru", "-f", "csv", check=True)
    assert pl.read_csv(only.stdout.encode())["profiles"].sum() == (
        profiles.filter(pl.col("platform") == "guru").height
    )
    assert "profiles from Guru; jobs from Guru; pooled by counting rows" in only.stderr
    bad = run_olm("summary", "--store", str(demo_store), "-p", "fiverr")
    assert bad.returncode == 2 and "unknown platform 'fiverr'" in bad.stderr
    earnings = run_olm("earnings", "--store", str(demo_store), "-p", "guru", "-f", "csv")
    assert earnings.returncode == 0, earnings.stderr
    assert "Composition-adjusted indices (adj_*) are empty" in earnings.stderr
    full = run_olm("summary", "--full", "--store", str(demo_store), "-p", "guru", "-f", "csv")
    assert full.returncode == 0, full.stderr  # Guru shows no registration dates: no tenure
    assert "tenure_pct_per_year: empty - no profile here has a registration date" in full.stderr
    table = pl.read_csv(full.stdout.encode())
    guru_jobs = jobs.filter(pl.col("platform") == "guru")
    assert table["open_projects"].sum() <= guru_jobs.height  # jobs of Guru only, not every platform
    assert (
        table["open_projects"].sum()
        == guru_jobs.filter(pl.col("employer_country").is_in(table["country"].to_list())).height
    )
    assert table["tenure_pct_per_year"].null_count() == table.height
