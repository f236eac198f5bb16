"""One schema for spiders and library: items carry every stored column."""

from dataclasses import fields

from olmstats.items import JobItem, ProfileItem
from olmstats.schema import JOBS, PROFILES, describe


def test_items_carry_every_stored_column():
    for item, dataset in ((ProfileItem, PROFILES), (JobItem, JOBS)):
        names = {f.name for f in fields(item)}
        assert set(dataset.column_names) <= names
        assert item.dataset is dataset


def test_schema_is_documented():
    table = describe(PROFILES)
    assert table["name"].to_list()[:2] == ["platform", "snapshot_date"]
    assert table["unit"].null_count() == 0 and (table["description"].str.len_chars() > 5).all()
    assert set(PROFILES.required()) == {
        "profile_id",
        "country",
        "skill_ids",
        "skills",
        "extras",
        "observed_at",
        "run_id",
    }
