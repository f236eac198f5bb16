"""A loopback server that speaks Freelancer.com's API (the replay) and breaks it on purpose.

Normal answers come from the Freelancer replay (olmstats/platforms/freelancer/replay.py);
faults apply to listing pages only (``/users/0.1/users/directory/`` and
``/projects/0.1/projects/active/``), and, when ``only`` is given, only to listings whose query
string contains it (e.g. ``"India"``), so that the other listings of the crawl read normally.
``page`` (0-based) limits a fault to that page; ``paths`` moves the faults to other endpoints
(``SKILL_LIST``: the skill list every skill-filtered crawl starts from).

Modes:

``none``             no fault (a baseline to compare counts with)
``persistent_5xx``   every faulty page answers 500 (a JSON error envelope), retries included
``fail_page``        page ``page`` answers 500 every time; the pages before it are normal
``short_body``       200 with a Content-Length longer than the body, then the connection closes
``drop_connection``  the connection closes without any answer
``slow``             the answer comes after ``delay`` seconds (beyond the crawl's timeout)
``empty_body``       200 with an empty body
``non_json``         200 ``text/plain`` that is not JSON
``result_null``      200 ``{"status": "success", "result": null}``
``error_envelope``   200 ``{"status": "error", ...}``
``wrong_types``      the first page's first entries get a wrong type in one field each
                     (:data:`WRONG_TYPES`); the rest of the page is normal
``absurd_values``    the first page's first entries get an implausible value in one field each
                     (:data:`ABSURD_VALUES`)
``not_found``        404 with the API's error envelope
``redirect_off_host``  302 to another host
``robots_disallow``  robots.txt disallows the listing path (the server never sees the pages)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from olmstats.platforms.freelancer.replay import FreelancerReplay
from olmstats.replay.server import ROBOTS_TXT

LISTING_PATHS = ("/api/users/0.1/users/directory/", "/api/projects/0.1/projects/active/")
MODES = (
    "none",
    "persistent_5xx",
    "fail_page",
    "short_body",
    "drop_connection",
    "slow",
    "empty_body",
    "non_json",
    "result_null",
    "error_envelope",
    "wrong_types",
    "absurd_values",
    "not_found",
    "redirect_off_host",
    "robots_disallow",
)
SKILL_LIST = ("/api/projects/0.1/jobs/",)
FUTURE = 4_102_444_800  # 2100-01-01


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], Any]:
    def change(entry: dict[str, Any]) -> Any:
        target = entry
        for key in path[:-1]:
            target = target.setdefault(key, {})
            if not isinstance(target, dict):
                return entry
        target[path[-1]] = value
        return entry

    return change


def _replace(value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda entry: value


def _both(*changes: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    def change(entry: dict[str, Any]) -> Any:
        for one in changes:
            entry = one(entry)
        return entry

    return change


#: (what the pipeline does with it, change) for the first entries of a directory page.
WRONG_TYPES_USERS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("drop/invalid_id", _set(("id",), "abc")),
    ("drop/invalid_rate", _set(("hourly_rate",), "cheap")),
    ("fix/invalid_registration_date", _set(("registration_date",), "yesterday")),
    ("fix/invalid_reviews", _set(("reputation", "entire_history", "reviews"), "many")),
    ("drop/missing_country", _set(("location",), "Pakistan")),
    ("drop/malformed_entry", _replace(42)),
    ("kept/no_skills", _set(("jobs",), {"id": 3})),
]
WRONG_TYPES_PROJECTS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("drop/invalid_id", _set(("id",), [1])),
    ("drop/invalid_job_type", _set(("type",), 7)),
    ("drop/missing_currency", _set(("currency",), "US dollars")),
    (
        "drop/invalid_posted_time",
        _both(_set(("time_submitted",), "today"), _set(("submitdate",), None)),
    ),
    ("fix/invalid_bid_count", _set(("bid_stats", "bid_count"), "lots")),
    ("drop/malformed_entry", _replace("a project")),
]
ABSURD_USERS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("fix/hourly_rate_usd", _set(("hourly_rate",), 1e9)),
    ("drop/invalid_rate", _set(("hourly_rate",), -5.0)),
    ("fix/invalid_reviews", _set(("reputation", "entire_history", "reviews"), 10**12)),
    ("fix/invalid_registration_date", _set(("registration_date",), FUTURE)),
    (
        "fix/invalid_completion_rate",
        _both(
            _set(("reputation", "entire_history", "all"), 10),
            _set(("reputation", "entire_history", "completion_rate"), 7),
        ),
    ),
]
ABSURD_PROJECTS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("fix/invalid_bid_count", _set(("bid_stats", "bid_count"), 10**7)),
    ("fix/budget_max_usd", _set(("budget", "maximum"), 1e12)),
    ("drop/posted_in_future", _set(("time_submitted",), FUTURE)),
    ("drop/implausible_fx_rate", _set(("currency",), {"code": "INR", "exchange_rate": 5.0})),
    ("drop/invalid_budget", _set(("budget", "minimum"), -100)),
]
WRONG_TYPES = {"users": WRONG_TYPES_USERS, "projects": WRONG_TYPES_PROJECTS}
ABSURD_VALUES = {"users": ABSURD_USERS, "projects": ABSURD_PROJECTS}


@dataclass(frozen=True, slots=True)
class Seen:
    """A request as it arrived (logged before any answer, so slow answers count too)."""

    path: str
    query: dict[str, list[str]]


@dataclass
class FaultServer:
    """Serve *replay* on 127.0.0.1 with fault *mode*; a context manager."""

    replay: FreelancerReplay
    mode: str
    page: int | None = None
    only: str | None = None
    delay: float = 3.0
    #: The paths faults apply to (default: the listing pages; ``SKILL_LIST`` for bootstrap).
    paths: tuple[str, ...] = LISTING_PATHS
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}: one of {MODES}")
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def listing_requests(self) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path in LISTING_PATHS]

    # -- deciding -----------------------------------------------------------------------------

    def faulty(self, path: str, query: dict[str, list[str]]) -> bool:
        if path not in self.paths or self.mode == "none":
            return False
        if self.only is not None and self.only not in urlencode(query, doseq=True):
            return False
        if self.page is None:
            return True
        limit = int(query.get("limit", ["10"])[0])
        return int(query.get("offset", ["0"])[0]) // max(limit, 1) == self.page

    def robots(self) -> bytes:
        extra = "".join(f"Disallow: {p}\n" for p in LISTING_PATHS)
        return (ROBOTS_TXT + (extra if self.mode == "robots_disallow" else "")).encode()

    def mutated(self, path: str, query: dict[str, list[str]]) -> bytes:
        reply = self.replay.handle(path, query)
        body = json.loads(reply.body)
        key = "users" if "directory" in path else "projects"
        changes = (WRONG_TYPES if self.mode == "wrong_types" else ABSURD_VALUES)[key]
        if int(query.get("offset", ["0"])[0]) == 0:
            entries = body["result"][key]
            for i, (_, change) in enumerate(changes[: len(entries)]):
                entries[i] = change(entries[i])
        return json.dumps(body).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def reply(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                named = {name.replace("_", "-"): value for name, value in headers.items()}
                named.setdefault("Content-Length", str(len(body)))
                for name, value in named.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
                with server._lock:
                    server.requests.append(Seen(path, query))
                server.answer(self, path, query)

        return Handler

    def answer(self, handler: Any, path: str, query: dict[str, list[str]]) -> int | None:
        """Write the answer to *handler*; return its status (None when nothing was sent)."""
        if path == "/robots.txt":
            handler.reply(200, self.robots(), "text/plain")
            return 200
        json_type = "application/json"
        if not self.faulty(path, query):
            reply = self.replay.handle(path, query)
            handler.reply(reply.status, reply.body, reply.content_type)
            return reply.status
        mode = self.mode
        error = json.dumps(
            {"status": "error", "message": "Internal error", "error_code": "InternalError"}
        ).encode()
        if mode in ("persistent_5xx", "fail_page"):
            handler.reply(500, error, json_type)
            return 500
        if mode == "short_body":
            body = self.replay.handle(path, query).body
            handler.reply(200, body[: len(body) // 2], json_type, Content_Length=str(len(body)))
            handler.close_connection = True
            return 200
        if mode == "drop_connection":
            handler.close_connection = True
            return None
        if mode == "slow":
            time.sleep(self.delay)
            reply = self.replay.handle(path, query)
            handler.reply(reply.status, reply.body, reply.content_type)
            return reply.status
        if mode == "empty_body":
            handler.reply(200, b"", json_type)
            return 200
        if mode == "non_json":
            handler.reply(200, b"Service temporarily confused; try again", "text/plain")
            return 200
        if mode == "result_null":
            handler.reply(200, b'{"status": "success", "result": null}', json_type)
            return 200
        if mode == "error_envelope":
            handler.reply(200, error, json_type)
            return 200
        if mode in ("wrong_types", "absurd_values"):
            handler.reply(200, self.mutated(path, query), json_type)
            return 200
        if mode == "not_found":
            body = json.dumps(
                {"status": "error", "message": "Not found", "error_code": "NotFoundException"}
            ).encode()
            handler.reply(404, body, json_type)
            return 404
        if mode == "redirect_off_host":
            handler.reply(302, b"", "text/html", Location=f"http://elsewhere.example{path}?moved=1")
            return 302
        raise AssertionError(mode)  # robots_disallow: the crawler never asks
