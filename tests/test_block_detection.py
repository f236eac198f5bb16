"""Block, captcha and login pages are detected, counted and stop the crawl."""

from __future__ import annotations

import json

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from olmcrawl.middlewares.block_detection import detect_block
from olmstats.replay import Faults, ReplayServer
from olmstats.replay.server import BLOCK_PAGES
from tests.conftest import replay_settings, run_olm

URL = "https://www.freelancer.com/api/users/0.1/users/directory/"


def html(status: int, body: str, url: str = URL) -> HtmlResponse:
    return HtmlResponse(
        url=url,
        status=status,
        body=body.encode(),
        encoding="utf-8",
        headers={"Content-Type": "text/html"},
        request=Request(url),
    )


@pytest.mark.parametrize("kind", ["incapsula", "captcha", "login"])
def test_recognised_pages(kind):
    status, page = BLOCK_PAGES[kind]
    assert detect_block(html(status, page), expects_json=True) == kind


def test_plain_html_instead_of_json_is_suspect():
    assert detect_block(html(200, "<html><body>Hi</body></html>"), expects_json=True) == (
        "unexpected_html"
    )
    assert detect_block(html(200, "<html><body>Hi</body></html>"), expects_json=False) is None
    assert detect_block(html(403, "<html>nope</html>"), expects_json=False) == "forbidden_html"


def test_real_json_and_robots_are_not_blocks():
    body = json.dumps({"status": "success", "result": {"users": []}}).encode()
    ok = TextResponse(
        url=URL, body=body, headers={"Content-Type": "application/json"}, request=Request(URL)
    )
    assert detect_block(ok, expects_json=True) is None
    robots = TextResponse(
        url="https://www.freelancer.com/robots.txt",
        body=b"User-agent: *\n",
        headers={"Content-Type": "text/plain"},
    )
    assert detect_block(robots, expects_json=True) is None


@pytest.mark.parametrize(("kind", "after"), [("captcha", 3), ("incapsula", 0), ("login", 2)])
def test_crawl_stops_at_the_first_block_page(replay, tmp_path, kind, after):
    with ReplayServer(replay, faults=Faults(block_after=after, block_kind=kind)) as server:
        result = run_olm(
            "crawl",
            "freelancer_profiles",
            "--country",
            "IN,PK,BD,US,PH,GB,UA",
            *replay_settings(
                server.url, tmp_path, CONCURRENT_REQUESTS=1, CONCURRENT_REQUESTS_PER_DOMAIN=1
            ),
        )
        api = server.api_requests()
    assert result.returncode == 5  # blocked
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("freelancer_profiles: blocked — ") and f"blocked_{kind}" in last
    assert len(api) == after + 1  # stopped at the first block page: no hammering
    record = json.loads(next((tmp_path / "runs").glob("*.json")).read_text())
    assert record["finish_reason"] == f"blocked_{kind}"
    assert record["data_quality"][f"block/{kind}"] == 1
