"""PeoplePerHour listing pages → items. Pure functions over the page's state or its cards.

The state (``window.PPHReact.initialState``, tests/fixtures/peopleperhour/SOURCE.md):
``freelanceJobs.main.data`` lists the page's jobs as ``{id, type: "projects"}``;
``entities.projects[<id>].attributes`` holds each: ``proj_id``, ``budget`` and ``currency``
(one amount, in the client's currency), ``project_type`` (``fixed_price`` | ``hourly``),
``posted_dt`` (``YYYY-MM-DD HH:MM:SS``, UTC), ``proposalCount``, ``item_state``
(``open``; others, such as ``in_progress``, are not open for proposals), ``where_can_bid``,
``location_type``, ``category.cate_name``, ``sub_category.{subcate_id, subcate_name}`` and
``client.{mem_id, country_code, country}``; ``freelanceJobs.main.meta`` the page count and
``total-items``. The featured job (``freelanceJobs.featured``) repeats on every page and is left
to the listing it belongs to. Nothing else about the client (names, city, photo, their own
rate, "about") is read, and no title or description is kept.

The cards (``[class*="item--container"]``), read only when a page has no state: the job id
from the link, the price as displayed (converted to the page's currency, US$), proposals and
the relative age from the footer; no country.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from olmstats.items import JobItem, ProfileItem, extra
from olmstats.platforms.text import dollars, relative_time, whole_number

PLATFORM = "peopleperhour"
STATE = "window.PPHReact.initialState="
JOB_TYPES = {"fixed_price": "fixed", "hourly": "hourly"}


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def listing_from_state(state: Any) -> tuple[list[Any], int | None]:
    """(the page's project attribute objects, total items announced); ValueError otherwise."""
    main = _get(state, "freelanceJobs", "main")
    projects = _get(state, "entities", "projects")
    if not isinstance(main, dict) or not isinstance(projects, dict):
        raise ValueError("the state has no freelanceJobs.main or entities.projects")
    refs = main.get("data")
    if not isinstance(refs, list):
        raise ValueError("freelanceJobs.main.data is not a list")
    entries = [
        _get(projects, str(ref.get("id")), "attributes") if isinstance(ref, dict) else None
        for ref in refs
    ]
    total = _get(main, "meta", "total-items")
    return entries, total if isinstance(total, int) and not isinstance(total, bool) else None


def posted(value: Any, unparsed: dict[str, Any]) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        unparsed["posted_at"] = value
        return None


def job_from_project(
    project: dict[str, Any], *, observed_at: datetime, run_id: str, query_skill: str | None
) -> JobItem:
    """One ``entities.projects[…].attributes`` object → JobItem."""
    unparsed: dict[str, Any] = {}
    budget = project.get("budget")
    sub = project.get("sub_category") if isinstance(project.get("sub_category"), dict) else {}
    category = _get(project, "category", "cate_name")
    skills = (
        [{"id": sub.get("subcate_id"), "name": sub.get("subcate_name"), "category": category}]
        if sub.get("subcate_name")
        else ([{"id": None, "name": "", "category": category}] if category else [])
    )
    return JobItem(
        platform=PLATFORM,
        run_id=run_id,
        observed_at=observed_at,
        native_id=str(project["proj_id"]) if isinstance(project.get("proj_id"), int) else None,
        owner_native_id=_get(project, "client", "mem_id"),
        employer_country_code_raw=_get(project, "client", "country_code"),
        employer_country_name_raw=_get(project, "client", "country"),
        posted_at=posted(project.get("posted_dt"), unparsed),
        unparsed=unparsed,
        skills_raw=skills,
        job_type=JOB_TYPES.get(str(project.get("project_type")), project.get("project_type")),
        budget_min=budget,
        budget_max=budget,
        currency=project.get("currency"),
        bid_count=project.get("proposalCount"),
        query_skill=query_skill,
        extras=[
            extra("where_can_bid", project.get("where_can_bid")),
            extra("location_type", project.get("location_type")),
        ],
    )


def is_open(project: dict[str, Any]) -> bool:
    """Open for proposals (showcase, completed and in-progress items are not)."""
    return project.get("item_state") == "open" and project.get("open") is not False


def card_fields(card: Any) -> dict[str, Any]:
    """What a visible card shows (a parsel Selector of one ``[class*="item--container"]``)."""
    href = card.css('a[class*="item__url"]::attr(href)').get() or ""
    tail = href.rstrip("/").rsplit("-", 1)[-1]
    footer = [t.strip() for t in card.css('[class*="card__footer-left"] span::text').getall()]
    return {
        "id": tail if tail.isdecimal() else None,
        "price": " ".join(card.css('[class*="card__price"] ::text').getall()),
        "age": footer[0] if footer else None,
        "proposals": whole_number(footer[1]) if len(footer) > 1 else None,
    }


def job_from_card(
    card: dict[str, Any], *, observed_at: datetime, run_id: str, query_skill: str | None
) -> JobItem:
    """A card's fields → JobItem: US$ as displayed, the age resolved against the fetch time."""
    amounts = dollars(card["price"])
    when = relative_time(card["age"], observed_at)
    return JobItem(
        platform=PLATFORM,
        run_id=run_id,
        observed_at=observed_at,
        native_id=card["id"],
        posted_at=when,
        unparsed={} if when or card["age"] is None else {"posted_at": card["age"]},
        job_type="hourly" if "/hr" in card["price"] or "hour" in card["price"].lower() else "fixed",
        budget_min=amounts[0] if amounts else None,
        budget_max=amounts[-1] if amounts else None,
        currency="USD",
        bid_count=card["proposals"],
        query_skill=query_skill,
    )


# -- the freelancer directory (/hire-freelancers) -----------------------------------------------
# No recorded page exists (tests/fixtures/peopleperhour/SOURCE.md, "Not found"): the structure
# is the documented one (platform notes section 3, "Newer cards"): ``div.freelancer-card`` with
# ``card__title`` (a link to /freelancer/<slug>), ``card__country``, ``card__price`` ("£25 /hr"),
# ``card__freelancer-ratings`` and ``card__freelancer-reviews``.

CURRENCY_SIGNS = {"$": "USD", "£": "GBP", "€": "EUR"}


def freelancer_card(card: Any) -> dict[str, Any]:
    """The fields of one directory card (a parsel Selector)."""
    href = (
        card.css('[class*="card__title"] a::attr(href), a[class*="card__title"]::attr(href)').get()
        or ""
    )
    price = " ".join(" ".join(card.css('[class*="card__price"] ::text').getall()).split())
    rating = card.css('[class*="card__freelancer-ratings"] ::text').re_first(r"\d+(?:\.\d+)?")
    return {
        "id": href.rstrip("/").rsplit("/", 1)[-1] or None,
        "country": " ".join(card.css('[class*="card__country"] ::text').getall()).strip() or None,
        "price": price,
        "rating": float(rating) if rating else None,
        "reviews": whole_number(
            " ".join(card.css('[class*="card__freelancer-reviews"] ::text').getall())
        ),
    }


def profile_from_card(
    card: dict[str, Any], *, observed_at: datetime, run_id: str, query_skill: str | None
) -> ProfileItem:
    """A directory card → ProfileItem: the hourly rate in the currency its sign shows."""
    price = card["price"] or ""
    hourly = "/hr" in price.replace(" ", "") or "per hour" in price.lower()
    match = re.search(r"([$£€])\s*([0-9][0-9,]*(?:\.[0-9]+)?)", price)
    rate = float(match.group(2).replace(",", "")) if match and hourly else None
    return ProfileItem(
        platform=PLATFORM,
        run_id=run_id,
        observed_at=observed_at,
        native_id=card["id"],
        country_name_raw=card["country"],
        hourly_rate=rate,
        hourly_rate_currency=CURRENCY_SIGNS[match.group(1)] if match and hourly else None,
        reviews=card["reviews"],
        rating=card["rating"],
        query_skill=query_skill,
    )
