"""ISO 3166-1 countries from the shipped table (data/reference/country_codes.csv).

Platforms send countries as lower-case alpha-2 codes ("pk"), as names ("Pakistan"), or both.
Everything olmstats stores is the upper-case alpha-2 code. Namibia's code is the string "NA":
the table is read with the csv module, which never turns it into a null.
"""

from __future__ import annotations

import csv
import difflib
import unicodedata
from dataclasses import dataclass
from functools import cache

import polars as pl

from olmstats.errors import InputError
from olmstats.paths import data_file

# Names platforms use that none of the table's three name columns spell this way.
_ALIASES = {
    "turkey": "TR",
    "cote d'ivoire": "CI",
    "czech republic": "CZ",
    "swaziland": "SZ",
    "macedonia": "MK",
    "burma": "MM",
    "korea, republic of": "KR",
    "cape verde": "CV",
    "east timor": "TL",
    "vatican city": "VA",
    "palestinian territory": "PS",
    "hong kong sar": "HK",
    "great britain": "GB",
    "usa": "US",
    "uae": "AE",
}


@dataclass(frozen=True, slots=True)
class Country:
    iso2: str
    iso3: str
    name: str
    region: str
    subregion: str
    currency: str
    capital: str


def _normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.replace("’", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.lower().split())


@cache
def _table() -> tuple[dict[str, Country], dict[str, str]]:
    by_iso2: dict[str, Country] = {}
    by_name: dict[str, str] = {}
    path = data_file("reference", "country_codes.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            country = Country(
                iso2=row["iso2"],
                iso3=row["iso3"],
                name=row["name"],
                region=row["region"],
                subregion=row["subregion"],
                currency=row["currency"],
                capital=row["capital"],
            )
            by_iso2[country.iso2] = country
            for name in (row["name"], row["official_name"], row["un_short_name"]):
                if name:
                    by_name.setdefault(_normalise_name(name), country.iso2)
    for alias, iso2 in _ALIASES.items():
        by_name.setdefault(alias, iso2)
    return by_iso2, by_name


def countries() -> dict[str, Country]:
    """Every known country by upper-case alpha-2 code."""
    return _table()[0]


def get(iso2: str) -> Country:
    return _table()[0][iso2]


def from_code(code: str | None) -> str | None:
    """Upper-case alpha-2 for a code in any case ("pk" → "PK", "na" → "NA"); None if unknown."""
    if not code:
        return None
    iso2 = code.strip().upper()
    return iso2 if iso2 in _table()[0] else None


def from_name(name: str | None) -> str | None:
    """Alpha-2 for a country name ("Pakistan", "Viet Nam", "Côte d’Ivoire"); None if unknown."""
    if not name:
        return None
    return _table()[1].get(_normalise_name(name))


def resolve(code: str | None, name: str | None) -> str | None:
    """Alpha-2 from a code if it is valid, else from the name; None if neither resolves."""
    return from_code(code) or from_name(name)


def parse_list(text: str) -> list[str]:
    """Parse "PK, in,NA" into ["PK", "IN", "NA"]; raise InputError naming the first bad value."""
    codes = []
    for raw in text.split(","):
        value = raw.strip()
        if not value:
            continue
        iso2 = from_code(value) if len(value) == 2 else None
        if iso2 is None:
            hint = from_name(value)
            suggestion = f" (did you mean {hint}?)" if hint else ""
            raise InputError(
                f"unknown country {value!r}: give ISO 3166-1 alpha-2 codes "
                f"such as PK,IN{suggestion}"
            )
        if iso2 not in codes:
            codes.append(iso2)
    if not codes:
        raise InputError("no country given: pass ISO 3166-1 alpha-2 codes such as PK,IN")
    return codes


def closest_names(name: str, candidates: list[str]) -> list[str]:
    return difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)


def frame() -> pl.DataFrame:
    """The table as a DataFrame: country, country_name, region, subregion, currency."""
    rows = countries().values()
    return pl.DataFrame(
        {
            "country": [c.iso2 for c in rows],
            "country_name": [c.name for c in rows],
            "region": [c.region for c in rows],
            "subregion": [c.subregion for c in rows],
            "currency": [c.currency for c in rows],
        }
    )
