"""Progression estimators on simulated stores with known truth, and `olm progression`."""

from __future__ import annotations

import io
import math

import numpy as np
import polars as pl
import pytest

from olmstats import InputError, feols, progression, scan_profiles
from olmstats.pseudonym import USER, Pseudonymiser
from olmstats.simulate import MarketParameters, PanelParameters, simulate_panel, write_panel_store
from olmstats.store import listing_outcomes
from tests.conftest import TEST_KEY, run_olm


@pytest.fixture(scope="module")
def cross_section(tmp_path_factory):
    store = tmp_path_factory.mktemp("cross")
    panel = simulate_panel(MarketParameters(seed=3, n_profiles=20_000), PanelParameters(waves=1))
    write_panel_store(panel, store, key=TEST_KEY)
    return store, panel


@pytest.fixture(scope="module")
def panel_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("panel")
    panel = simulate_panel(MarketParameters(seed=4, n_profiles=6000))
    write_panel_store(panel, store, key=TEST_KEY)
    return store, panel


def test_pooled_slopes_cover_the_truth(cross_section):
    store, panel = cross_section
    tenure = progression.rate_progression(scan_profiles(store)).row(0, named=True)
    truth = panel.market.tenure_elasticity
    assert tenure["conf_low"] <= truth <= tenure["conf_high"]
    assert tenure["percent"] == pytest.approx(100 * math.expm1(tenure["estimate"]))
    assert "clustered by country" in tenure["vcov"]
    # 57 countries, India with a quarter of the profiles: the wild cluster bootstrap's interval
    assert tenure["n_clusters"] == 57 and tenure["inference"] == "wild bootstrap (WCR)"
    assert "WCR bootstrap, 9,999 Rademacher draws" in tenure["vcov"]
    reviews = progression.rate_progression(scan_profiles(store), experience="reviews")
    per_doubling = panel.market.reviews_elasticity * math.log(2)  # log2 units
    row = reviews.row(0, named=True)
    assert row["conf_low"] <= per_doubling <= row["conf_high"]


def test_pooled_interval_is_feols_wild_bootstrap_and_differs_from_crv1_t(cross_section):
    """The pooled table's interval is feols' WCR test-inversion interval on the same model
    (not the CRV1 t one it used to be), and the rule that chose it is stated."""
    store, _ = cross_section
    row = progression.rate_progression(scan_profiles(store)).row(0, named=True)
    data = (
        progression.prepare(scan_profiles(store))
        .collect()
        .drop_nulls(["log_rate", "tenure_years", "log2_reviews"])
    )
    formula = "log_rate ~ tenure_years + log2_reviews | country + occupation"
    wild = (
        feols(formula, data, vcov={"CRV1": "country"}, inference="wild").tidy().row(0, named=True)
    )
    crv1 = feols(formula, data, vcov={"CRV1": "country"}).tidy().row(0, named=True)
    assert (row["conf_low"], row["conf_high"]) == (wild["conf_low"], wild["conf_high"])
    assert row["estimate"] == pytest.approx(crv1["estimate"], rel=1e-12)
    assert row["std_error"] == pytest.approx(crv1["std_error"], rel=1e-12)
    assert (wild["conf_low"], wild["conf_high"]) != pytest.approx(
        (crv1["conf_low"], crv1["conf_high"]), rel=1e-3
    )
    assert "fewer than 50 countries or the largest holds more than 10%" in (
        progression.INFERENCE_RULE
    )


def test_bootstrap_draws_and_seed_pass_through_to_the_rule(cross_section):
    """``reps=``/``seed=`` reach feols where the rule picks the bootstrap (simulation studies
    ask for fewer draws); bad values are refused even where the bootstrap is not used."""
    store, _ = cross_section
    profiles = scan_profiles(store)
    row = progression.rate_progression(profiles, reps=999, seed=7).row(0, named=True)
    assert row["inference"] == "wild bootstrap (WCR)"
    assert "WCR bootstrap, 999 Rademacher draws" in row["vcov"]
    data = progression.prepare(profiles).collect().drop_nulls(["log_rate", "log2_reviews"])
    wild = feols(
        "log_rate ~ tenure_years + log2_reviews | country + occupation",
        data,
        vcov={"CRV1": "country"},
        inference="wild",
        reps=999,
        seed=7,
    ).tidy()
    assert (row["conf_low"], row["conf_high"]) == (wild["conf_low"][0], wild["conf_high"][0])
    effects = progression.progression_effects(profiles, reps=999, seed=7).row(0, named=True)
    assert (effects["direct_conf_low"], effects["direct_conf_high"]) == (
        row["conf_low"],
        row["conf_high"],
    )
    assert "999 Rademacher draws" in effects["vcov"]
    curve = progression.rate_curve(profiles, reps=999, seed=7)
    assert curve["inference"][0] == "wild bootstrap (WCR)"
    with pytest.raises(InputError, match="reps"):
        progression.rate_progression(profiles, reps=10)
    with pytest.raises(InputError, match="seed"):
        progression.rate_progression(profiles, by="country", seed=-1)  # no bootstrap there
    with pytest.raises(InputError, match="reps"):
        progression.rate_curve(profiles, reps=98)


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ([100] * 60, {"inference": "t"}),  # many equal clusters: CRV1 t(G - 1)
        ([90] * 55 + [500], {"inference": "t"}),  # largest 9.2% of 5,450
        ([100] * 59 + [1500], {"inference": "wild", "weights_type": "rademacher"}),  # 20%
        ([100] * 49, {"inference": "wild", "weights_type": "rademacher"}),  # G < 50
        ([100] * 12, {"inference": "wild", "weights_type": "webb"}),  # few: Webb weights
    ],
)
def test_cluster_inference_rule(sizes, expected):
    clusters = pl.Series([str(g) for g, size in enumerate(sizes) for _ in range(size)])
    assert progression.cluster_inference(clusters) == expected


def test_by_country_suppresses_small_groups(cross_section):
    store, _ = cross_section
    table = progression.rate_progression(scan_profiles(store), by="country", min_count=100)
    assert table.columns[0] == "country" and table["country"].is_unique().all()
    small = table.filter(pl.col("n_obs") < 100)
    assert small.height > 0 and small["estimate"].null_count() == small.height
    assert small["note"].str.starts_with("suppressed").all()
    large = table.filter(pl.col("n_obs") >= 100)
    assert large["estimate"].null_count() == 0
    assert (large["vcov"] == "heteroskedasticity-robust (HC1)").all()  # one country each


def test_band_curve_rises_like_the_truth(cross_section):
    store, _ = cross_section
    curve = progression.rate_curve(scan_profiles(store))
    assert curve["band"].to_list() == list(progression.TENURE_LABELS)
    assert curve["estimate"][0] == 0.0 and curve["reference"][0] == "0-1 y"
    assert curve["estimate"].is_sorted()  # rates rise with tenure in the simulated truth
    # 7+ years vs under 1 year: about 0.06 × (mean tenure gap ≈ 8.5 years) ≈ 0.5 log points
    assert 0.3 < curve["estimate"][-1] < 0.7


def test_quantiles_by_band_checked_against_numpy(cross_section):
    store, _ = cross_section
    table = progression.rate_quantiles(scan_profiles(store), by="country")
    cell = table.filter((pl.col("country") == "PK") & (pl.col("band") == "2-4 y")).row(
        0, named=True
    )
    data = (
        progression.prepare(scan_profiles(store))
        .filter((pl.col("country") == "PK") & (pl.col("tenure_band") == "2-4 y"))
        .collect()["hourly_rate_usd"]
        .drop_nulls()
        .to_numpy()
    )
    assert cell["n_rates"] == data.size
    assert cell["rate_median_usd"] == pytest.approx(np.quantile(data, 0.5))
    assert cell["rate_p25_usd"] == pytest.approx(np.quantile(data, 0.25))
    tiny = table.filter(pl.col("n_rates") < 10)
    assert tiny["rate_median_usd"].null_count() == tiny.height


def test_panel_growth_recovers_the_within_slope_and_counts_exits(panel_store):
    store, panel = panel_store
    listings = listing_outcomes(store)
    table = progression.panel_growth(scan_profiles(store), listings=listings).row(0, named=True)
    assert table["conf_low"] <= panel.within_growth_per_year <= table["conf_high"]
    waves = panel.observations.group_by("native_id").agg(pl.col("wave").max())
    last = panel.observations["wave"].max()
    assert table["exits"] == waves.filter(pl.col("wave") < last).height
    assert table["absences_unverified"] == 0  # every later listing was read to its end
    assert table["entries"] == 0
    rated = panel.observations.drop_nulls("hourly_rate_usd").group_by("native_id").len()
    assert table["profiles_seen_twice_or_more"] == rated.filter(pl.col("len") >= 2).height
    # without crawl outcomes an absence cannot be told from a lost page: exits unknown
    unknown = progression.panel_growth(scan_profiles(store)).row(0, named=True)
    assert unknown["exits"] is None
    assert unknown["absences_unverified"] == waves.filter(pl.col("wave") < last).height


def test_an_absence_counts_as_an_exit_only_where_the_listing_was_read_to_its_end(tmp_path):
    panel = simulate_panel(MarketParameters(seed=5, n_profiles=1500))
    first = panel.snapshot_dates[0]
    # Pakistan's listing fails in every crawl after the first; India's is cut at max_pages
    outcomes = {"PK": "failed", "IN": "truncated_by_max_pages"}
    write_panel_store(
        panel,
        tmp_path,
        key=TEST_KEY,
        listing_outcome=lambda day, c: (
            outcomes.get(c, "read_to_end") if day > first else "read_to_end"
        ),
    )
    table = progression.panel_growth(
        scan_profiles(tmp_path), listings=listing_outcomes(tmp_path)
    ).row(0, named=True)
    last = panel.observations["wave"].max()
    gone = (
        panel.observations.group_by("native_id")
        .agg(pl.col("wave").max(), pl.col("country").first())
        .filter(pl.col("wave") < last)
    )
    shielded = gone.filter(pl.col("country").is_in(["PK", "IN"])).height
    assert shielded > 50  # the case is not empty
    assert table["exits"] == gone.height - shielded
    assert table["absences_unverified"] == shielded
    found = progression.career_trajectories(
        scan_profiles(tmp_path), listings=listing_outcomes(tmp_path)
    )
    pk_in = found.filter(pl.col("country").is_in(["PK", "IN"]))
    assert pk_in.filter(pl.col("trajectory") == "sinking")["exited"].sum() == 0
    assert pk_in.filter(pl.col("unverified"))["censored"].all()


def test_trajectories_recover_the_simulated_types(panel_store):
    store, panel = panel_store
    found = progression.career_trajectories(scan_profiles(store), listings=listing_outcomes(store))
    pseudonym = Pseudonymiser(TEST_KEY)
    truth = (
        panel.observations.select("native_id", "trajectory")
        .unique()
        .with_columns(
            profile_id=pl.col("native_id").map_elements(
                lambda n: pseudonym("freelancer", USER, n), return_dtype=pl.String
            )
        )
    )
    joined = found.join(truth, on="profile_id", suffix="_true")
    assert joined.height == found.height == panel.observations["native_id"].n_unique()
    # 4 waves 6 months apart: stayers span 18 months, all classified; exits are sinking
    assert found["censored"].sum() == 0
    classified = joined.filter(pl.col("trajectory").is_not_null())
    assert (classified["trajectory"] == classified["trajectory_true"]).mean() > 0.85
    recall = classified.group_by("trajectory_true").agg(
        (pl.col("trajectory") == pl.col("trajectory_true")).mean().alias("recall")
    )
    assert recall["recall"].min() > 0.7
    shares = progression.trajectory_shares(found, by="country", min_count=50)
    total = shares.drop_nulls("share_sinking").select(
        pl.sum_horizontal(pl.col("^share_.*$")).alias("sum")
    )["sum"]
    np.testing.assert_allclose(total.to_numpy(), 1.0)
    assert shares.filter(pl.col("profiles") < 50)["share_swimming"].null_count() == (
        shares.filter(pl.col("profiles") < 50).height
    )
    assert shares["window_months"].unique().to_list() == [12.0]


def test_short_spells_are_censored_not_classified(panel_store):
    store, panel = panel_store
    profiles = scan_profiles(store)
    # only the first two waves (6 months): every stayer is censored under a 12-month window
    two = profiles.filter(pl.col("snapshot_date") <= panel.snapshot_dates[1])
    found = progression.career_trajectories(two, listings=listing_outcomes(store))
    stayers = found.filter(~pl.col("exited"))
    assert stayers.height > 0 and stayers["censored"].all()
    assert stayers["trajectory"].null_count() == stayers.height
    assert found.filter(pl.col("exited"))["trajectory"].unique().to_list() == ["sinking"]
    shares = progression.trajectory_shares(found, by=None, min_count=1).row(0, named=True)
    assert shares["censored"] == stayers.height
    assert shares["profiles"] == found.height - stayers.height
    assert shares["share_sinking"] == 1.0
    # a 6-month window classifies them
    short = progression.career_trajectories(two, listings=listing_outcomes(store), window_months=6)
    assert short["censored"].sum() == 0


def test_thresholds_are_parameters(panel_store):
    store, _ = panel_store
    strict = progression.career_trajectories(
        scan_profiles(store),
        progression.TrajectoryThresholds(steady_reviews_per_year=1e6),
        listings=listing_outcomes(store),
    )
    assert set(strict["trajectory"]) <= {"sinking", "struggling"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda lf: progression.rate_progression(lf, experience="age"), "experience must be"),
        (lambda lf: progression.rate_progression(lf, by="city"), "by must be one of"),
        (lambda lf: progression.panel_growth(lf), "at least two snapshots"),
        (lambda lf: progression.career_trajectories(lf), "at least two snapshots"),
        (
            lambda lf: progression.rate_progression(
                lf.with_columns(hourly_rate_usd=pl.lit(None, pl.Float64))
            ),
            "no profile has an hourly rate",
        ),
    ],
)
def test_bad_input_is_named(cross_section, call, message):
    store, _ = cross_section
    with pytest.raises(InputError, match=message):
        call(scan_profiles(store))


def test_cli_progression_views_and_plot(panel_store, tmp_path):
    store, _ = panel_store
    slopes = run_olm("progression", "--store", str(store), "--format", "csv", check=True)
    assert pl.read_csv(io.StringIO(slopes.stdout))["group"].to_list() == ["all"]
    by_country = run_olm(
        "progression",
        "--store",
        str(store),
        "--by",
        "country",
        "--experience",
        "reviews",
        check=True,
    ).stdout
    assert "% per doubling of 1 + reviews" in by_country and "IN" in by_country
    pooled = run_olm("progression", "--store", str(store), check=True).stdout
    assert "WCR bootstrap" in pooled and "wild cluster restricted bootstrap" in pooled
    curve = run_olm("progression", "-s", str(store), "--view", "curve", check=True).stdout
    assert "clusters; intervals: wild bootstrap (WCR)" in curve
    beside = run_olm("progression", "-s", str(store), "--format", "csv", check=True).stdout
    row = pl.read_csv(io.StringIO(beside)).row(0, named=True)
    within = progression.panel_growth(scan_profiles(store)).row(0, named=True)
    assert row["within_percent"] == pytest.approx(within["percent_per_year"], rel=1e-9)
    assert row["total_percent"] is not None and row["direct_percent"] is not None
    text = run_olm("progression", "-s", str(store), check=True).stdout
    assert "within-profile (95% CI)" in text
    panel = run_olm("progression", "-s", str(store), "--view", "panel", check=True).stdout
    assert "within-profile growth per year" in panel
    assert "unverified: absent, but that listing was not read to its end" in panel
    shares = run_olm(
        "progression",
        "-s",
        str(store),
        "--view",
        "trajectories",
        "--format",
        "markdown",
        check=True,
    ).stdout
    assert "| IN" in shares and "swimming" in shares and "sinking: left the platform" in shares
    assert "censored" in shares
    bad = run_olm("progression", "-s", str(store), "--view", "trajectories", "--window-months", "0")
    assert bad.returncode == 2 and "--window-months" in bad.stderr
    picture = tmp_path / "rates.png"
    run_olm("progression", "-s", str(store), "--by", "country", "--plot", str(picture), check=True)
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 20_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "city"], "by must be one of"),
        (["--experience", "age"], "experience must be"),
        (["--view", "spline"], "spline"),
        (["--min-count", "0"], "at least 1"),
    ],
)
def test_cli_progression_mistakes(cross_section, args, message):
    store, _ = cross_section
    result = run_olm("progression", "--store", str(store), *args)
    assert result.returncode == 2 and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_total_and_direct_gradients_recover_a_known_truth_and_match_statsmodels():
    """log rate = 2 + 0.05·tenure + 0.08·log2(1 + reviews) + noise, with reviews coming with
    tenure (log2 reviews = 0.3·tenure + noise): the direct gradient is e^0.05 − 1 = 5.13% per
    year, the total e^(0.05 + 0.08·0.3) − 1 = 7.68%. Checked against statsmodels OLS with
    occupation dummies, and the intervals against the truth."""
    from datetime import UTC, date, datetime, timedelta

    import statsmodels.formula.api as smf

    rng = np.random.default_rng(31)
    n = 6000
    tenure = rng.uniform(0, 10, n)
    log2_reviews = np.clip(0.3 * tenure + rng.normal(0, 1, n), 0, None)
    occupation = rng.choice(["software_technology", "writing_translation"], n)
    log_rate = (
        2 + 0.05 * tenure + 0.08 * log2_reviews + (occupation == "writing_translation") * -0.2
    )
    log_rate = log_rate + rng.normal(0, 0.4, n)
    snapshot = date(2026, 11, 23)
    frame = pl.LazyFrame(
        {
            "platform": ["freelancer"] * n,
            "snapshot_date": [snapshot] * n,
            "profile_id": [f"{i:032x}" for i in range(n)],
            "country": ["PK"] * n,
            "hourly_rate_usd": np.exp(log_rate),
            "occupation": occupation,
            "registration_date": [snapshot - timedelta(days=float(t) * 365.25) for t in tenure],
            "reviews": np.round(2**log2_reviews - 1).astype(np.int64),
            "observed_at": [datetime(2026, 11, 23, tzinfo=UTC)] * n,
            "run_id": ["sim"] * n,
        }
    )
    (row,) = progression.progression_effects(frame, by="country").iter_rows(named=True)
    assert row["total_conf_low"] < 0.05 + 0.08 * 0.3 < row["total_conf_high"]
    assert row["direct_conf_low"] < 0.05 < row["direct_conf_high"]
    assert row["total_percent"] == pytest.approx(7.68, abs=0.6)
    assert row["direct_percent"] == pytest.approx(5.13, abs=0.6)
    # the same regressions by statsmodels, on the variables as the library defines them
    data = progression.with_experience(frame).collect().to_pandas()
    total = smf.ols("log_rate ~ tenure_years + C(occupation)", data).fit(cov_type="HC1")
    direct = smf.ols("log_rate ~ tenure_years + log2_reviews + C(occupation)", data).fit(
        cov_type="HC1"
    )
    assert row["total_estimate"] == pytest.approx(total.params["tenure_years"], rel=1e-9)
    assert row["direct_estimate"] == pytest.approx(direct.params["tenure_years"], rel=1e-9)
    assert row["total_std_error"] == pytest.approx(total.bse["tenure_years"], rel=1e-6)
    assert row["direct_std_error"] == pytest.approx(direct.bse["tenure_years"], rel=1e-6)
