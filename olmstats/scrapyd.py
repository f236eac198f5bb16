"""Running a plan's crawls on a scrapyd server (``olm plan run PLAN --scrapyd URL``).

Crawls of one platform run one after the other (each scheduled when the previous one has
finished), platforms side by side, as ``olm plan run`` does locally. Each crawl's outcome is
read from the run record it wrote, found by its scrapyd job id in the store: *store* must be the
folder the server writes (``OLM_STORE`` is forwarded as a setting to make sure it does). A job
that finishes without a run record there is reported as failed, never as complete.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from olmstats.errors import InputError

POLL_SECONDS = 1.0
#: Polls a scheduled job may be missing from every scrapyd list before it counts as ended.
VANISHED_POLLS = 5
#: Attempts of one webservice call when the connection fails (scrapyd restarting, say).
ATTEMPTS = 3


class _TransientError(Exception):
    """A failure worth another attempt (no connection, a 5xx)."""


class ScrapydClient:
    """The few scrapyd webservice calls a plan needs, with basic authentication."""

    def __init__(self, url: str, username: str = "", password: str = "") -> None:
        self.url = url.rstrip("/") + "/"
        self.headers: dict[str, str] = {}
        if username:
            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def call(self, endpoint: str, fields: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        data = None if fields is None else urlencode(fields).encode()
        request = Request(self.url + endpoint, data=data, headers=self.headers)
        for attempt in range(ATTEMPTS):
            try:
                return self._answer(request, endpoint)
            except _TransientError as exc:
                if attempt == ATTEMPTS - 1:
                    raise InputError(f"cannot reach scrapyd at {self.url}: {exc}") from None
                time.sleep(2.0 * (attempt + 1))
        raise AssertionError("unreachable")

    def _answer(self, request: Request, endpoint: str) -> dict[str, Any]:
        try:
            with urlopen(request, timeout=30) as answer:  # the operator-given URL
                body = json.loads(answer.read())
        except HTTPError as exc:
            if exc.code >= 500:
                raise _TransientError(f"HTTP {exc.code}") from None
            hint = " (set OLM_SCRAPYD_USERNAME and OLM_SCRAPYD_PASSWORD)" if exc.code == 401 else ""
            raise InputError(
                f"scrapyd at {self.url} answered {exc.code} to {endpoint}{hint}"
            ) from None
        except (URLError, OSError) as exc:
            raise _TransientError(str(getattr(exc, "reason", exc))) from None
        except ValueError:
            raise InputError(f"scrapyd at {self.url} answered {endpoint} with no JSON") from None
        if body.get("status") != "ok":
            raise InputError(f"scrapyd refused {endpoint}: {body.get('message', body)}")
        return body

    def check(self, project: str = "olmstats") -> None:
        self.call("daemonstatus.json")
        projects = self.call("listprojects.json").get("projects", [])
        if project not in projects:
            raise InputError(
                f"scrapyd at {self.url} has no project {project!r}: deploy it first "
                "(scrapyd-deploy olm -p olmstats)"
            )

    def schedule(self, spider: str, arguments: dict[str, str], settings: dict[str, object]) -> str:
        fields = [("project", "olmstats"), ("spider", spider)]
        fields += [(k, v) for k, v in arguments.items()]
        fields += [("setting", f"{k}={v}") for k, v in settings.items()]
        return str(self.call("schedule.json", fields)["jobid"])

    def jobs(self) -> dict[str, set[str]]:
        """Job ids by state: pending, running, finished."""
        listed = self.call("listjobs.json?project=olmstats")
        return {
            state: {j["id"] for j in listed.get(state, []) if isinstance(j, dict)}
            for state in ("pending", "running", "finished")
        }

    def cancel(self, jobs: set[str]) -> None:
        """Best effort: ask scrapyd to stop *jobs* (a plan that is aborted leaves none)."""
        for job in jobs:
            try:
                self.call("cancel.json", [("project", "olmstats"), ("job", job)])
            except InputError:
                continue

    def run_chains(
        self,
        chains: list[list[Any]],
        settings: dict[str, object],
        store: Path,
        *,
        timeout_hours: float = 24.0,
    ) -> list[Any]:
        """Run each chain's crawls in turn, chains side by side; a CrawlResult per crawl.

        A job scrapyd no longer lists (cancelled while pending, lost in a restart, evicted
        from its finished list) counts as ended after :data:`VANISHED_POLLS` polls and is
        reported from whatever record it left. Past *timeout_hours*, or on any error or
        interruption, the plan's jobs still pending or running are cancelled and the error
        raised: a plan never leaves crawls behind when it gives up."""
        queues = [list(chain) for chain in chains if chain]
        running: dict[str, Any] = {}  # job id -> crawl
        missing: dict[str, int] = {}
        order: list[str] = []
        deadline = time.monotonic() + timeout_hours * 3600
        try:
            while queues or running:
                busy = {crawl.platform for crawl in running.values()}
                for queue in list(queues):
                    if queue[0].platform not in busy:
                        crawl = queue.pop(0)
                        job = self.schedule(crawl.spider, crawl.arguments, settings)
                        running[job], busy = crawl, busy | {crawl.platform}
                        order.append(job)
                    if not queue:
                        queues.remove(queue)
                time.sleep(POLL_SECONDS)
                if time.monotonic() > deadline:
                    raise InputError(
                        f"the plan's crawls on {self.url} ran past {timeout_hours:g} h: cancelled"
                    )
                states = self.jobs()
                for job in list(running):
                    if job in states["finished"]:
                        running.pop(job)
                    elif job in states["pending"] or job in states["running"]:
                        missing.pop(job, None)
                    else:
                        missing[job] = missing.get(job, 0) + 1
                        if missing[job] >= VANISHED_POLLS:
                            running.pop(job)
        except BaseException:
            self.cancel(set(running))
            raise
        return [_result_of(job, store) for job in order]


def _result_of(job: str, store: Path) -> Any:
    from olmstats.cli.crawl import CrawlResult
    from olmstats.store.runs import READ_OUTCOMES, RUNNING, load_run_records

    records, _ = load_run_records(store)
    for record in records.values():
        if record.get("scrapyd_job") == job:
            kept = sum((record.get("items_kept") or {}).values())
            listings = [e for e in record.get("listings") or [] if isinstance(e, dict)]
            read = sum(1 for entry in listings if entry.get("outcome") in READ_OUTCOMES)
            status, problems = record["status"], list(record.get("problems") or [])
            if status == RUNNING:  # the job ended, its record never did: killed
                status = "failed"
                problems.append("the job ended but its run record still says running (killed?)")
            return CrawlResult(
                spider=record["spider"],
                run_id=record["run_id"],
                status=status,
                finish_reason=str(record.get("finish_reason") or "unknown"),
                problems=problems,
                notes=list(record.get("notes") or []),
                items_kept=kept,
                items_dropped=sum((record.get("items_dropped") or {}).values()),
                items_lost=sum((record.get("items_lost") or {}).values()),
                listings=len(listings),
                listings_read=read,
            )
    return CrawlResult(
        spider=f"scrapyd job {job}",
        run_id="-",
        status="failed",
        finish_reason="no_run_record",
        problems=[f"the job finished but wrote no run record in {store} (see scrapyd's log)"],
    )
