"""Detect block, captcha and login pages, count them, and stop instead of parsing them.

A platform that decides we are a bot answers with a page a parser would read as "no results":
an Imperva/Incapsula or Cloudflare challenge, a captcha, a login form, or an HTML page where the
API promised JSON. Treating that as an empty listing would silently lose data and hammering on
would be rude, so the first such page stops the crawl with reason ``blocked_<kind>`` and the
count ``olm/block/<kind>``.
"""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from olmcrawl.stopping import CrawlStopped, stop_crawl

MARKERS: dict[str, tuple[str, ...]] = {
    "incapsula": ("_incapsula_resource", "incapsula incident id"),
    "captcha": (
        "cf-chl",
        "challenge-platform",
        "verify you are human",
        "g-recaptcha",
        "h-captcha",
        "px-captcha",
        "please verify you are a human",
        "captcha",
    ),
    "login": ("<title>log in", "<title>login", 'type="password"', 'name="passwd"'),
    "access_denied": (
        "access denied",
        "attention required!",
        "request unsuccessful",
        "you have been blocked",
    ),
}
SNIFF_BYTES = 20_000


def detect_block(response: Response, *, expects_json: bool) -> str | None:
    """The kind of block page *response* is, or None if it looks like real content."""
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    head = response.body[:SNIFF_BYTES]
    looks_html = "html" in content_type or head.lstrip()[:1] == b"<"
    if response.status == 401:
        return "auth_required"
    if not looks_html:
        return None
    text = head.decode("utf-8", "replace").lower()
    for kind, markers in MARKERS.items():
        if any(marker in text for marker in markers):
            return kind
    if response.status in (403, 429, 503):
        return "forbidden_html"
    if expects_json and response.status == 200 and "/robots.txt" not in response.url:
        return "unexpected_html"
    return None


class BlockDetectionMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.blocked: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @staticmethod
    def hint(spider: object) -> str:
        """The platform's advice for a blocked crawl (its descriptor's ``blocked_hint``)."""
        from olmstats.platforms import platforms

        descriptor = platforms().get(getattr(spider, "platform", ""))
        return descriptor.blocked_hint if descriptor else ""

    def process_request(self, request: Request) -> None:
        """Once blocked, nothing more leaves: requests already scheduled are refused."""
        if self.blocked:
            self.crawler.stats.inc_value("olm/block/requests_refused")
            raise CrawlStopped(
                f"blocked_{self.blocked}", f"crawl stopped after a {self.blocked} page"
            )

    def process_response(self, request: Request, response: Response) -> Response:
        if response.url.startswith("file:"):
            return response  # an archived file read from disk: no platform answered
        spider = self.crawler.spider
        marker = getattr(spider, "content_marker", None)
        if marker and response.status == 200 and marker in response.body:
            return response  # the page carries the content its spider reads: not a block
        kind = detect_block(response, expects_json=getattr(spider, "expects_json", False))
        if kind is None:
            return response
        self.blocked = kind
        self.crawler.stats.inc_value(f"olm/block/{kind}")
        hint = self.hint(spider)
        stop_crawl(
            self.crawler,
            f"blocked_{kind}",
            f"blocked: {response.url} answered HTTP {response.status} with a {kind} "
            "page; stopping instead of retrying" + (f". {hint}" if hint else ""),
        )
        raise CrawlStopped(f"blocked_{kind}", f"block page ({kind})")
