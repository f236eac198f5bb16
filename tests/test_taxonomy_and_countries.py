"""Shipped tables: the skill mapping covers the platform's skills; countries keep Namibia."""

from __future__ import annotations

import pytest

from olmstats import countries
from olmstats.errors import InputError
from olmstats.occupations import OUT_OF_SCOPE, Skill, occupations, skill_map
from olmstats.simulate import skill_catalogue


def test_every_skill_the_jobs_endpoint_returns_has_a_decision(replay):
    mapping = skill_map("freelancer")
    served = replay.handle("/api/projects/0.1/jobs/", {}).body
    import json

    skills = json.loads(served)["result"]
    assert len(skills) >= 200
    undecided = [
        s["name"]
        for s in skills
        if mapping.classify_skill(Skill(str(s["id"]), s["name"], s["category"]["name"])) is None
    ]
    assert undecided == []


def test_each_occupation_has_skills_and_local_work_is_out_of_scope():
    catalogue = skill_catalogue()
    counts = dict(catalogue.group_by("occupation").len().iter_rows())
    assert all(counts[code] >= 10 for code in occupations())
    mapping = skill_map("freelancer")
    assert mapping.classify_skill(Skill("1386", "Local Job", "Local Jobs & Services")) == (
        OUT_OF_SCOPE
    )
    assert mapping.classify_skill(Skill("38", "SEO", "Websites, IT & Software")) == (
        "sales_marketing"
    )


def test_namibia_and_friends():
    assert countries.from_code("na") == "NA" and countries.get("NA").name == "Namibia"
    assert countries.from_name("Türkiye") == countries.from_name("Turkey") == "TR"
    assert countries.from_name("United Kingdom") == "GB"
    assert countries.from_code("xk") == "XK"
    assert countries.from_code("zz") is None and countries.from_name("Atlantis") is None
    assert len(countries.countries()) == 250


def test_country_lists_are_parsed_strictly():
    assert countries.parse_list(" pk,IN , na,PK") == ["PK", "IN", "NA"]
    with pytest.raises(InputError, match="did you mean PK"):
        countries.parse_list("Pakistan")
    with pytest.raises(InputError, match="no country given"):
        countries.parse_list(" , ")
