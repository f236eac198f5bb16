import pytest
from scrapy.exceptions import DropItem

from olmcrawl.pipelines.normalise_country import NormaliseCountryPipeline
from tests.pipelines_helpers import job, profile, stage


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("pk", "Pakistan", "PK"),
        ("na", "Namibia", "NA"),
        ("NA", None, "NA"),
        (None, "Namibia", "NA"),
        (None, "India", "IN"),
        (None, "Viet Nam", "VN"),
        (None, "Côte d’Ivoire", "CI"),
        ("xk", "Kosovo", "XK"),
    ],
)
def test_profile_country_to_iso2(code, name, expected):
    pipeline, _ = stage(NormaliseCountryPipeline)
    item = pipeline.process_item(profile(country_code_raw=code, country_name_raw=name))
    assert item.country == expected


def test_namibia_is_never_null():
    pipeline, stats = stage(NormaliseCountryPipeline)
    item = pipeline.process_item(profile(country_code_raw="na", country_name_raw="Namibia"))
    assert item.country == "NA" and item.country is not None
    assert stats.get_value("olm/drop/unknown_country") is None


def test_unknown_profile_country_is_dropped_and_counted():
    pipeline, stats = stage(NormaliseCountryPipeline)
    with pytest.raises(DropItem, match="unknown_country"):
        pipeline.process_item(profile(country_code_raw="zz", country_name_raw="Atlantis"))
    assert stats.get_value("olm/drop/unknown_country") == 1


def test_employer_country_is_optional_but_counted():
    pipeline, stats = stage(NormaliseCountryPipeline)
    assert pipeline.process_item(job()).employer_country == "US"
    missing = pipeline.process_item(
        job(employer_country_code_raw=None, employer_country_name_raw=None)
    )
    odd = pipeline.process_item(
        job(employer_country_code_raw="zz", employer_country_name_raw="Atlantis")
    )
    assert missing.employer_country is None and odd.employer_country is None
    assert stats.get_value("olm/country/employer_missing") == 1
    assert stats.get_value("olm/country/employer_unresolved") == 1
