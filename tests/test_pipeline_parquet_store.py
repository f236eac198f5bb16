from datetime import UTC, date, datetime

import polars as pl
import pyarrow.parquet as pq
import pytest

from olmcrawl.pipelines.parquet_store import ParquetStorePipeline
from olmstats.errors import StoreError
from olmstats.schema import PROFILES
from tests.pipelines_helpers import profile, stage


def stored_profile(n: int):
    return profile(
        profile_id=f"{n:032x}",
        country="PK",
        native_id=None,
        hourly_rate=10.0 + n,
        hourly_rate_usd=10.0 + n,
        fx_usd_per_unit=1.0,
        fx_source="identity",
        registration_date=date(2018, 11, 19),
        skill_ids=["13"],
        skills=["Python"],
        occupation="software_technology",
    )


def test_items_land_in_hive_partitions_as_zstd_parquet(tmp_path):
    pipeline, stats = stage(
        ParquetStorePipeline, OLM_STORE=str(tmp_path), OLM_STORE_ROWS_PER_FILE=2
    )
    spider = pipeline.crawler.spider
    for n in range(5):
        pipeline.process_item(stored_profile(n))
    pipeline.close_spider()
    folder = tmp_path / "profiles" / "platform=freelancer" / f"snapshot_date={spider.snapshot_date}"
    files = sorted(folder.glob("*.parquet"))
    assert [f.name for f in files] == [f"part-{spider.run_id}-{i:05d}.parquet" for i in range(3)]
    assert not list(folder.glob(".*"))  # no temporary files left behind
    meta = pq.ParquetFile(files[0])
    assert meta.metadata.row_group(0).column(0).compression == "ZSTD"
    assert meta.metadata.metadata[b"olmstats.dataset"] == b"profiles"
    frame = pl.read_parquet(files)
    assert frame.columns == list(PROFILES.column_names)  # partition columns live in folders
    assert frame["hourly_rate_usd"].to_list() == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert stats.get_value("olm/store/rows/profiles") == 5
    assert stats.get_value("olm/store/files/profiles") == 3


def test_a_required_null_is_refused_not_written(tmp_path):
    pipeline, _ = stage(ParquetStorePipeline, OLM_STORE=str(tmp_path), OLM_STORE_ROWS_PER_FILE=1)
    with pytest.raises(StoreError, match=r"required column\(s\) \['profile_id'\] empty"):
        pipeline.process_item(
            profile(profile_id=None, country="PK", observed_at=datetime(2026, 1, 1, tzinfo=UTC))
        )
    assert not list(tmp_path.rglob("*.parquet"))
