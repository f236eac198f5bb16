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


def job_from_item(item: ET.Element, feed: Feed, *, observed_at: datetime, run_id: str) -> JobItem:
    """One ``<item>`` → JobItem (typed values; what does not read goes into ``unparsed``)."""
    link = (item.findtext("link") or item.findtext("guid") or "").strip()
    match = JOB_ID.search(link)
    labelled = fields(item.findtext("description") or "")
    unparsed: dict[str, Any] = {}
    posted = None
    if "Posted On" in labelled:
        try:
            posted = datetime.strptime(labelled["Posted On"], POSTED).replace(tzinfo=UTC)
        except ValueError:
            unparsed["posted_at"] = labelled["Posted On"]
    elif item.findtext("pubDate"):
        try:
            posted = parsedate_to_datetime(item.findtext("pubDate")).astimezone(UTC)
        except (TypeError, ValueError):
            unparsed["posted_at"] = item.findtext("pubDate")
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
