"""PeoplePerHour's job listings, replayed from a simulated market in the site's own format.

Pages are server-rendered HTML with ``window.PPHReact.initialState`` holding
``freelanceJobs.main`` and ``entities.projects`` exactly as the recorded page has them
(tests/fixtures/peopleperhour/SOURCE.md), 20 jobs a page, ``?page=N``, under
``/freelance-jobs``, ``/freelance-jobs/<category>`` and ``…/<category>/<subcategory>``; plus
the visible cards, and robots.txt as the site's (``Disallow: /*?``, ``Allow: /*?page=``).

Per-platform differences from the simulated market (``olmstats.simulate``): each job's
occupation picks a PeoplePerHour category; budgets are one amount (the middle of the simulated
budget) in GBP for two jobs in three, EUR or US$ for the rest (at the simulated rates
``RATES``); the proposal count is the simulated bid count; one job in fifteen is
``in_progress`` (not open: a spider must drop it). The client objects carry the personal fields
the site shows (names, city, photo, "about") so that tests can prove none is stored.
"""

from __future__ import annotations

import hashlib
import html
import json
from datetime import UTC, datetime
from typing import Any

from olmstats.replay.server import Reply
from olmstats.simulate import SimulatedMarket

PAGE = 20
#: US$ per unit of the simulated currencies.
RATES = {"GBP": 1.27, "EUR": 1.08, "USD": 1.0}
#: occupation → (category slug, category name, subcategory slug, subcategory name, id)
CATEGORIES = {
    "software_technology": (
        "technology-programming",
        "Technology & Programming",
        "website-development",
        "Website Development",
        "301",
    ),
    "creative_multimedia": ("design", "Design", "logo-design", "Logo Design", "232"),
    "writing_translation": (
        "writing-translation",
        "Writing & Translation",
        "copywriting",
        "Copywriting",
        "402",
    ),
    "sales_marketing": ("digital-marketing", "Digital Marketing", "seo", "SEO", "511"),
    "clerical_data_entry": ("admin-support", "Admin Support", "data-entry", "Data Entry", "601"),
    "professional_services": ("business", "Business", "accounting", "Accounting", "701"),
}
ROBOTS_TXT = """User-agent: *
Disallow: /*?
Allow: /*?page=
Disallow: /job/new
Disallow: /job/bidders
"""


def _bucket(value: int, n: int) -> int:
    return int.from_bytes(hashlib.md5(str(value).encode()).digest()[:4], "big") % n


class PeoplePerHourReplay:
    """Request handler logic for PeoplePerHour pages of one simulated market."""

    robots_txt = ROBOTS_TXT

    def __init__(self, market: SimulatedMarket) -> None:
        self.origin = market.origin
        employers = {row["native_id"]: row for row in market.employers.iter_rows(named=True)}
        self.projects: list[dict[str, Any]] = [
            self._project(row, employers.get(row["owner_id"]))
            for row in market.jobs.sort("time_submitted", descending=True).iter_rows(named=True)
        ]
        self.served_ids = [p["proj_id"] for p in self.projects]
        self.freelancers = [
            self._freelancer(row)
            for row in market.profiles.iter_rows(named=True)
            if _bucket(row["native_id"], 4) == 0
        ]

    def demo_crawls(self) -> list[tuple[str, dict[str, str]]]:
        return [("peopleperhour_jobs", {}), ("peopleperhour_profiles", {})]

    def _freelancer(self, row: dict[str, Any]) -> dict[str, Any]:
        rate = row["hourly_rate_usd"]
        currency = (
            "GBP"
            if row["country"] == "GB"
            else ("EUR" if _bucket(row["native_id"], 7) == 0 else "USD")
        )
        slug, *_ = CATEGORIES[row["occupation"]]
        return {
            "id": f"{row['username'].lower()}-{row['native_id'] % 99991}",
            "name": row["display_name"],
            "city": row["city"],
            "country": row["country"],
            "rate": None if rate is None or rate != rate else round(rate / RATES[currency]),
            "currency": currency,
            "reviews": row["reviews"],
            "rating": row["rating"],
            "category": slug,
        }

    def _project(self, row: dict[str, Any], employer: dict[str, Any] | None) -> dict[str, Any]:
        pid = row["native_id"]
        currency = ("GBP", "GBP", "EUR", "USD", "GBP", "USD")[_bucket(pid, 6)]
        middle = ((row["budget_min"] or 0) + (row["budget_max"] or row["budget_min"] or 0)) / 2
        usd = middle * (row["fx_usd_per_unit"] or 1.0)
        slug, name, sub_slug, sub_name, sub_id = CATEGORIES[row["occupation"]]
        country = (employer or {}).get("country") or row["employer_country"]
        return {
            "proj_id": pid,
            "title": f"{sub_name} needed",
            "url": f"https://www.peopleperhour.com/freelance-jobs/{slug}/{sub_slug}/job-{pid}",
            "proj_desc": f"Help with {sub_name.lower()}; call 07700 900{pid % 1000:03d}.",
            "budget": round(usd / RATES[currency]),
            "currency": currency,
            "project_type": "hourly" if row["job_type"] == "hourly" else "fixed_price",
            "posted_dt": datetime.fromtimestamp(row["time_submitted"], UTC).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "proposalCount": row["bid_count"],
            "item_state": "in_progress" if _bucket(pid, 15) == 0 else "open",
            "open": True,
            "where_can_bid": "ALL",
            "location_type": "remote",
            "category": {"cate_id": sub_id[0], "cate_name": name, "slug": slug},
            "sub_category": {"subcate_id": sub_id, "subcate_name": sub_name, "slug": sub_slug},
            "client": {
                "mem_id": row["owner_id"],
                "public_name": (employer or {}).get("display_name", "Client"),
                "fname": (employer or {}).get("username", "client"),
                "city": (employer or {}).get("city", "Somewhere"),
                "photo": f"/photos/{row['owner_id']}.jpg",
                "about": f"About {(employer or {}).get('display_name', 'me')}",
                "country": country,
                "country_code": country,
                "hourly_rate": "6.00",
            },
            "_slugs": (slug, f"{slug}/{sub_slug}"),
        }

    def handle(self, path: str, query: dict[str, list[str]]) -> Reply:
        parts = path.strip("/").split("/")
        if parts[0] == "hire-freelancers" and len(parts) <= 3:
            return self.directory(parts[1] if len(parts) > 1 else None, query)
        if parts[0] != "freelance-jobs" or len(parts) > 3:
            return Reply(404, b"<html><body>Not found</body></html>", "text/html")
        wanted = "/".join(parts[1:])
        matches = [p for p in self.projects if not wanted or wanted in p["_slugs"]]
        try:
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            page = 1
        shown = matches[(page - 1) * PAGE : page * PAGE]
        return Reply(200, self.page(shown, len(matches), page).encode(), "text/html; charset=utf-8")

    def directory(self, category: str | None, query: dict[str, list[str]]) -> Reply:
        from olmstats import countries as country_table

        try:
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            page = 1
        rows = [f for f in self.freelancers if category in (None, f["category"])]
        shown = rows[(page - 1) * PAGE : page * PAGE]
        signs = {"GBP": "£", "EUR": "€", "USD": "$"}
        names = {code: c.name for code, c in country_table.countries().items()}
        cards = "".join(
            f'<div class="freelancer-card⤍Card⤚9x1">'
            f'<h3 class="card__title⤍Card"><a href="/freelancer/{f["id"]}">'
            f"{html.escape(f['name'])}</a></h3>"
            f'<p class="card__job-title⤍Card">Freelancer in {html.escape(f["city"])}</p>'
            f'<span class="card__country⤍Card">{names[f["country"]]}</span>'
            + (
                f'<span class="card__freelancer-ratings⤍Card">{f["rating"]:.1f}</span>'
                if f["rating"] is not None and f["reviews"]
                else ""
            )
            + f'<span class="card__freelancer-reviews⤍Card">({f["reviews"]})</span>'
            + (
                f'<div class="card__price⤍Card">{signs[f["currency"]]}{f["rate"]} /hr</div>'
                if f["rate"]
                else ""
            )
            + "</div>"
            for f in shown
        )
        body = (
            "<!doctype html><html><head><title>Hire Freelancers | PeoplePerHour</title></head>"
            f'<body><section class="hire-freelancers">{cards}</section></body></html>'
        )
        return Reply(200, body.encode(), "text/html; charset=utf-8")

    def page(self, shown: list[dict[str, Any]], total: int, page: int) -> str:
        entities = {
            str(p["proj_id"]): {
                "id": str(p["proj_id"]),
                "type": "projects",
                "attributes": {k: v for k, v in p.items() if not k.startswith("_")},
            }
            for p in shown
        }
        state = {
            "freelanceJobs": {
                "main": {
                    "loading": False,
                    "data": [{"id": str(p["proj_id"]), "type": "projects"} for p in shown],
                    "meta": {
                        "total-pages": max(1, -(-total // PAGE)),
                        "total-items": total,
                        "current-page": page,
                    },
                },
                "featured": {"data": []},
                "completed": {"data": [], "meta": {}, "loading": False},
            },
            "entities": {"projects": entities},
        }
        cards = "".join(
            f'<li class="item--container⤍ListItem⤚2wpiz"><a class="item__url⤍ListItem" '
            f'href="{html.escape(p["url"])}">{html.escape(p["title"])}</a>'
            f'<div class="card__price⤍Card">${round(p["budget"] * RATES[p["currency"]])}</div>'
            f'<div class="card__footer-left⤍Card"><span>2 days ago</span>'
            f"<span>{p['proposalCount']}</span><span>proposals</span><span>Remote</span></div></li>"
            for p in shown
        )
        return (
            "<!doctype html><html><head><title>Freelance Jobs | PeoplePerHour</title></head>"
            f"<body><ul>{cards}</ul><script>window.PPHReact={{}};"
            f"window.PPHReact.initialState={json.dumps(state)};"
            "window.PPHReact.data={user: {}, meta: false};"
            "window.PPHReact.serverTime='1763198082209';</script></body></html>"
        )
