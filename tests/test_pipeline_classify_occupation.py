from olmcrawl.pipelines.classify_occupation import ClassifyOccupationPipeline
from tests.pipelines_helpers import job, profile, stage

PY = {"id": 13, "name": "Python", "category": "Websites, IT & Software"}
SEO = {"id": 38, "name": "SEO", "category": "Websites, IT & Software"}
SMM = {"id": 663, "name": "Social Media Marketing", "category": "Sales & Marketing"}
LOCAL = {"id": 1386, "name": "Local Job", "category": "Local Jobs & Services"}


def test_majority_class_wins():
    pipeline, _ = stage(ClassifyOccupationPipeline)
    item = pipeline.process_item(job(skills_raw=[PY, SEO, SMM]))
    # SEO is sales and marketing support in the OLI taxonomy, overriding its category
    assert item.occupation == "sales_marketing"
    assert item.skill_ids == ["13", "38", "663"]  # ids as text, whatever the platform
    assert item.skills == ["Python", "SEO", "Social Media Marketing"]


def test_tie_goes_to_the_earliest_listed_skill():
    pipeline, _ = stage(ClassifyOccupationPipeline)
    assert pipeline.process_item(job(skills_raw=[PY, SEO])).occupation == "software_technology"
    assert pipeline.process_item(job(skills_raw=[SEO, PY])).occupation == "sales_marketing"


def test_name_and_category_fallbacks():
    pipeline, _ = stage(ClassifyOccupationPipeline)
    by_name = {"id": 123456, "name": "Article Writing", "category": None}
    by_category = {"id": 654321, "name": "Brand new skill", "category": "Translation & Languages"}
    assert pipeline.process_item(job(skills_raw=[by_name])).occupation == "writing_translation"
    assert pipeline.process_item(job(skills_raw=[by_category])).occupation == (
        "writing_translation"
    )


def test_unmapped_and_out_of_scope_are_counted():
    pipeline, stats = stage(ClassifyOccupationPipeline)
    unknown = {"id": 777777, "name": "Underwater Basket Weaving", "category": "Mystery"}
    item = pipeline.process_item(job(skills_raw=[unknown, LOCAL]))
    assert item.occupation is None
    assert stats.get_value("olm/occupation/unmapped_skill") == 1
    assert stats.get_value("olm/occupation/unmapped/Underwater Basket Weaving") == 1
    assert stats.get_value("olm/occupation/out_of_scope") == 1
    assert stats.get_value("olm/occupation/none") == 1


def test_profile_without_skills_takes_the_query_skill():
    pipeline, stats = stage(ClassifyOccupationPipeline)
    item = pipeline.process_item(profile(skills_raw=[], query_skill="WordPress"))
    assert item.occupation == "software_technology"
    assert stats.get_value("olm/occupation/from_query_skill") == 1
    assert pipeline.process_item(profile(skills_raw=[])).occupation is None
