"""Guru's job listings and freelancer directory, replayed from a simulated market as HTML.

Job pages have the recorded listing's structure (tests/fixtures/guru/SOURCE.md): cards
``div.record.jobRecord[data-gid]`` with budget, "Posted on …", "N Quotes Received", employer
country and spend, category and skills, and ``window.__pageData.TotalResults``; 20 a page under
``/d/jobs/`` and ``/d/jobs/c/<category>/``, paged with ``pg/<n>/``. Directory pages have the
documented structure (platform notes section 2): cards ``div.findGuruRecord`` with the profile
link, country, earnings, "$N/hr" and skills, 20 a page under ``/d/freelancers/l/<country>/``
and ``/d/freelancers/skill/<skill>/``, with a next-page link while there is one.

Per-platform differences from the simulated market (``olmstats.simulate``): one profile in
three is also on Guru, its id the slug of a made-up profile page, its rate rounded to whole
dollars; every job is listed, US$ only, budgets as Guru's brackets ("Under $250", "$250-$500",
…) for fixed jobs and the simulated range for hourly ones; quotes are the simulated bid count.
Cards carry the names Guru shows (employer and freelancer screen names) so that tests can prove
none is stored.
"""

from __future__ import annotations

import hashlib
import html
import json
from datetime import UTC, datetime
from typing import Any

from olmstats import countries as country_table
from olmstats.platforms.text import slug
from olmstats.replay.server import Reply
from olmstats.simulate import SimulatedMarket

PAGE = 20
CATEGORIES = {
    "software_technology": "Programming & Development",
    "creative_multimedia": "Design & Art",
    "writing_translation": "Writing & Translation",
    "sales_marketing": "Sales & Marketing",
    "clerical_data_entry": "Administrative & Secretarial",
    "professional_services": "Business & Finance",
}
BRACKETS = [(250, "Under $250"), (500, "$250-$500"), (1000, "$500-$1k"), (2500, "$1k-$2.5k")]
ROBOTS_TXT = "User-agent: *\nDisallow: /login\nDisallow: /pro/\n"


def _bucket(value: Any, n: int) -> int:
    return int.from_bytes(hashlib.md5(str(value).encode()).digest()[:4], "big") % n


def bracket(amount: float) -> str:
    for limit, text in BRACKETS:
        if amount < limit:
            return text
    return "$2.5k-$5k"


class GuruReplay:
    robots_txt = ROBOTS_TXT

    def __init__(self, market: SimulatedMarket) -> None:
        self.origin = market.origin
        names = dict(market.skills.select("skill_id", "skill_name").iter_rows())
        employers = {row["native_id"]: row for row in market.employers.iter_rows(named=True)}
        self.jobs = [
            self._job(row, employers.get(row["owner_id"]), names)
            for row in market.jobs.sort("time_submitted", descending=True).iter_rows(named=True)
        ]
        self.freelancers = [
            self._freelancer(row, names)
            for row in market.profiles.iter_rows(named=True)
            if _bucket(row["native_id"], 3) == 0
        ]
        self.countries = sorted({f["country"] for f in self.freelancers})

    def demo_crawls(self) -> list[tuple[str, dict[str, str]]]:
        return [("guru_jobs", {}), ("guru_profiles", {"countries": ",".join(self.countries)})]

    def _job(self, row: dict[str, Any], employer: dict[str, Any] | None, names: dict) -> dict:
        usd = row["fx_usd_per_unit"] or 1.0
        hourly = row["job_type"] == "hourly"
        low, high = (row["budget_min"] or 0) * usd, (row["budget_max"] or 0) * usd
        country = (employer or {}).get("country") or row["employer_country"]
        return {
            "id": row["native_id"],
            "pricing": "Hourly" if hourly else "Fixed Price",
            "amount": f"${low:.0f} - ${high:.0f}" if hourly else bracket((low + high) / 2),
            "posted": datetime.fromtimestamp(row["time_submitted"], UTC),
            "quotes": row["bid_count"],
            "country": country_table.countries()[country].name if country else None,
            "employer": (employer or {}).get("display_name", "Employer"),
            "category": CATEGORIES[row["occupation"]],
            "skills": [names[s] for s in row["skill_ids"] if s in names][:4],
        }

    def _freelancer(self, row: dict[str, Any], names: dict) -> dict:
        rate = row["hourly_rate_usd"]
        skills = [names[s] for s in row["skill_ids"] if s in names]
        return {
            "id": f"{slug(row['username'])}-{row['native_id'] % 9973}",
            "name": row["display_name"],
            "country": row["country"],
            "rate": None if rate is None or rate != rate else round(rate),
            "earnings": int(row["reviews"] * 180),
            "skills": skills,
            "skill_slugs": {slug(s) for s in skills},
        }

    # -- pages ---------------------------------------------------------------------------------

    def handle(self, path: str, query: dict[str, list[str]]) -> Reply:
        parts = [p for p in path.split("/") if p]
        page = 1
        if len(parts) >= 2 and parts[-2] == "pg" and parts[-1].isdecimal():
            page, parts = int(parts[-1]), parts[:-2]
        if parts[:2] == ["d", "jobs"]:
            wanted = parts[3] if len(parts) == 4 and parts[2] == "c" else None
            rows = [j for j in self.jobs if wanted is None or slug(j["category"]) == wanted]
            return self._reply(self.jobs_page(rows, page))
        if parts[:2] == ["d", "freelancers"] and len(parts) == 4:
            kind, value = parts[2], parts[3]
            rows = [
                f
                for f in self.freelancers
                if (kind == "l" and slug(country_table.countries()[f["country"]].name) == value)
                or (kind == "skill" and value in f["skill_slugs"])
            ]
            return self._reply(self.directory_page(rows, page))
        return Reply(404, b"<html><body>Page not found</body></html>", "text/html")

    @staticmethod
    def _reply(text: str) -> Reply:
        return Reply(200, text.encode(), "text/html; charset=utf-8")

    def jobs_page(self, rows: list[dict], page: int) -> str:
        shown = rows[(page - 1) * PAGE : page * PAGE]
        cards = "".join(
            f'<li><div class="record jobRecord" data-gid="{j["id"]}">'
            f'<h2 class="jobRecord__title"><a href="/jobs/job/{j["id"]}">Job {j["id"]}</a></h2>'
            f'<div class="jobRecord__meta">Posted <strong>on {j["posted"]:%b %d, %Y}</strong> · '
            f"<strong>{j['quotes']} Quotes Received</strong></div>"
            f'<div class="jobRecord__budget"><strong>{j["pricing"]}</strong> | '
            f"<strong>{j['amount']}</strong></div>"
            f'<div class="freelancerAvatar"><h3 class="identityName"><a>'
            f"{html.escape(j['employer'])}</a></h3>"
            f'<p class="freelancerAvatar__subText"><strong>{j["country"] or ""}</strong>'
            f"</p></div>"
            f'<span class="skillsList__skill"><a>{html.escape(j["category"])}</a></span>'
            + "".join(
                f'<a class="skillsList__skill skillsList__skill--hasHover">{html.escape(s)}</a>'
                for s in j["skills"]
            )
            + "</div></li>"
            for j in shown
        )
        data = json.dumps({"TotalResults": len(rows), "NumResults": len(shown)})
        return (
            f'<html><body><ul id="serviceList">{cards}</ul>'
            f"<script>window.__pageData={data}</script></body></html>"
        )

    def directory_page(self, rows: list[dict], page: int) -> str:
        shown = rows[(page - 1) * PAGE : page * PAGE]
        cards = "".join(
            f'<li><div class="record record--avatarCheck findGuruRecord">'
            f'<h3 class="freelancerAvatar__screenName"><a href="/freelancers/{f["id"]}">'
            f"{html.escape(f['name'])}</a></h3>"
            f'<span class="freelancerAvatar__location--country">'
            f"{country_table.countries()[f['country']].name}</span>"
            f'<span class="earnings__amount">${f["earnings"]:,}</span>'
            + (f'<p class="serviceListing__rates">${f["rate"]}/hr</p>' if f["rate"] else "")
            + "".join(
                f'<span class="skillsList__skill"><a>{html.escape(s)}</a></span>'
                for s in f["skills"]
            )
            + "</div></li>"
            for f in shown
        )
        more = len(rows) > page * PAGE
        pager = (
            f'<ul class="pager"><li class="active"><a>{page}</a></li>'
            + (f'<li><a href="pg/{page + 1}/">{page + 1}</a></li>' if more else "")
            + "</ul>"
        )
        return f'<html><body><ul class="module_list cozy">{cards}</ul>{pager}</body></html>'
