import pytest
from scrapy.exceptions import DropItem

from olmcrawl.pipelines.deduplicate import DeduplicatePipeline
from tests.pipelines_helpers import job, profile, stage


def test_second_sighting_is_dropped_and_counted():
    pipeline, stats = stage(DeduplicatePipeline)
    first = pipeline.process_item(profile(profile_id="a" * 32, query_skill="Python"))
    assert first.query_skill == "Python"
    with pytest.raises(DropItem, match="duplicate"):
        pipeline.process_item(profile(profile_id="a" * 32, query_skill="PHP"))
    # same pseudonym in the other dataset is another entity
    pipeline.process_item(job(job_id="a" * 32))
    assert stats.get_value("olm/drop/duplicate") == 1
