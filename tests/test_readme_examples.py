"""The README's Python examples run as written: on a crawled demo store plus a simulated panel
(profiles seen at several snapshots, written as crawls write them) for the panel examples."""

from __future__ import annotations

import re
import shutil
import warnings

import polars as pl
import pytest

from olmstats.simulate import MarketParameters, simulate_panel, write_panel_store
from tests.conftest import ROOT, TEST_KEY

pytestmark = pytest.mark.slow


def readme_python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_readme_python_examples_run(demo_store, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    panel = simulate_panel(MarketParameters(seed=4, n_profiles=3000))
    write_panel_store(panel, store, key=TEST_KEY + "-panel")
    blocks = readme_python_blocks()
    assert len(blocks) == 5  # library, progression, competition and earnings, own data, gradient
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reference fallbacks are warned about; not the point
        for block in blocks:
            exec(block.replace('"store"', repr(str(store))), namespace)
    table = namespace["table"]
    assert isinstance(table, pl.DataFrame) and table["country"].is_unique().all()
    assert namespace["fit"].n_obs > 0
    assert namespace["result"].countries.height > 0
    assert namespace["indices"]["local"].null_count() == 0  # Pakistan's and Nigeria's
    assert namespace["mine"]["country"].sort().to_list() == ["IN", "PK"]
    assert namespace["slope"]["estimate"][0] > 0
    assert namespace["gradient"].estimates["estimator"].to_list() == [
        "ols_hc1",
        "two_step_bootstrap",
        "median_noise_bootstrap",
    ]
    assert namespace["spread"].between["between_share"].item() > 0
    assert namespace["net_table"].height == namespace["table"].height
    assert namespace["reviewed"]["level"][0] == "pooled"
