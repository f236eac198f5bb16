"""No personal field reaches the store: grep every stored value and file for what was served."""

from __future__ import annotations

import json

import polars as pl
import pytest

from olmstats.replay import ReplayServer
from olmstats.schema import DATASETS
from tests.conftest import load_recorded, replay_settings, run_olm

pytestmark = pytest.mark.slow
PERSONAL_KEYS = (
    "username",
    "display_name",
    "public_name",
    "avatar",
    "tagline",
    "profile_description",
    "city",
)


def personal_values(obj, found: set[str]) -> set[str]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in PERSONAL_KEYS and isinstance(value, str) and len(value) >= 4:
                found.add(value)
            personal_values(value, found)
    elif isinstance(obj, list):
        for value in obj:
            personal_values(value, found)
    return found


def test_schema_has_no_personal_columns():
    for dataset in DATASETS.values():
        names = " ".join(dataset.column_names)
        for key in ("username", "name_", "display", "avatar", "description", "city", "tagline"):
            assert key not in names


def test_nothing_personal_in_the_store(replay, small_market, tmp_path):
    countries = ",".join(c.iso2 for c in small_market.parameters.countries)
    with ReplayServer(replay) as server:
        args = replay_settings(server.url, tmp_path)
        assert (
            run_olm("crawl", "freelancer_profiles", "--country", countries, *args).returncode == 0
        )
        assert run_olm("crawl", "freelancer_jobs", *args).returncode == 0
    served = set()
    for user in replay.served_profiles():
        personal_values(user, served)
    for project in replay.served_projects():
        owner = replay.owner(project.get("owner_id"))
        personal_values(owner or {}, served)
    personal_values(load_recorded("projects_with_owner_2021-09_app_merged.json"), served)
    assert len(served) > 2000  # usernames, names, avatars, taglines, cities were all served
    assert "Lahore" in served and "usatechsoft" in served  # real recorded ones too

    stored_text = []
    for path in tmp_path.rglob("*"):
        if path.suffix == ".parquet":
            stored_text.append(pl.read_parquet(path).write_ndjson())
        elif path.is_file():
            stored_text.append(path.read_text(errors="replace"))
    everything = "\n".join(stored_text)
    assert json.loads(everything.splitlines()[0])  # real content was read
    leaked = sorted(value for value in served if value in everything)
    assert leaked == []
