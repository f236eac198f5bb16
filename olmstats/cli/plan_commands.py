"""`olm plan check|run` and `olm schedule`: crawl plans, run now or on a timer.

``olm plan run`` holds the plan's lock for the whole run (a run that finds the previous one
still going says so and exits 6), runs the crawls of each platform one after the other and the
platforms side by side, stamps every run record with the plan's name, and exits with the worst
crawl's code (:mod:`olmstats.store.runs`).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from olmstats.cli.app import app
from olmstats.cli.options import DEFAULT_STORE, log_level, parse_settings
from olmstats.errors import InputError

plan_app = typer.Typer(help="Crawl plans: check one, run one.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")

#: Exit code of a run that did not start because another holds its lock (the plan's, or a
#: platform's: one process at a time crawls a platform into a store).
EXIT_PLAN_RUNNING = 6

PlanArgument = Annotated[Path, typer.Argument(help="The plan (a TOML file; see plans/demo.toml).")]
StoreFolder = Annotated[
    Path, typer.Option("--store", "-s", help="Store folder to write.", envvar="OLM_STORE")
]


@plan_app.command("check")
def plan_check(plan: PlanArgument) -> None:
    """Check a plan: every spider, argument, country, skill, category and the cadence."""
    from olmstats.plans import load_plan

    checked = load_plan(plan)
    for crawl in checked.crawls:
        told = ", ".join(
            f"{k} {v if len(v) <= 60 else v[:57] + '...'}" for k, v in crawl.arguments.items()
        )
        sys.stdout.write(f"{crawl.spider:24} {told or 'no arguments'}\n")
    sys.stderr.write(
        f"plan {checked.name}: {len(checked.crawls)} crawl(s) on {', '.join(checked.platforms)}; "
        f"{checked.cadence} (systemd OnCalendar={checked.on_calendar}); ok\n"
    )


@plan_app.command("run")
def plan_run(
    plan: PlanArgument,
    store: StoreFolder = DEFAULT_STORE,
    setting: Annotated[
        list[str] | None,
        typer.Option("--set", "-S", help="Scrapy setting NAME=VALUE (repeatable), as scrapy -s."),
    ] = None,
    level: Annotated[
        str | None,
        typer.Option("--log-level", help="Show Scrapy's log at this level (default: off)."),
    ] = None,
    scrapyd: Annotated[
        str | None,
        typer.Option(
            help="Run the crawls on this scrapyd (its credentials in OLM_SCRAPYD_USERNAME and "
            "OLM_SCRAPYD_PASSWORD); --store must be the folder it writes.",
            envvar="OLM_SCRAPYD_URL",
        ),
    ] = None,
) -> None:
    """Run a plan's crawls now, into the store, under the plan's lock (here, or on scrapyd)."""
    from olmstats.cli.crawl import check_spider, project_settings, report, run_spiders
    from olmstats.cli.crawling import check_politeness, check_zyte
    from olmstats.plans import PlanRunningError, load_plan, plan_lock, platform_locks
    from olmstats.platforms import platform
    from olmstats.pseudonym import KEY_ENV, Pseudonymiser

    checked = load_plan(plan)
    overrides: dict[str, object] = {
        "OLM_STORE": str(store),
        "OLM_PROGRESS": False,
        "OLM_PLAN": checked.name,
        **log_level(level),
        **parse_settings(setting),
    }
    settings = project_settings(overrides)
    if settings.get("REDIS_URL"):
        raise InputError(
            "olm plan run does not run distributed crawls (REDIS_URL / OLM_REDIS_URL is set): "
            "unset it, or run the plan's crawls as `olm crawl --redis` workers"
        )
    if scrapyd:
        if level:
            raise InputError("--log-level is for local runs: scrapyd keeps each job's log")
        _run_on_scrapyd(checked, scrapyd, store, parse_settings(setting))
        return
    key = os.environ.get(KEY_ENV, "")
    if not key:
        raise InputError(f"set {KEY_ENV} to a secret of 16+ characters and keep it")
    Pseudonymiser(key)
    check_zyte()
    for crawl in checked.crawls:
        descriptor = platform(check_spider(crawl.spider, settings).platform)
        missing = [v for v in descriptor.credentials if not settings.get(v)]
        if missing:
            raise InputError(f"{crawl.spider} needs {', '.join(missing)} in the environment")
        check_politeness(settings, descriptor)
    store.mkdir(parents=True, exist_ok=True)
    try:
        with (
            plan_lock(store, checked),
            platform_locks(store, checked.platforms, f"plan {checked.name}"),
        ):
            results = run_spiders(
                [(c.spider, dict(c.arguments)) for c in checked.crawls],
                overrides,
                one_per_platform=True,
                crawl_settings=[
                    {"OLM_JOB_DIR": str(job_dir(store, checked, c)), "CONCURRENT_ITEMS": 1}
                    for c in checked.crawls
                ],
            )
    except PlanRunningError as exc:
        sys.stderr.write(f"olm: error: {exc}\n")
        raise typer.Exit(EXIT_PLAN_RUNNING) from None
    raise typer.Exit(report(results))


def job_dir(store: Path, plan: Any, crawl: Any) -> Path:
    """The job directory of one crawl of a plan: a killed crawl resumes from it next run."""
    import hashlib
    import json

    from olmstats.store.layout import PLANS_DIR

    key = hashlib.sha256(json.dumps(crawl.arguments, sort_keys=True).encode()).hexdigest()[:10]
    return store / PLANS_DIR / plan.name / "jobs" / f"{crawl.spider}-{key}"


def _run_on_scrapyd(plan: Any, url: str, store: Path, settings: dict[str, object]) -> None:
    """Schedule the plan's crawls on scrapyd, one per platform at a time, and report each
    from the run record it wrote (found by its scrapyd job id in *store*)."""
    from olmstats.cli.crawl import report
    from olmstats.plans import PlanRunningError, plan_lock, platform_locks
    from olmstats.scrapyd import ScrapydClient
    from olmstats.store.runs import EXIT_CODES

    client = ScrapydClient(
        url,
        os.environ.get("OLM_SCRAPYD_USERNAME", ""),
        os.environ.get("OLM_SCRAPYD_PASSWORD", ""),
    )
    client.check()  # one line if it cannot be reached or refuses the credentials
    store.mkdir(parents=True, exist_ok=True)
    forwarded = {**settings, "OLM_STORE": str(store.resolve()), "OLM_PLAN": plan.name}
    try:
        with plan_lock(store, plan), platform_locks(store, plan.platforms, f"plan {plan.name}"):
            results = client.run_chains(plan.chains(), forwarded, store)
    except PlanRunningError as exc:
        sys.stderr.write(f"olm: error: {exc}\n")
        raise typer.Exit(EXIT_PLAN_RUNNING) from None
    except InputError as exc:  # lost scrapyd mid-plan: its jobs were cancelled; a failure
        sys.stderr.write(f"olm: error: {exc} (the plan's scheduled crawls were cancelled)\n")
        raise typer.Exit(EXIT_CODES["failed"]) from None
    raise typer.Exit(report(results))


def _olm_command() -> str:
    """How a timer should call olm: this installation's executable, or the interpreter."""
    beside = Path(sys.executable).parent / "olm"  # the venv's own olm, PATH or not
    found = str(beside) if beside.is_file() else shutil.which("olm")
    if found:
        return shlex.quote(found)
    return f"{shlex.quote(sys.executable)} -m olmstats.cli"


def units(plan_path: Path, store: Path, *, user: str | None) -> dict[str, str]:
    """The systemd service and timer for *plan_path*, and the crontab line, by file name."""
    from olmstats.plans import load_plan

    checked = load_plan(plan_path)
    plan_file, store_folder = plan_path.resolve(), store.resolve()
    olm, where = _olm_command(), shlex.quote(str(store_folder))
    command = f"{olm} plan run {shlex.quote(str(plan_file))} --store {where}"
    # the runs of this plan run only (one per crawl): an old flagged run must not alert forever
    check = f"{olm} runs --store {where} --plan {checked.name} --last {len(checked.crawls)} --check"
    name = f"olm-plan-{checked.name}"
    environment = "/etc/olmstats/olmstats.env"
    service = f"""[Unit]
Description=olmstats crawl plan {checked.name} ({plan_file})
Wants=network-online.target
After=network-online.target
OnFailure={name}-failed.service

[Service]
Type=oneshot
# OLM_PSEUDONYM_KEY (and any platform credentials) live here, readable by the service only
EnvironmentFile={environment}
{f"User={user}" if user else "# User=olmstats"}
ExecStart={command}
ExecStartPost={check}
Nice=10
"""
    failed = f"""[Unit]
Description=olmstats crawl plan {checked.name} failed or was flagged

[Service]
Type=oneshot
# Replace with your alerting (mail, a chat webhook); the journal holds the details.
ExecStart=/usr/bin/logger -p user.err -t olmstats "plan {checked.name}: see journalctl -u {name}"
"""
    timer = f"""[Unit]
Description=Run olmstats crawl plan {checked.name} {checked.cadence}

[Timer]
OnCalendar={checked.on_calendar}
Persistent=true
RandomizedDelaySec=300

[Install]
WantedBy=timers.target
"""
    cron = (
        f"# olmstats plan {checked.name}, {checked.cadence} (cron's times are UTC here)\n"
        "CRON_TZ=UTC\n"
        f"{checked.cron} set -a; . {environment}; set +a; {command}; {check}\n"
    )
    return {
        f"{name}.service": service,
        f"{name}-failed.service": failed,
        f"{name}.timer": timer,
        "crontab": cron,
    }


@app.command()
def schedule(
    plan: PlanArgument,
    store: StoreFolder = DEFAULT_STORE,
    install: Annotated[
        bool, typer.Option(help="Write the units and enable the timer (systemctl).")
    ] = False,
    unit_dir: Annotated[Path, typer.Option(help="Where --install writes the units.")] = Path(
        "/etc/systemd/system"
    ),
    user: Annotated[str | None, typer.Option(help="Run the service as this user.")] = None,
) -> None:
    """Print (or --install) a systemd service + timer for a plan, and the equivalent cron line.

    The service runs `olm plan run`, then `olm runs --check` (a failure or a flag starts the
    -failed service, where your alert goes); the timer fires at the plan's cadence (UTC)."""
    files = units(plan, store, user=user)
    if not install:
        for name, text in files.items():
            sys.stdout.write(f"# --- {name}\n{text}\n")
        return
    if not unit_dir.is_dir():
        raise InputError(f"--unit-dir {unit_dir} is not a folder")
    for name, text in files.items():
        if name == "crontab":
            continue
        target = unit_dir / name
        if target.exists() and target.read_text(encoding="utf-8") != text:
            raise InputError(f"{target} exists with other content: remove it first")
        target.write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {target}\n")
    timer = next(n for n in files if n.endswith(".timer"))
    systemctl = shutil.which("systemctl")
    if systemctl is None or unit_dir != Path("/etc/systemd/system"):
        sys.stderr.write(f"now run: systemctl daemon-reload && systemctl enable --now {timer}\n")
        return
    for step in (["daemon-reload"], ["enable", "--now", timer]):
        done = subprocess.run([systemctl, *step], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise InputError(f"systemctl {' '.join(step)} failed: {done.stderr.strip()}")
    sys.stderr.write(f"enabled {timer}\n")
