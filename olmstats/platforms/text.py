"""Reading what HTML platforms print: relative times ("3 hrs ago"), amounts ("$1k-$2.5k")."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

UNITS = {
    "sec": "seconds",
    "second": "seconds",
    "min": "minutes",
    "minute": "minutes",
    "hr": "hours",
    "hour": "hours",
    "day": "days",
    "week": "weeks",
    "wk": "weeks",
    "month": "days",  # 30 days
    "mo": "days",
    "year": "days",  # 365 days
    "yr": "days",
}
RELATIVE = re.compile(r"(\d+|an?|one)\s*([a-z]+?)s?\s+ago", re.I)
AMOUNT = re.compile(r"\$\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([kKmM]?)")


def relative_time(text: str | None, now: datetime) -> datetime | None:
    """``"3 hrs ago"`` → *now* − 3 hours; ``"yesterday"`` → *now* − 1 day; None if unreadable.

    Months count as 30 days and years as 365: these ages are coarse on the page already.
    """
    if not text:
        return None
    lowered = text.strip().lower()
    if lowered in ("just now", "now"):
        return now
    if lowered == "yesterday":
        return now - timedelta(days=1)
    match = RELATIVE.search(lowered)
    if not match:
        return None
    count = 1 if match.group(1) in ("a", "an", "one") else int(match.group(1))
    unit = UNITS.get(match.group(2)) or UNITS.get(match.group(2).rstrip("s"))
    if unit is None:
        return None
    factor = 30 if match.group(2).startswith("mo") else 365 if match.group(2).startswith("y") else 1
    return now - timedelta(**{unit: count * factor})


def dollars(text: str | None) -> list[float]:
    """Every ``$`` amount in *text*, with ``k`` (thousand) and ``m`` (million) expanded."""
    values = []
    for number, suffix in AMOUNT.findall(text or ""):
        value = float(number.replace(",", ""))
        values.append(value * {"k": 1e3, "m": 1e6}.get(suffix.lower(), 1))
    return values


def whole_number(text: str | None) -> int | None:
    match = re.search(r"\d[\d,]*", text or "")
    return int(match.group(0).replace(",", "")) if match else None


def slug(name: str) -> str:
    """A skill name as an id, for platforms that send no skill ids: lower case, runs of other
    characters as ``-`` ("Android App Development" → ``android-app-development``)."""
    return re.sub(r"[^0-9a-z]+", "-", name.lower()).strip("-")
