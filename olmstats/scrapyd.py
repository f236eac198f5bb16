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
        try:
            with urlopen(request, timeout=30) as answer:  # the operator-given URL
                body = json.loads(answer.read())
        except HTTPError as exc:
            hint = " (set OLM_SCRAPYD_USERNAME and OLM_SCRAPYD_PASSWORD)" if exc.code == 401 else ""
            raise InputError(
                f"scrapyd at {self.url} answered {exc.code} to {endpoint}{hint}"
            ) from None
        except (URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(f"cannot reach scrapyd at {self.url}: {reason}") from None
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

    def finished(self) -> set[str]:
        return {j["id"] for j in self.call("listjobs.json?project=olmstats").get("finished", [])}

    def run_chains(
        self, chains: list[list[Any]], settings: dict[str, object], store: Path
    ) -> list[Any]:
        """Run each chain's crawls in turn, chains side by side; a CrawlResult per crawl."""
        queues = [list(chain) for chain in chains]
        running: dict[str, Any] = {}  # job id -> crawl
        order: list[str] = []
        while queues or running:
            busy = {crawl.platform for crawl in running.values()}
            for queue in list(queues):
                if queue and queue[0].platform not in busy:
                    crawl = queue.pop(0)
                    job = self.schedule(crawl.spider, crawl.arguments, settings)
                    running[job], busy = crawl, busy | {crawl.platform}
                    order.append(job)
                if not queue:
                    queues.remove(queue)
            time.sleep(POLL_SECONDS)
            done = self.finished() & set(running)
            for job in done:
                running.pop(job)
        return [_result_of(job, store) for job in order]


def _result_of(job: str, store: Path) -> Any:
    from olmstats.cli.crawl import CrawlResult
    from olmstats.store.runs import READ_OUTCOMES, load_run_records

    records, _ = load_run_records(store)
    for record in records.values():
        if record.get("scrapyd_job") == job:
            kept = sum((record.get("items_kept") or {}).values())
            listings = record.get("listings") or []
            read = sum(1 for entry in listings if entry.get("outcome") in READ_OUTCOMES)
            return CrawlResult(
                spider=record["spider"],
                run_id=record["run_id"],
                status=record["status"],
                finish_reason=str(record.get("finish_reason") or "unknown"),
                problems=list(record.get("problems") or []),
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
