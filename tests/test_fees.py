"""Net-of-fee rates: the shipped fee table (figures as its sources state them), rules picked by
snapshot date, the country summary net of fees by hand, and `olm summary --net-of-fees`."""

from __future__ import annotations

import io
from datetime import date

import polars as pl
import pytest

from olmstats import InputError, country_summary, net_of_fee
from olmstats.fees import check_schedule, fee_notes, fee_schedule, fees_used
from olmstats.platforms import platforms
from tests.conftest import run_olm
from tests.extras_frames import profiles_frame


def test_shipped_fees_are_the_figures_their_sources_state():
    table = fee_schedule()
    rules = {(r["platform"], r["valid_from"]): r for r in table.iter_rows(named=True)}
    # data/fees/platform_fees.csv, each figure as the page named in source_url gives it
    expected = {
        ("freelancer", None): (0.10, 0.10),  # "10% for hourly projects"
        ("guru", None): (0.09, 0.05),  # "ranges from 5% to 9% on the invoice amount"
        ("peopleperhour", None): (0.20, 0.035),  # 20% of the first £250 ... 3.5% over £5,000
        ("upwork", date(2016, 6, 1)): (0.20, 0.05),  # 20% / 10% / 5% sliding fee
        ("upwork", date(2023, 5, 3)): (0.10, 0.05),  # flat 10%; 5% contracts kept to 2023
        ("upwork", date(2024, 1, 1)): (0.10, 0.10),  # "they'll move to 10% in 2024"
    }
    assert set(rules) == set(expected)
    for key, (high, low) in expected.items():
        assert (rules[key]["hourly_fee_share"], rules[key]["hourly_fee_share_min"]) == (high, low)
        assert rules[key]["source_url"].startswith(("https://", "http://"))
        assert rules[key]["source_kind"] in ("platform", "third-party")
    # every platform whose profiles carry rates has a documented fee
    rated = {name for name, p in platforms().items() if "rates" in p.collects}
    assert rated <= {platform for platform, _ in rules}


def test_the_rule_in_force_on_each_snapshot_date():
    frame = pl.DataFrame(
        {
            "platform": ["freelancer", "guru", "peopleperhour"] + ["upwork"] * 5 + ["newsite"],
            "snapshot_date": [date(2026, 11, 1)] * 3
            + [date(2015, 1, 1), date(2016, 6, 1), date(2023, 5, 2), date(2023, 5, 3)]
            + [date(2024, 2, 1), date(2026, 11, 1)],
            "hourly_rate_usd": [20.0] * 9,
        }
    )
    net = net_of_fee(frame)
    # 20 × 0.90, × 0.91, × 0.80; Upwork: none before June 2016, 20% to 2 May 2023, then 10%
    assert net["hourly_rate_usd"].to_list() == pytest.approx(
        [18.0, 18.2, 16.0, None, 16.0, 16.0, 18.0, 18.0, None]
    )
    assert net["hourly_rate_usd_gross"].to_list() == [20.0] * 9
    assert net["fee_share"].to_list()[:3] == [0.10, 0.09, 0.20]
    lowest = net_of_fee(frame, bound="min")["hourly_rate_usd"].to_list()
    # the lowest fee each rule allows: 10%, 5%, 3.5%; Upwork 5%, 5%, 5% (5% contracts kept to
    # the end of 2023), then 10%
    assert lowest == pytest.approx([18.0, 19.0, 19.3, None, 19.0, 19.0, 19.0, 18.0, None])
    expression = frame.select(net_of_fee("hourly_rate_usd"))["hourly_rate_usd"]
    assert expression.to_list() == net["hourly_rate_usd"].to_list()
    assert isinstance(net_of_fee(frame.lazy()), pl.LazyFrame)


def test_country_summary_net_of_fees_by_hand():
    # India: 5 Freelancer.com profiles at $10 (net $9) and 6 PeoplePerHour profiles at $10
    # (net $8); Pakistan: Freelancer.com rates 1..11 (median 6, net 5.40)
    frame = pl.concat(
        [
            profiles_frame({"IN": [10.0] * 5, "PK": [float(r) for r in range(1, 12)]}),
            profiles_frame({"IN": [10.0] * 6}, platform="peopleperhour", start=100),
        ]
    )
    gross = country_summary(frame, min_count=10)
    net = country_summary(frame, min_count=10, net_of_fees=True)
    rows = {r["country"]: r for r in net.iter_rows(named=True)}
    assert gross.filter(pl.col("country") == "IN")["rate_median_usd"].item() == 10.0
    # net rates 8 ×6, 9 ×5: the 6th of 11 is 8
    assert rows["IN"]["rate_median_usd"] == pytest.approx(8.0)
    assert rows["IN"]["profiles_with_rate"] == 11
    assert rows["PK"]["rate_median_usd"] == pytest.approx(5.4)
    # the order-statistic interval, n = 11, ranks 2 and 10: $2 and $10 gross, × 0.9 net
    assert (rows["PK"]["rate_median_ci_low"], rows["PK"]["rate_median_ci_high"]) == (
        pytest.approx(1.8),
        pytest.approx(9.0),
    )
    assert rows["PK"]["rate_p25_usd"] == pytest.approx(0.9 * 3.5)


def test_notes_say_which_fee_date_and_source_each_platform_used():
    frame = pl.concat(
        [
            profiles_frame({"IN": [10.0]}),
            profiles_frame({"IN": [10.0]}, platform="upwork", snapshot=date(2015, 3, 1), start=9),
        ]
    )
    used = fees_used(frame)
    assert used.select("platform", "fee_share", "undated").rows() == [
        ("freelancer", 0.10, True),
        ("upwork", None, False),
    ]
    notes = fee_notes(used)
    assert any(
        n.startswith("Freelancer.com: 10% deducted")
        and "start date is not documented" in n
        and "source (platform): https://www.my.freelancer.com/support/Project/full-time" in n
        for n in notes
    )
    assert any(n.startswith("Upwork: no fee documented for snapshots 2015-03-01") for n in notes)


def test_bad_fee_tables_and_bounds_are_one_line_errors():
    good = fee_schedule()
    with pytest.raises(InputError, match="must lie in"):
        check_schedule(good.with_columns(hourly_fee_share=pl.lit(1.5)))
    with pytest.raises(InputError, match="not exceed"):
        check_schedule(good.with_columns(hourly_fee_share_min=pl.lit(0.5)))
    with pytest.raises(InputError, match="undated rule cannot stand beside"):
        check_schedule(good.with_columns(valid_from=pl.lit(None, pl.Date)))
    with pytest.raises(InputError, match="lacks column"):
        check_schedule(good.drop("source_url"))
    with pytest.raises(InputError, match="bound must be"):
        net_of_fee(profiles_frame({"IN": [5.0]}), bound="median")


def test_olm_summary_net_of_fees(demo_store):
    args = ("summary", "--store", str(demo_store), "--platform", "freelancer", "-f", "csv")
    gross = pl.read_csv(io.StringIO(run_olm(*args, check=True).stdout))
    done = run_olm(*args, "--net-of-fees", check=True)
    net = pl.read_csv(io.StringIO(done.stdout))
    joined = gross.join(net, on="country", suffix="_net").drop_nulls("rate_median_usd")
    assert joined.height > 5
    # one platform, one fee: every quantile is 0.9 times the gross one
    for column in ("rate_p25_usd", "rate_median_usd", "rate_median_ci_high"):
        assert joined[f"{column}_net"].to_list() == pytest.approx(
            (0.9 * joined[column]).to_list(), rel=1e-9
        )
    assert "note: Freelancer.com: 10% deducted" in done.stderr
    assert "asking US$/hour net of fees" in done.stderr
    wrong = run_olm("summary", "--store", str(demo_store), "--net-of-fees", "--full")
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == (
        "olm: error: --net-of-fees goes with the country table only (not --full or --by)"
    )
