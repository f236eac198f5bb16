"""Guru pages → items. Pure functions over parsel Selectors.

Job listing (``/d/jobs/``, ``/d/jobs/pg/<n>/``; recorded page in tests/fixtures/guru/, whose
SOURCE.md lists every selector): cards ``div.record.jobRecord[data-gid]``; the budget's kind and
amount ``div.jobRecord__budget > strong`` ("Fixed Price" + "$1k-$2.5k" or "Under $250";
"Hourly" + "$10 - $25"; "Fixed Price or Hourly"); the posting time, relative ("3 hrs ago",
resolved against the fetch time) or absolute ("on Sep 18, 2026", a day: midnight UTC), and
"N Quotes Received" in ``div.jobRecord__meta``; the employer's country
(``p.freelancerAvatar__subText strong``) and spend (``strong.earnings__amount``, "12,682
Spent"); category and subcategory (``span.skillsList__skill a``), skills
(``a.skillsList__skill--hasHover``) and the preferred freelancer location
(``.jobLocations__top``). ``window.__pageData`` gives ``TotalResults``.

Freelancer directory (``/d/freelancers/l/<country>/``, ``…/skill/<skill>/pg/<n>/``; no recorded
page exists, so the structure is the documented one, platform notes section 2): cards
``div.findGuruRecord``; the profile link ``h3.freelancerAvatar__screenName a`` (its slug is the
platform id, pseudonymised at once), ``span.freelancerAvatar__location--country``,
``span.earnings__amount``, ``p.serviceListing__rates`` ("$20/hr"), ``.skillsList__skill a``;
the next page ``li.active + li > a``.

Names, titles, descriptions and cities are never read.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from olmstats.items import JobItem, ProfileItem, extra
from olmstats.platforms.text import dollars, relative_time, slug, whole_number

PLATFORM = "guru"
QUOTES = re.compile(r"(\d[\d,]*)\s*Quotes?\s+Received", re.I)
PAGE_DATA = re.compile(r"window\.__pageData\s*=\s*(\{.*?\})\s*</script>", re.S)


def _text(values: list[str]) -> list[str]:
    return [" ".join(v.split()) for v in values if v and v.strip()]


def total_results(html: str) -> int | None:
    """``TotalResults`` of ``window.__pageData``, or None."""
    match = PAGE_DATA.search(html)
    if not match:
        return None
    try:
        total = json.loads(match.group(1)).get("TotalResults")
    except (json.JSONDecodeError, AttributeError):
        return None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def posted_at(text: str | None, now: datetime) -> datetime | None:
    """ "3 hrs ago" → now − 3 h; "on Sep 18, 2026" → that day, midnight UTC."""
    if not text:
        return None
    day = re.search(r"([A-Z][a-z]{2,8})\s+(\d{1,2}),\s*(\d{4})", text)
    if day:
        try:
            return datetime.strptime(" ".join(day.groups()), "%b %d %Y").replace(tzinfo=UTC)
        except ValueError:
            return None
    return relative_time(text, now)


def job_card(card: Any) -> dict[str, Any]:
    """The fields of one job card (a parsel Selector)."""
    budget = _text(card.css("div.jobRecord__budget > strong::text").getall())
    meta = " ".join(_text(card.css("div.jobRecord__meta ::text").getall()))
    quotes = QUOTES.search(meta)
    spend = card.css("strong.earnings__amount::text").get()
    return {
        "id": card.attrib.get("data-gid"),
        "pricing": budget[0] if budget else None,
        "amount": budget[1] if len(budget) > 1 else None,
        "posted": (_text(card.css("div.jobRecord__meta strong::text").getall()) or [None])[0],
        "quotes": int(quotes.group(1).replace(",", "")) if quotes else None,
        "country": (_text(card.css("p.freelancerAvatar__subText strong::text").getall()) or [None])[
            0
        ],
        "spend": whole_number(spend) if spend else None,
        "categories": _text(card.css("span.skillsList__skill a::text").getall()),
        "skills": _text(card.css("a.skillsList__skill--hasHover::text").getall()),
        "bid_from": (_text(card.css(".jobLocations__top::text").getall()) or [None])[0],
    }


def job_from_card(
    card: dict[str, Any], *, observed_at: datetime, run_id: str, query_skill: str | None
) -> JobItem:
    pricing = card["pricing"] or ""
    amounts = dollars(card["amount"])
    low, high = (
        (None, amounts[0])
        if "under" in (card["amount"] or "").lower()
        else ((amounts[0], amounts[-1]) if amounts else (None, None))
    )
    when = posted_at(card["posted"], observed_at)
    category = card["categories"][0] if card["categories"] else None
    sub = card["categories"][1] if len(card["categories"]) > 1 else None
    skills = [{"id": slug(s), "name": s, "category": category} for s in card["skills"]]
    if sub:
        skills.insert(0, {"id": slug(sub), "name": sub, "category": category})
    elif category and not skills:
        skills = [{"id": None, "name": "", "category": category}]
    return JobItem(
        platform=PLATFORM,
        run_id=run_id,
        observed_at=observed_at,
        native_id=card["id"],
        employer_country_name_raw=card["country"],
        posted_at=when,
        unparsed={} if when or card["posted"] is None else {"posted_at": card["posted"]},
        skills_raw=skills,
        job_type="hourly" if pricing.lower().startswith("hourly") else "fixed",
        budget_min=low,
        budget_max=high,
        currency="USD",
        bid_count=card["quotes"],
        query_skill=query_skill,
        extras=[
            extra("pricing", card["pricing"]),
            extra("employer_spend_usd", card["spend"]),
            extra("bid_from", card["bid_from"]),
        ],
    )


def freelancer_card(card: Any) -> dict[str, Any]:
    """The fields of one directory card (a parsel Selector)."""
    href = card.css("h3.freelancerAvatar__screenName a::attr(href)").get() or ""
    earnings = card.css("span.earnings__amount::text").get()
    return {
        "id": href.rstrip("/").rsplit("/", 1)[-1] or None,
        "country": (
            _text(card.css("span.freelancerAvatar__location--country::text").getall()) or [None]
        )[0],
        "rate": (_text(card.css("p.serviceListing__rates ::text").getall()) or [None])[0],
        "earnings": dollars(earnings)[0] if dollars(earnings) else whole_number(earnings),
        "skills": _text(card.css(".skillsList__skill a::text").getall()),
    }


def profile_from_card(
    card: dict[str, Any],
    *,
    observed_at: datetime,
    run_id: str,
    query_country: str | None,
    query_skill: str | None,
) -> ProfileItem:
    rates = dollars(card["rate"]) if card["rate"] and "/hr" in card["rate"] else []
    return ProfileItem(
        platform=PLATFORM,
        run_id=run_id,
        observed_at=observed_at,
        native_id=card["id"],
        country_name_raw=card["country"],
        skills_raw=[{"id": slug(s), "name": s, "category": None} for s in card["skills"]],
        hourly_rate=rates[0] if rates else None,
        hourly_rate_currency="USD",
        query_country=query_country,
        query_skill=query_skill,
        extras=[extra("earnings_usd", card["earnings"])],
    )
