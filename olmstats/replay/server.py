"""A loopback HTTP server for platform replays, with faults for testing polite crawling.

Platform-neutral: each platform's renderer (``olmstats/platforms/<name>/replay.py``, named by
its descriptor) answers paths in the platform's own format; the server adds robots.txt, the
``X-Olm-Replay`` origin header, a request log and injected faults.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

ROBOTS_TXT = """User-agent: *
Disallow: /users/settings
Disallow: /api/messages/
Disallow: /api/users/0.1/self/
"""

BLOCK_PAGES = {
    # Imperva/Incapsula: what some platforms serve plain HTTP clients (platform notes, section 2).
    "incapsula": (
        403,
        '<html><head><META NAME="robots" CONTENT="noindex,nofollow">'
        '<script src="/_Incapsula_Resource?SWJIYLWA=5074a744e2e3d891814e9a2dace20bd4">'
        '</script></head><body><iframe id="main-iframe" src="/_Incapsula_Resource'
        '?CWUDNSAI=23">Request unsuccessful. Incapsula incident ID: 1234</iframe>'
        "</body></html>",
    ),
    "captcha": (
        403,
        "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
        '<div id="cf-chl-widget">Verify you are human by completing the action '
        'below.</div><script src="/cdn-cgi/challenge-platform/h/g/orchestrate/'
        'chl_page/v1"></script></body></html>',
    ),
    "login": (
        200,
        "<!DOCTYPE html><html><head><title>Log In</title></head><body>"
        '<form action="/login" method="post"><input name="username">'
        '<input type="password" name="passwd"></form></body></html>',
    ),
}


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP answer of a replay: status, body, content type, extra headers."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class Handler(Protocol):
    """A platform's renderer: GET pages with ``handle``; an API that takes POSTed bodies (a
    GraphQL endpoint) also has ``handle_post(path, body, headers)``."""

    origin: str

    def handle(self, path: str, query: dict[str, list[str]]) -> Reply: ...


@dataclass
class Faults:
    """Misbehaviour to inject, for testing how spiders react.

    ``rate_limit``: path → (Retry-After seconds, times); the first *times* requests whose path
    starts with it get 429 with that Retry-After. ``block_after``: after this many API requests,
    every answer is the ``block_kind`` page. ``disallow``: extra robots.txt Disallow lines.
    ``delay``: seconds to wait before each answer.
    """

    rate_limit: dict[str, tuple[int, int]] = field(default_factory=dict)
    block_after: int | None = None
    block_kind: str = "captcha"
    disallow: list[str] = field(default_factory=list)
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    time: float  # time.monotonic()
    path: str
    query: dict[str, list[str]]
    status: int
    user_agent: str
    #: time.monotonic() when the request line arrived, before the answer was made (``time`` is
    #: when it was answered): what a host sees of a crawler's rate
    received: float = 0.0


class ReplayServer:
    """Serve a replay on 127.0.0.1 in a background thread; use as a context manager."""

    def __init__(self, handler: Handler, *, port: int = 0, faults: Faults | None = None) -> None:
        self.handler = handler
        self.faults = faults or Faults()
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._rate_limited: dict[str, int] = {}
        self._api_requests = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._request_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, daemon=True, name="olm-replay"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def api_requests(self) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith("/api/")]

    def _answer(
        self,
        path: str,
        query: dict[str, list[str]],
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        faults = self.faults
        if path == "/robots.txt":
            extra = "".join(f"Disallow: {line}\n" for line in faults.disallow)
            robots = getattr(self.handler, "robots_txt", ROBOTS_TXT)
            return Reply(200, (robots + extra).encode(), "text/plain")
        with self._lock:
            self._api_requests += 1
            count = self._api_requests
            for prefix, (seconds, times) in faults.rate_limit.items():
                if path.startswith(prefix) and self._rate_limited.get(prefix, 0) < times:
                    self._rate_limited[prefix] = self._rate_limited.get(prefix, 0) + 1
                    return Reply(
                        429,
                        b'{"status": "error", "message": "Too many requests", '
                        b'"error_code": "RateLimitExceeded"}',
                        headers={"Retry-After": str(seconds)},
                    )
        if faults.block_after is not None and count > faults.block_after:
            status, page = BLOCK_PAGES[faults.block_kind]
            return Reply(status, page.encode(), "text/html; charset=utf-8")
        if body is None:
            return self.handler.handle(path, query)
        post = getattr(self.handler, "handle_post", None)
        if post is None:
            return Reply(405, b"method not allowed", "text/plain")
        return post(path, body, headers or {})

    def _request_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.answer(None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.answer(self.rfile.read(length))

            def answer(self, body: bytes | None) -> None:
                received = time.monotonic()
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                reply = server._answer(parts.path, query, body, dict(self.headers.items()))
                if server.faults.delay:
                    time.sleep(server.faults.delay)
                with server._lock:
                    server.requests.append(
                        LoggedRequest(
                            time.monotonic(),
                            parts.path,
                            query,
                            reply.status,
                            self.headers.get("User-Agent", ""),
                            received,
                        )
                    )
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.send_header("X-Olm-Replay", server.handler.origin)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                return

        return RequestHandler
