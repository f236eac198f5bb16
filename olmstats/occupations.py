"""The six Online Labour Index occupation classes and the skill → class mapping.

The tables live in data/taxonomy/ (see its SOURCE.md). A skill is classified by its platform id,
then by its name, then by its category; an item (profile or job) takes the class held by most of
its skills, ties going to the earliest-listed skill among the tied classes.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import polars as pl

from olmstats.paths import data_file

#: Sentinel for a skill the table deliberately leaves outside the OLI scope (e.g. local jobs).
OUT_OF_SCOPE = ""


@dataclass(frozen=True, slots=True)
class Occupation:
    code: str
    label: str
    short_label: str


@dataclass(frozen=True, slots=True)
class Skill:
    """A platform skill as the platform lists it (its id as text, whatever the platform's)."""

    id: str | None
    name: str
    category: str | None = None


@dataclass(slots=True)
class Classification:
    """The class of one item, plus the skills that had no decision and those out of scope."""

    occupation: str | None
    unmapped: list[str] = field(default_factory=list)
    out_of_scope: list[str] = field(default_factory=list)


@cache
def occupations() -> dict[str, Occupation]:
    """The six classes by code, in the table's order."""
    with data_file("taxonomy", "occupations.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: Occupation(row["code"], row["label"], row["short_label"])
            for row in csv.DictReader(handle)
        }


def label(code: str | None) -> str | None:
    return occupations()[code].label if code in occupations() else None


@dataclass(frozen=True)
class SkillMap:
    """Lookup tables for one platform's skills (ids, lower-case names, lower-case categories)."""

    by_id: dict[str, str]
    by_name: dict[str, str]
    by_category: dict[str, str]

    def classify_skill(self, skill: Skill) -> str | None:
        """The class code, OUT_OF_SCOPE, or None when the table has no decision."""
        if skill.id is not None and skill.id in self.by_id:
            return self.by_id[skill.id]
        name = skill.name.strip().lower()
        if name in self.by_name:
            return self.by_name[name]
        if skill.category:
            return self.by_category.get(skill.category.strip().lower())
        return None

    def classify(self, skills: list[Skill]) -> Classification:
        result = Classification(occupation=None)
        first_seen: dict[str, int] = {}
        votes: Counter[str] = Counter()
        for position, skill in enumerate(skills):
            code = self.classify_skill(skill)
            if code is None:
                result.unmapped.append(skill.name)
            elif code == OUT_OF_SCOPE:
                result.out_of_scope.append(skill.name)
            else:
                votes[code] += 1
                first_seen.setdefault(code, position)
        if votes:
            top = max(votes.values())
            tied = [code for code, n in votes.items() if n == top]
            result.occupation = min(tied, key=first_seen.__getitem__)
        return result


@cache
def skill_map(platform: str) -> SkillMap:
    """A platform's mapping from data/taxonomy/<platform>_{skills,categories}.csv.

    Skills: ``skill_id`` (may be blank), ``skill_name``, ``occupation``; categories:
    ``category_name``, ``occupation``. A blank occupation is out of the OLI scope.
    """
    by_id: dict[str, str] = {}
    by_name: dict[str, str] = {}
    skills, categories = (
        data_file("taxonomy", f"{platform}_skills.csv"),
        data_file("taxonomy", f"{platform}_categories.csv"),
    )
    if not skills.is_file():
        raise FileNotFoundError(f"no taxonomy for platform {platform!r}: {skills} is missing")
    with skills.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["skill_id"]:
                by_id[row["skill_id"].strip()] = row["occupation"]
            by_name[row["skill_name"].strip().lower()] = row["occupation"]
    by_category: dict[str, str] = {}
    if categories.is_file():
        with categories.open(encoding="utf-8", newline="") as f:
            by_category = {
                row["category_name"].strip().lower(): row["occupation"] for row in csv.DictReader(f)
            }
    known = set(occupations()) | {OUT_OF_SCOPE}
    bad = {code for code in (*by_id.values(), *by_name.values(), *by_category.values())} - known
    if bad:
        raise ValueError(f"taxonomy names unknown occupation codes: {sorted(bad)}")
    return SkillMap(by_id=by_id, by_name=by_name, by_category=by_category)


def skill_table(platform: str) -> pl.DataFrame:
    """data/taxonomy/<platform>_skills.csv as a DataFrame."""
    table = pl.read_csv(
        data_file("taxonomy", f"{platform}_skills.csv"),
        schema_overrides={"skill_id": pl.Int64, "category_id": pl.Int64},
    )
    return table.with_columns(pl.col("occupation").fill_null(OUT_OF_SCOPE))
