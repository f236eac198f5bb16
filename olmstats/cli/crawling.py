"""`olm crawl`, `olm demo`, `olm replay`: crawling, and the loopback market it can crawl.

``olm crawl`` keeps Scrapy's log off the terminal unless ``--log-level`` asks for it: a
progress line while it runs, then one outcome line per run, the last thing it prints, and the
exit code of :mod:`olmstats.store.runs` (0 complete, 2 bad arguments, 3 incomplete, 4 failed,
5 blocked or rate-limited).
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from olmstats.cli.app import app, summary
from olmstats.cli.options import (
    DEFAULT_STORE,
    DEMO_MARKER,
    FormatOption,
    log_level,
    parse_date,
    parse_settings,
    split_values,
)
from olmstats.cli.render import Format
from olmstats.errors import InputError
from olmstats.platforms import Platform, platform, platforms

DEMO_KEY = "olmstats-demo-key-not-a-secret"  # the demo's data is simulated


@app.command()
def crawl(
    spider: Annotated[
        str, typer.Argument(help="The spider (`olm platforms` lists each platform's).")
    ],
    country: Annotated[
        list[str] | None, typer.Option("--country", "-c", help="ISO alpha-2 codes (profiles only).")
    ] = None,
    skill: Annotated[
        list[str] | None,
        typer.Option("--skill", "-k", help="Skill names as the platform spells them."),
    ] = None,
    category: Annotated[
        list[str] | None,
        typer.Option("--category", help="Category paths, e.g. design/logo-design."),
    ] = None,
    max_pages: Annotated[int | None, typer.Option(help="Pages per listing, at most.")] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Jobs posted on or after (YYYY-MM-DD), or 'stored': after the newest posting "
            "already in the store, per listing."
        ),
    ] = None,
    store: Annotated[
        Path, typer.Option("--store", "-s", help="Store folder to write.", envvar="OLM_STORE")
    ] = DEFAULT_STORE,
    base_url: Annotated[str | None, typer.Option(help="API root (e.g. a replay server).")] = None,
    run_id: Annotated[
        str | None, typer.Option(help="Name the run (default: time, spider, random suffix).")
    ] = None,
    job_dir: Annotated[
        Path | None,
        typer.Option(help="Resumable: keep a journal here; a killed crawl resumes from it."),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show live progress.")] = True,
    level: Annotated[
        str | None,
        typer.Option("--log-level", help="Show Scrapy's log at this level (default: off)."),
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option("--set", "-S", help="Scrapy setting NAME=VALUE (repeatable), as scrapy -s."),
    ] = None,
    redis: Annotated[
        str | None,
        typer.Option(
            "--redis",
            envvar="OLM_REDIS_URL",
            help="Distributed: join the crawl every worker started with this command and Redis "
            "shares (one queue, one duplicate filter, one rate per host).",
        ),
    ] = None,
    worker: Annotated[
        str | None,
        typer.Option(
            "--worker",
            envvar="OLM_WORKER_ID",
            help="This worker's id in a distributed crawl (default: host name and pid).",
        ),
    ] = None,
) -> None:
    """Crawl one platform listing into the store (polite settings; see spiders/settings.py)."""
    from olmstats import countries as country_table
    from olmstats.cli.crawl import check_spider, project_settings, report, run_spiders
    from olmstats.pseudonym import KEY_ENV, Pseudonymiser
    from olmstats.store import run_record_path
    from olmstats.store.layout import check_run_id

    overrides: dict[str, object] = {
        "OLM_STORE": str(store),
        **({"OLM_JOB_DIR": str(job_dir)} if job_dir else {}),
        "OLM_PROGRESS": progress and sys.stderr.isatty(),
        **log_level(level),
        **parse_settings(setting),
    }
    settings = project_settings(overrides)
    spider_class = check_spider(spider, settings)
    descriptor = platform(spider_class.platform)
    if base_url:
        overrides[descriptor.base_url_setting] = base_url
        settings = project_settings(overrides)
    accepted = spider_class.accepted_arguments
    arguments: dict[str, str] = {}
    if country:
        if "countries" not in accepted:
            raise InputError(f"--country does not apply to {spider}")
        arguments["countries"] = ",".join(country_table.parse_list(",".join(split_values(country))))
    if skill:
        if "skills" not in accepted:
            raise InputError(f"--skill does not apply to {spider}")
        arguments["skills"] = ",".join(split_values(skill))
    if category:
        if "categories" not in accepted:
            raise InputError(f"--category does not apply to {spider}")
        arguments["categories"] = ",".join(split_values(category))
    if max_pages is not None:
        if max_pages < 1:
            raise InputError("--max-pages must be at least 1")
        arguments["max_pages"] = str(max_pages)
    if since is not None:
        if "since" not in accepted:
            raise InputError(f"--since does not apply to {spider}")
        day = None if since == "stored" else parse_date(since, "--since")
        if day and day > date.today():
            raise InputError(f"--since {day} is in the future")
        arguments["since"] = since
    if run_id is not None:
        arguments["run_id"] = check_run_id(run_id)
        if run_record_path(store, run_id).exists():
            raise InputError(f"run id {run_id} already exists in {store}; choose another")
    key = os.environ.get(KEY_ENV, "")
    if not key:
        raise InputError(
            f"set {KEY_ENV} to a secret of 16+ characters and keep it "
            "(the same key links profiles across crawls)"
        )
    Pseudonymiser(key)  # validates the key
    check_zyte()
    check_politeness(settings, descriptor)
    distributed = check_distributed(redis, worker, overrides, job_dir=job_dir, run_id=run_id)
    from olmstats.cli.plan_commands import EXIT_PLAN_RUNNING
    from olmstats.plans import PlanRunningError, platform_locks

    try:
        with platform_locks(
            store, [descriptor.name], f"olm crawl {spider}", distributed=distributed
        ):
            results = run_spiders([(spider, arguments)], overrides)
    except PlanRunningError as exc:
        sys.stderr.write(f"olm: error: {exc}\n")
        raise typer.Exit(EXIT_PLAN_RUNNING) from None
    raise typer.Exit(report(results))


@app.command("import")
def import_feeds(
    feed: Annotated[
        str,
        typer.Argument(
            help="The kind of archived file (its spider's feed name; see `olm platforms`)."
        ),
    ],
    files: Annotated[list[Path], typer.Argument(help="Archived feed files.")],
    store: Annotated[
        Path, typer.Option("--store", "-s", help="Store folder to write.", envvar="OLM_STORE")
    ] = DEFAULT_STORE,
    level: Annotated[
        str | None,
        typer.Option("--log-level", help="Show Scrapy's log at this level (default: off)."),
    ] = None,
) -> None:
    """Import archived feed files into the store: one run per file, dated by the feed itself.

    Each file goes through the same pipelines as a crawl; its run record names the file and its
    sha256. A file already imported into the store is skipped (and said to be)."""
    from olmstats.cli.crawl import feed_spiders, project_settings, report, run_spiders
    from olmstats.pseudonym import KEY_ENV, Pseudonymiser
    from olmstats.store import run_record_path

    # an import reads files, not a host: never a distributed crawl, whatever OLM_REDIS_URL says
    overrides: dict[str, object] = {"OLM_STORE": str(store), "OLM_PROGRESS": False, "REDIS_URL": ""}
    overrides.update(log_level(level))
    known = feed_spiders(project_settings(overrides))
    if feed not in known:
        raise InputError(f"unknown feed {feed!r}: one of {', '.join(sorted(known)) or 'none'}")
    spider_class = known[feed]
    key = os.environ.get(KEY_ENV, "")
    if not key:
        raise InputError(f"set {KEY_ENV} to a secret of 16+ characters and keep it")
    Pseudonymiser(key)
    jobs, seen = [], set()
    for file in files:
        source = spider_class.source_of(str(file))  # one line for a file that is not a feed
        run_id = spider_class.run_id_for(source)
        if run_id in seen or run_record_path(store, run_id).exists():
            sys.stderr.write(f"{file}: already imported (run {run_id}); skipped\n")
            seen.add(run_id)
            continue
        seen.add(run_id)
        jobs.append((spider_class.name, {"file": str(file)}))
    if jobs:
        raise typer.Exit(report(run_spiders(jobs, overrides)))


#: Exit code when the Redis of a distributed crawl does not answer: the run could not do its job
#: (as for a store that cannot be written), and nothing was crawled.
EXIT_REDIS_UNREACHABLE = 4


def check_distributed(
    url: str | None,
    worker: str | None,
    overrides: dict[str, object],
    *,
    job_dir: Path | None,
    run_id: str | None,
) -> bool:
    """Whether the crawl is distributed (``--redis``, ``OLM_REDIS_URL`` or ``--set
    REDIS_URL``); if so, check everything it needs before anything starts. A mistake is one
    InputError line (exit 2); a Redis that does not answer is one line and exit 4."""
    url = url or str(overrides.get("REDIS_URL") or "")
    if not url:
        if worker and os.environ.get("OLM_WORKER_ID") != worker:
            raise InputError("--worker names a worker of a distributed crawl: give --redis too")
        return False
    import importlib.util

    from olmcrawl.distributed.shared import check_redis_url, check_worker_id, redis_problem

    check_redis_url(url)
    overrides["REDIS_URL"] = url
    if worker:
        overrides["OLM_WORKER_ID"] = check_worker_id(worker)
    if job_dir is not None:
        raise InputError(
            "--job-dir does not apply to a distributed crawl: its queue and account are in Redis"
        )
    if run_id is not None:
        raise InputError(
            "--run-id does not apply to a distributed crawl: each worker names its own run"
        )
    if os.environ.get("OLM_ZYTE_API_KEY"):
        raise InputError(
            "distributed crawls do not go through Zyte API (its handlers would bypass the "
            "shared rate): unset OLM_ZYTE_API_KEY or drop --redis"
        )
    if importlib.util.find_spec("scrapy_redis") is None:
        raise InputError(
            "distributed crawls need scrapy-redis: pip install 'olmstats[distributed]'"
        )
    problem = redis_problem(url)
    if problem:
        sys.stderr.write(f"olm: error: {problem}; nothing crawled\n")
        raise typer.Exit(EXIT_REDIS_UNREACHABLE)
    return True


def check_zyte() -> None:
    """OLM_ZYTE_API_KEY routes requests through Zyte API: it needs scrapy-zyte-api."""
    import importlib.util

    if os.environ.get("OLM_ZYTE_API_KEY") and importlib.util.find_spec("scrapy_zyte_api") is None:
        raise InputError(
            "OLM_ZYTE_API_KEY is set but scrapy-zyte-api is not installed "
            "(pip install scrapy-zyte-api), or unset the key"
        )


def check_politeness(settings: object, descriptor: Platform) -> None:
    from urllib.parse import urlsplit

    from olmcrawl.base.olm_spider import LOOPBACK_HOSTS
    from olmcrawl.extensions.politeness_guard import politeness_problems

    host = urlsplit(descriptor.base_url(settings)).hostname
    problems = politeness_problems(settings, loopback=host in LOOPBACK_HOSTS)
    if problems:
        raise InputError("refusing to crawl " + str(host) + ": " + "; ".join(problems))


@app.command()
def demo(
    store: Annotated[Path, typer.Option("--store", "-s", help="Demo store (recreated).")] = Path(
        "demo-store"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the simulated market.")] = 20261125,
    profiles: Annotated[int, typer.Option(min=1, help="Simulated profiles.")] = 6000,
    jobs: Annotated[int, typer.Option(min=1, help="Simulated open projects.")] = 2500,
    fmt: FormatOption = Format.table,
) -> None:
    """Replay a simulated market on loopback, crawl it with the real spiders, print the table."""
    from contextlib import ExitStack

    from olmstats.cli.crawl import report, run_spiders
    from olmstats.replay import ReplayServer, renderer
    from olmstats.simulate import MarketParameters, simulate_market

    if store.exists():
        if not (store / DEMO_MARKER).exists():
            raise InputError(f"{store} exists and is not a demo store; pass another --store")
        shutil.rmtree(store)
    store.mkdir(parents=True)
    (store / DEMO_MARKER).write_text("Created by `olm demo`; deleted by the next demo.\n")
    market = simulate_market(MarketParameters(seed=seed, n_profiles=profiles, n_jobs=jobs))
    replayed = [p for p in platforms().values() if p.replay]
    sys.stderr.write(
        f"Simulated market: {profiles} profiles in {len(market.parameters.countries)} "
        f"countries, {jobs} open projects (seed {seed}); serving it on loopback as "
        f"{', '.join(p.display_name for p in replayed)}.\n"
    )
    with ExitStack() as servers:
        overrides = replay_overrides(store, progress=sys.stderr.isatty())
        crawls = []
        for descriptor in replayed:
            handler = renderer(descriptor, market)
            server = servers.enter_context(ReplayServer(handler))
            overrides[descriptor.base_url_setting] = replay_base_url(server.url, descriptor)
            overrides.update(getattr(handler, "demo_settings", {}))
            crawls += handler.demo_crawls()
        overrides["OLM_PSEUDONYM_KEY"] = DEMO_KEY
        overrides["OLM_DATA_ORIGIN"] = market.origin
        results = run_spiders(crawls, overrides)
    code = report(results)
    if code:
        raise typer.Exit(code)
    summary(
        store=store,
        country=None,
        occupation=None,
        min_count=10,
        since=None,
        until=None,
        fmt=fmt,
        output=None,
    )


def replay_base_url(server_url: str, descriptor: Platform) -> str:
    """The platform's base URL on a loopback replay: the real one's path on the replay host."""
    return server_url + urlsplit(descriptor.default_base_url).path


def replay_overrides(store: Path, *, progress: bool) -> dict[str, object]:
    """Settings for crawling loopback replays: the only case allowed to lift the delay."""
    return {
        "OLM_STORE": str(store),
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "LOG_ENABLED": False,
        "OLM_PROGRESS": progress,
        "REDIS_URL": "",  # the demo runs in one process, whatever OLM_REDIS_URL says
    }


@app.command()
def replay(
    name: Annotated[
        str | None, typer.Option("--platform", help="Platform (default: the first with a replay).")
    ] = None,
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Loopback port (0 picks a free one).")
    ] = 8765,
    seed: Annotated[int, typer.Option(help="Seed of the simulated market.")] = 20261125,
    profiles: Annotated[int, typer.Option(min=1, help="Simulated profiles.")] = 6000,
    jobs: Annotated[int, typer.Option(min=1, help="Simulated open projects.")] = 2500,
) -> None:
    """Serve the simulated market in a platform's own format on 127.0.0.1 until Ctrl-C."""
    import time

    from olmstats.replay import ReplayServer, renderer
    from olmstats.simulate import MarketParameters, simulate_market

    replayed = [p for p in platforms().values() if p.replay]
    descriptor = platform(name) if name else replayed[0]
    if not descriptor.replay:
        raise InputError(f"{descriptor.name} has no replay")
    market = simulate_market(MarketParameters(seed=seed, n_profiles=profiles, n_jobs=jobs))
    try:
        server = ReplayServer(renderer(descriptor, market), port=port)
    except OSError as exc:
        raise InputError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    with server:
        sys.stderr.write(
            f"Replaying {market.origin} as {descriptor.display_name} at "
            f"{replay_base_url(server.url, descriptor)} (Ctrl-C stops; crawl it with "
            f"--base-url that URL)\n"
        )
        while True:
            time.sleep(3600)
