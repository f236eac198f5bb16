"""Upwork job RSS feeds → items. Pure functions over the feed's XML.

Each ``<item>`` carries the job's title, its link (``…_%7E<id>?source=rss``: the job id is
the part after ``~``) and a ``description`` whose HTML ends in labelled fields, as in the
archived feeds of July 2024 (tests/fixtures/upwork/SOURCE.md)::

    <b>Hourly Range</b>: $30.00-$54.00   or   <b>Budget</b>: $20   (or neither)
    <b>Posted On</b>: July 19, 2024 04:41 UTC
    <b>Category</b>: Mobile App Development
    <b>Skills</b>:Java,     Kotlin,     Android
    <b>Country</b>: United States

An item with neither a budget nor an hourly range is an hourly job whose client stated no range
(Upwork required a budget for fixed-price jobs): ``job_type`` hourly, budget null. Upwork sends
no skill ids; a skill's id is its name in lower case with runs of other characters as ``-``.
Nothing about the client but the country is read, and no free text is kept.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from olmstats.items import JobItem, extra
from olmstats.platforms.text import slug

PLATFORM = "upwork"
FIELD = re.compile(r"<b>\s*([^<]+?)\s*</b>\s*:\s*(.*?)\s*(?=<br|<b>|<a |$)", re.S)
JOB_ID = re.compile(r"_%7E([0-9A-Za-z]+)(?:\?|$)|_~([0-9A-Za-z]+)(?:\?|$)")
MONEY = re.compile(r"\$\s*([0-9][0-9,]*(?:\.[0-9]+)?)")
POSTED = "%B %d, %Y %H:%M UTC"


@dataclass(frozen=True)
class Feed:
    title: str
    fetched_at: datetime | None
    items: list[ET.Element]
    generator: str


def read_feed(data: bytes) -> Feed:
    """The channel of an RSS document; ValueError if it is not one."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"not XML ({exc})") from None
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        raise ValueError(f"not an RSS feed (root element <{root.tag}>)")
    fetched = channel.findtext("pubDate") or channel.findtext("lastBuildDate")
    when = None
    if fetched:
        try:
            when = parsedate_to_datetime(fetched).astimezone(UTC)
        except (TypeError, ValueError):
            when = None
    return Feed(
        title=html.unescape(channel.findtext("title") or "").strip(),
        fetched_at=when,
        items=channel.findall("item"),
        generator=(channel.findtext("generator") or "") + " " + (channel.findtext("link") or ""),
    )


def is_upwork(feed: Feed) -> bool:
    return "upwork" in feed.generator.lower() or feed.title.lower().endswith("| upwork.com")


def fields(description: str) -> dict[str, str]:
    """The labelled fields at the end of an item's description, unescaped."""
    return {
        html.unescape(name).strip(): html.unescape(re.sub(r"\s+", " ", value)).strip()
        for name, value in FIELD.findall(description)
    }


def amounts(text: str | None) -> list[float]:
    return [float(m.replace(",", "")) for m in MONEY.findall(text or "")]


def posting_time(posted_on: str | None, pub_date: str | None, unparsed: dict[str, Any]):
    """The posting time: the item's ``pubDate`` (to the second) when it falls in the minute of
    the description's "Posted On" (as in all 77 archived items), else "Posted On" itself; either
    alone when the other is missing. What does not read goes into *unparsed*."""
    labelled = precise = None
    if posted_on:
        try:
            labelled = datetime.strptime(posted_on, POSTED).replace(tzinfo=UTC)
        except ValueError:
            unparsed["posted_at"] = posted_on
    if pub_date:
        try:
            precise = parsedate_to_datetime(pub_date).astimezone(UTC)
        except (TypeError, ValueError):
            if not labelled:
                unparsed.setdefault("posted_at", pub_date)
    if precise and labelled and precise.replace(second=0, microsecond=0) != labelled:
        return labelled
    return precise or labelled


def job_from_item(item: ET.Element, feed: Feed, *, observed_at: datetime, run_id: str) -> JobItem:
    """One ``<item>`` → JobItem (typed values; what does not read goes into ``unparsed``)."""
    link = (item.findtext("link") or item.findtext("guid") or "").strip()
    match = JOB_ID.search(link)
    labelled = fields(item.findtext("description") or "")
    unparsed: dict[str, Any] = {}
    posted = posting_time(labelled.get("Posted On"), item.findtext("pubDate"), unparsed)
    if "Budget" in labelled:
        job_type, bounds = "fixed", amounts(labelled["Budget"])
    else:
        job_type, bounds = "hourly", amounts(labelled.get("Hourly Range"))
    low = bounds[0] if bounds else None
    high = bounds[-1] if bounds else None
    category = labelled.get("Category")
    skills = [s.strip() for s in labelled.get("Skills", "").split(",") if s.strip()]
    return JobItem(
        platform=PLATFORM,
        run_id=run_id,
        observed_at=observed_at,
        native_id=(match.group(1) or match.group(2)) if match else None,
        employer_country_name_raw=labelled.get("Country"),
        posted_at=posted,
        unparsed=unparsed,
        skills_raw=[{"id": slug(s), "name": s, "category": category} for s in skills]
        or ([{"id": None, "name": "", "category": category}] if category else []),
        job_type=job_type,
        budget_min=low,
        budget_max=high,
        currency="USD",
        extras=[extra("feed", feed.title)],
    )


# -- the GraphQL API (marketplaceJobPostingsSearch) --------------------------------------------

#: The fields asked for: what the statistics need, nothing personal, no free text.
SEARCH_QUERY = """
query marketplaceJobPostingsSearch(
  $marketPlaceJobFilter: MarketplaceJobPostingsSearchFilter,
  $searchType: MarketplaceJobPostingSearchType,
  $sortAttributes: [MarketplaceJobPostingSearchSortAttribute]
) {
  marketplaceJobPostingsSearch(
    marketPlaceJobFilter: $marketPlaceJobFilter,
    searchType: $searchType,
    sortAttributes: $sortAttributes
  ) {
    totalCount
    edges {
      node {
        id
        ciphertext
        createdDateTime
        publishedDateTime
        amount { rawValue currency }
        hourlyBudgetType
        hourlyBudgetMin { rawValue currency }
        hourlyBudgetMax { rawValue currency }
        totalApplicants
        category
        occupations { category { id prefLabel } }
        skills { id name prettyName }
        client { location { country } totalSpent { rawValue currency } }
      }
    }
    pageInfo { endCursor hasNextPage }
  }
}
""".strip()


def _money(obj: Any) -> tuple[float | None, str | None]:
    if not isinstance(obj, dict):
        return None, None
    value = obj.get("rawValue")
    try:
        number = float(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        number = None
    return number, obj.get("currency") if isinstance(obj.get("currency"), str) else None


def iso_time(value: Any, unparsed: dict[str, Any]) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        unparsed["posted_at"] = value
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def job_from_node(
    node: dict[str, Any], *, observed_at: datetime, run_id: str, query_skill: str | None
) -> JobItem:
    """One ``edges[].node`` of marketplaceJobPostingsSearch → JobItem.

    The id is the ciphertext without its ``~`` (the id in job URLs and in the RSS feeds, so a
    job has one pseudonym whichever way it was read); hourly when the node has an hourly
    budget, else fixed with its ``amount``.
    """
    unparsed: dict[str, Any] = {}
    low, low_currency = _money(node.get("hourlyBudgetMin"))
    high, high_currency = _money(node.get("hourlyBudgetMax"))
    amount, amount_currency = _money(node.get("amount"))
    hourly = low is not None or high is not None or bool(node.get("hourlyBudgetType"))
    if not hourly:
        low = high = amount
    currency = (low_currency or high_currency) if hourly else amount_currency
    cipher = node.get("ciphertext")
    category = None
    occupations = node.get("occupations")
    if isinstance(occupations, dict):
        category = (occupations.get("category") or {}).get("prefLabel")
    category = category or node.get("category")
    names = [
        s.get("prettyName") or s.get("name")
        for s in node.get("skills") or []
        if isinstance(s, dict) and (s.get("prettyName") or s.get("name"))
    ]
    # a skill's id is its name's slug, as in the feeds: one id per skill whichever way it came
    skills = [{"id": slug(str(n)), "name": str(n), "category": category} for n in names] or (
        [{"id": None, "name": "", "category": category}] if category else []
    )
    client = node.get("client") if isinstance(node.get("client"), dict) else {}
    spent, _ = _money(client.get("totalSpent"))
    return JobItem(
        platform=PLATFORM,
        run_id=run_id,
        observed_at=observed_at,
        native_id=cipher.lstrip("~") if isinstance(cipher, str) and cipher else node.get("id"),
        employer_country_name_raw=(client.get("location") or {}).get("country")
        if isinstance(client.get("location"), dict)
        else None,
        posted_at=iso_time(node.get("publishedDateTime") or node.get("createdDateTime"), unparsed),
        unparsed=unparsed,
        skills_raw=skills,
        job_type="hourly" if hourly else "fixed",
        budget_min=low,
        budget_max=high,
        currency=currency or "USD",
        bid_count=node.get("totalApplicants"),
        query_skill=query_skill,
        extras=[extra("employer_spend_usd", spent)],
    )
