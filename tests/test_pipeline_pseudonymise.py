import hashlib
import hmac

import pytest

from olmcrawl.pipelines.pseudonymise import PseudonymisePipeline
from tests.conftest import TEST_KEY
from tests.pipelines_helpers import job, profile, stage


def expected(kind: str, native: int) -> str:
    message = f"freelancer:{kind}:{native}".encode()
    return hmac.new(TEST_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def test_ids_become_keyed_pseudonyms_and_natives_are_forgotten():
    pipeline, stats = stage(PseudonymisePipeline, OLM_PSEUDONYM_KEY=TEST_KEY)
    pipeline.open_spider()
    person = pipeline.process_item(profile(native_id=16041778))
    assert person.profile_id == expected("user", 16041778)
    assert person.native_id is None
    project = pipeline.process_item(job(native_id=31555987, owner_native_id=16041778))
    assert project.job_id == expected("project", 31555987)
    assert project.employer_id == person.profile_id  # one key space for users
    assert project.native_id is None and project.owner_native_id is None
    assert len(stats.get_value("olm/pseudonym_key_fingerprint")) == 12


def test_another_key_gives_other_pseudonyms():
    first, _ = stage(PseudonymisePipeline, OLM_PSEUDONYM_KEY=TEST_KEY)
    second, _ = stage(PseudonymisePipeline, OLM_PSEUDONYM_KEY=TEST_KEY + "x")
    first.open_spider()
    second.open_spider()
    assert first.process_item(profile()).profile_id != second.process_item(profile()).profile_id


@pytest.mark.parametrize("key", ["", "short"])
def test_missing_or_weak_key_refuses_to_start(key):
    from scrapy.exceptions import CloseSpider

    pipeline, stats = stage(PseudonymisePipeline, OLM_PSEUDONYM_KEY=key)
    with pytest.raises(CloseSpider):
        pipeline.open_spider()
    assert "OLM_PSEUDONYM_KEY" in stats.get_value("olm/failure")
