"""Upwork's GraphQL job search, replayed from a simulated market in the API's own shape.

``POST /graphql`` with a ``marketplaceJobPostingsSearch`` query answers
``{"data": {"marketplaceJobPostingsSearch": {"totalCount", "edges": [{"node": …}],
"pageInfo": {"endCursor", "hasNextPage"}}}}``, the shape of the API's documented search
(field names as in public clients of the API, e.g. tryAGI/Upwork's queries), cursor-paged with
``pagination_eq: {first, after}`` and filtered by ``searchExpression_eq`` (a word of a skill or
category). Without ``Authorization: Bearer …`` (or with a token under 16 characters, standing
in for one the API refuses) it answers 401, as the API does.

Per-platform differences from the simulated market (``olmstats.simulate``): one job in two is
on Upwork, US$ only; fixed jobs carry their budget's middle as ``amount``, hourly ones their
range; ``totalApplicants`` is the simulated bid count; the client's total spend is simulated.
Nodes carry the title, description and the client's city, which the spider never asks for, so
that tests can prove none is stored.

``GET /ab/feed/jobs/rss?q=<words>`` answers the same jobs as the job RSS feed Upwork served
until mid-2024, in the format of the archived feeds (tests/fixtures/upwork): the channel dated
by the market's snapshot time, each item's description ending in the labelled fields
(``Budget`` or ``Hourly Range``, ``Posted On``, ``Category``, ``Skills``, ``Country``). Feed
readers, not crawlers, fetched it (robots.txt disallows ``/ab/``): save it to a file, as an
archive would have, and ``olm import upwork-rss`` the file.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, ClassVar
from xml.sax.saxutils import escape

from olmstats import countries as country_table
from olmstats.replay.server import Reply
from olmstats.simulate import SimulatedMarket

CATEGORIES = {
    "software_technology": "Web, Mobile & Software Dev",
    "creative_multimedia": "Design & Creative",
    "writing_translation": "Writing",
    "sales_marketing": "Sales & Marketing",
    "clerical_data_entry": "Admin Support",
    "professional_services": "Accounting & Consulting",
}
ROBOTS_TXT = "User-agent: *\nDisallow: /ab/\n"


def _bucket(value: Any, n: int) -> int:
    return int.from_bytes(hashlib.md5(str(value).encode()).digest()[:4], "big") % n


class UpworkReplay:
    robots_txt = ROBOTS_TXT
    demo_settings: ClassVar[dict[str, str]] = {
        "UPWORK_ACCESS_TOKEN": "olmstats-demo-token-not-a-secret"
    }

    def __init__(self, market: SimulatedMarket) -> None:
        self.origin = market.origin
        self.snapshot_time = market.parameters.as_of
        names = dict(market.skills.select("skill_id", "skill_name").iter_rows())
        self.nodes = [
            self._node(row, names)
            for row in market.jobs.sort("time_submitted", descending=True).iter_rows(named=True)
            if _bucket(row["native_id"], 2) == 0
        ]

    def demo_crawls(self) -> list[tuple[str, dict[str, str]]]:
        return [("upwork_jobs", {})]

    def _node(self, row: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
        rate = row["fx_usd_per_unit"] or 1.0
        low, high = (row["budget_min"] or 0) * rate, (row["budget_max"] or 0) * rate
        hourly = row["job_type"] == "hourly"
        money = {"currency": "USD"}
        when = datetime.fromtimestamp(row["time_submitted"], UTC).isoformat().replace("+00:00", "Z")
        country = row["employer_country"]
        skills = [names[s] for s in row["skill_ids"] if s in names]
        return {
            "id": str(1_800_000_000_000_000_000 + row["native_id"]),
            "ciphertext": f"~01{row['native_id']:016x}",
            "title": f"{(skills or ['Work'])[0]} needed",
            "description": f"Long brief for job {row['native_id']}; email me at owner@example.org",
            "createdDateTime": when,
            "publishedDateTime": when,
            "amount": None if hourly else {**money, "rawValue": str(round((low + high) / 2))},
            "hourlyBudgetType": "DEFAULT" if hourly else None,
            "hourlyBudgetMin": {**money, "rawValue": f"{low:.2f}"} if hourly else None,
            "hourlyBudgetMax": {**money, "rawValue": f"{high:.2f}"} if hourly else None,
            "totalApplicants": row["bid_count"],
            "category": CATEGORIES[row["occupation"]],
            "occupations": {"category": {"id": "531", "prefLabel": CATEGORIES[row["occupation"]]}},
            "skills": [
                {"id": str(1000 + i), "name": s.lower(), "prettyName": s}
                for i, s in enumerate(skills)
            ],
            "client": {
                "location": {
                    "country": country_table.countries()[country].name if country else None,
                    "city": "Springfield",
                },
                "totalSpent": {"rawValue": str(row["owner_id"] % 50_000), "currency": "USD"},
            },
        }

    def matching(self, words: list[str]) -> list[dict[str, Any]]:
        """Nodes whose category or a skill contains every word (case-insensitive)."""
        return [
            n
            for n in self.nodes
            if all(
                w in n["category"].lower() or any(w in s["name"] for s in n["skills"])
                for w in words
            )
        ]

    def handle(self, path: str, query: dict[str, list[str]]) -> Reply:
        if path.rstrip("/") == "/ab/feed/jobs/rss":
            words = " ".join(query.get("q", [])).lower().split()
            body = self.rss(self.matching(words), " ".join(words) or "all")
            return Reply(200, body.encode(), "application/rss+xml; charset=utf-8")
        return Reply(405, b'{"errors": [{"message": "use POST"}]}')

    def rss(self, nodes: list[dict[str, Any]], topic: str) -> str:
        """*nodes* as an Upwork job RSS feed, in the archived feeds' layout."""
        as_of = self.snapshot_time
        title = f"All {topic} jobs | upwork.com"
        items = "".join(self._rss_item(n) for n in nodes)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">'
            f"<channel><title><![CDATA[{title}]]></title>"
            f"<link>https://www.upwork.com/ab/feed/jobs/rss?q={escape(topic)}</link>"
            f"<description><![CDATA[All {topic} jobs as of "
            f"{as_of.strftime('%B %d, %Y %H:%M')} UTC]]></description>"
            f"<language>en-us</language><pubDate>{format_datetime(as_of)}</pubDate>"
            "<generator>Upwork Corporation</generator>"
            f"{items}</channel></rss>"
        )

    @staticmethod
    def _rss_item(node: dict[str, Any]) -> str:
        link = (
            "https://www.upwork.com/jobs/"
            f"{node['title'].replace(' ', '-')}_%7E{node['ciphertext'].lstrip('~')}?source=rss"
        )
        posted = datetime.fromisoformat(node["publishedDateTime"].replace("Z", "+00:00"))
        if node["amount"]:
            money = f"<b>Budget</b>: ${int(node['amount']['rawValue']):,}"
        else:
            low, high = node["hourlyBudgetMin"]["rawValue"], node["hourlyBudgetMax"]["rawValue"]
            money = f"<b>Hourly Range</b>: ${low}-${high}\n"
        skills = ",     ".join(s["prettyName"] for s in node["skills"])
        country = node["client"]["location"]["country"]
        description = (
            f"{node['description']}<br /><br />{money}\n<br /><b>Posted On</b>: "
            f"{posted.strftime('%B %d, %Y %H:%M')} UTC<br /><b>Category</b>: {node['category']}"
            f"<br /><b>Skills</b>:{skills}    \n"
            + (f"<br /><b>Country</b>: {country}\n" if country else "")
            + f'<br /><a href="{link}">click to apply</a>\n'
        )
        return (
            f"<item><title><![CDATA[{node['title']} - Upwork]]></title><link>{link}</link>"
            f"<description><![CDATA[{description}]]></description>"
            f"<pubDate>{format_datetime(posted)}</pubDate><guid>{link}</guid></item>"
        )

    def handle_post(self, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        if path.rstrip("/") != "/graphql":
            return Reply(404, b'{"errors": [{"message": "not found"}]}')
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        if not auth.startswith("Bearer ") or len(auth) < len("Bearer ") + 16:  # a bad token
            return Reply(401, b'{"errors": [{"message": "Unauthorized: no valid token"}]}')
        try:
            request = json.loads(body)
            variables = request.get("variables") or {}
            job_filter = variables.get("marketPlaceJobFilter") or {}
        except (ValueError, AttributeError):
            return Reply(400, b'{"errors": [{"message": "bad request"}]}')
        if "marketplaceJobPostingsSearch" not in str(request.get("query")):
            return Reply(200, b'{"errors": [{"message": "unknown query"}]}')
        words = str(job_filter.get("searchExpression_eq") or "").lower().split()
        matches = self.matching(words)
        paging = job_filter.get("pagination_eq") or {}
        first = max(1, min(int(paging.get("first") or 10), 100))
        start = int(paging.get("after") or 0)
        shown = matches[start : start + first]
        end = start + len(shown)
        answer = {
            "data": {
                "marketplaceJobPostingsSearch": {
                    "totalCount": len(matches),
                    "edges": [
                        {"cursor": str(start + i + 1), "node": n} for i, n in enumerate(shown)
                    ],
                    "pageInfo": {"endCursor": str(end), "hasNextPage": end < len(matches)},
                }
            }
        }
        return Reply(200, json.dumps(answer).encode())
