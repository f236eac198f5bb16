"""Hourly-rate progression: do freelancers climb with experience, and how fast?

Experience is measured two ways: **tenure** (years since registration, at the snapshot) and
**work done** (reviews received; a doubling of 1 + reviews is one unit). Every estimate is a
fixed-effects regression of the log asking rate (US$) fitted by :func:`olmstats.feols`:

- ``rate_progression``: the log-linear slope, within country and occupation,
  ``log_rate ~ tenure_years + log2_reviews | country + occupation``, reported as log points
  and as "% per year" (tenure) or "% per doubling of reviews" = 100·(e^b − 1). Pooled models
  cluster by country; one-country models use HC1. That is the *direct* gradient (the other
  measure held fixed); ``control=False`` gives the *total*, and ``progression_effects`` both
  side by side. Both are cross-sectional gradients among listed profiles (survivors; tenure
  also marks the entry cohort), not careers.
- ``rate_curve``: a piecewise version, one coefficient per experience band relative to the
  first band, with the same controls.
- ``rate_quantiles``: median and quartiles of the rate per experience band (no model), with the
  median's distribution-free 95% interval, per group.
- ``panel_growth``: when the store holds several snapshots, the within-profile growth per year,
  ``log_rate ~ tenure_years | profile_id`` clustered by profile, on profiles whose rate is seen
  at two snapshots or more; profiles that disappear are counted as exits.
- ``career_trajectories``: sinking / struggling / surviving / swimming per profile observed over
  time (after Malik, Nicholson & Heeks 2017), with thresholds in ``TrajectoryThresholds``.

**Inference with clusters** (``INFERENCE_RULE``, :func:`cluster_inference`): with G countries
as clusters, intervals come from the wild cluster restricted bootstrap (WCR, 9,999 draws, test
inversion; :mod:`olmstats.estimation.wild_bootstrap`) when G < 50 or the largest country holds
more than 10% of the profiles, else from CRV1 and t(G − 1). MacKinnon, Nielsen & Webb (2023,
"Cluster-robust inference: A guide to empirical practice") show CRV1 t-inference over-rejecting
with few clusters and, at any G, when cluster sizes are very unequal; a simulated market has 57
countries with India holding a quarter of the profiles, so the bootstrap is the rule there.
Tables carry ``n_clusters`` and ``inference``. ``rate_progression``, ``progression_effects``
and ``rate_curve`` take ``reps=`` and ``seed=`` for the bootstrap (used only when the rule picks
it; simulation studies ask for fewer draws, e.g. 999, which keeps α(B + 1) an integer).

Cross-sections use each profile once, at its latest observation. Groups with fewer than
``min_count`` observations get nulls and a reason, not noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from olmstats.errors import InputError, OlmError
from olmstats.estimation import FeolsResult, feols
from olmstats.estimation.wild_bootstrap import DEFAULT_REPS, DEFAULT_SEED
from olmstats.estimation.wild_bootstrap import check_options as check_bootstrap_options
from olmstats.inputs import check_min_count, check_positive, lazy_frame, profiles_input
from olmstats.order_statistics import grouped_order_statistics
from olmstats.summary import latest_rows
from olmstats.weights import check_weights

TENURE_BANDS = (1.0, 2.0, 4.0, 7.0)  # upper edges in years: 0-1, 1-2, 2-4, 4-7, 7+
TENURE_LABELS = ("0-1 y", "1-2 y", "2-4 y", "4-7 y", "7+ y")
REVIEW_BANDS = (1.0, 5.0, 20.0, 100.0)  # upper edges: 0, 1-4, 5-19, 20-99, 100+
REVIEW_LABELS = ("0", "1-4", "5-19", "20-99", "100+")
DEFAULT_MIN_COUNT = 30


@dataclass(frozen=True)
class Experience:
    name: str
    variable: str
    band: str
    unit: str


EXPERIENCES = {
    "tenure": Experience("tenure", "tenure_years", "tenure_band", "% per year of tenure"),
    "reviews": Experience(
        "reviews", "log2_reviews", "reviews_band", "% per doubling of 1 + reviews"
    ),
}
GROUPS = ("country", "occupation")


def _band(value: pl.Expr, edges: Sequence[float], labels: Sequence[str]) -> pl.Expr:
    """Label of the band [edge_i, edge_i+1) holding *value*; null for null."""
    expr = pl.when(value.is_null()).then(pl.lit(None, pl.String))
    for edge, label in zip(edges, labels, strict=False):
        expr = expr.when(value < edge).then(pl.lit(label))
    return expr.otherwise(pl.lit(labels[-1]))


def prepare(profiles: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``tenure_years``, ``log_rate``, ``log2_reviews`` and the two band columns."""
    return with_experience(profiles_input(profiles, "registration_date", "reviews"))


def with_experience(profiles: pl.LazyFrame) -> pl.LazyFrame:
    """:func:`prepare` on a frame already checked."""
    days = (pl.col("snapshot_date") - pl.col("registration_date")).dt.total_days()
    tenure = pl.when(days >= 0).then(days / 365.25)
    reviews = pl.col("reviews").cast(pl.Float64)
    return profiles.with_columns(
        tenure_years=tenure,
        log_rate=pl.when(pl.col("hourly_rate_usd") > 0).then(pl.col("hourly_rate_usd").log()),
        log2_reviews=(reviews + 1).log(2),
        tenure_band=_band(tenure, TENURE_BANDS, TENURE_LABELS),
        reviews_band=_band(reviews, REVIEW_BANDS, REVIEW_LABELS),
    )


def _latest(profiles: pl.LazyFrame) -> pl.LazyFrame:
    """Each profile once, at its latest observation (no work when all rows are from one run)."""
    return latest_rows(profiles, "profile_id")


def experience_measure(name: str) -> Experience:
    if name not in EXPERIENCES:
        raise InputError(f"experience must be one of {', '.join(EXPERIENCES)}, got {name!r}")
    return EXPERIENCES[name]


def grouping(by: str | Sequence[str] | None) -> str | None:
    if by is None:
        return None
    column = by if isinstance(by, str) else (by[0] if len(by) == 1 else None)
    if column not in GROUPS:
        raise InputError(f"by must be one of {', '.join(GROUPS)}, got {by!r}")
    return column


def _cross_section(
    profiles: pl.LazyFrame, *, bands: bool = False, platform: bool = False
) -> pl.DataFrame:
    """Each profile once with the model's variables (and the band labels, the platform if
    asked)."""
    columns = ["country", "occupation", "tenure_years", "log_rate", "log2_reviews"]
    columns += ["tenure_band", "reviews_band"] if bands else []
    columns += ["platform"] if platform else []
    data = with_experience(_latest(profiles)).select(columns).collect()
    if data["log_rate"].null_count() == data.height:
        raise InputError("no profile has an hourly rate: nothing to estimate")
    return data


def _platform_weight(weights: Mapping[str, float]) -> pl.Expr:
    """Analytic weight of a row: its platform's weight ÷ the platform's rows, renormalised over
    the platforms present, scaled to average 1."""
    given = pl.col("platform").replace_strict(weights, return_dtype=pl.Float64)
    raw = given / pl.len().over("platform")
    share = raw / raw.sum()
    return (share * pl.len()).alias("platform_weight")


WILD_BELOW_CLUSTERS = 50  # fewer clusters than this: wild cluster bootstrap
WILD_ABOVE_LARGEST_SHARE = 0.10  # largest cluster's share of observations above this: likewise
WEBB_UP_TO_CLUSTERS = 12  # Webb's six-point weights up to this many clusters, else Rademacher
INFERENCE_RULE = (
    "Clustered by country: p-values and 95% intervals from the wild cluster restricted "
    f"bootstrap (WCR, {DEFAULT_REPS:,} draws, seed {DEFAULT_SEED}; intervals by test "
    f"inversion; Webb weights with at most {WEBB_UP_TO_CLUSTERS} clusters, else Rademacher) "
    f"when there are fewer than {WILD_BELOW_CLUSTERS} countries or the largest holds more than "
    f"{WILD_ABOVE_LARGEST_SHARE:.0%} of the profiles (CRV1 t-inference is unreliable with few "
    "or very unequal clusters: MacKinnon, Nielsen & Webb 2023); otherwise CRV1 with t(G − 1)."
)


def cluster_inference(clusters: pl.Series) -> dict[str, object]:
    """feols options for a fit clustered by *clusters* (one value per observation), by
    ``INFERENCE_RULE``: ``{"inference": "wild", "weights_type": ...}`` or
    ``{"inference": "t"}``."""
    sizes = clusters.value_counts()["count"]
    few = sizes.len() < WILD_BELOW_CLUSTERS
    unequal = sizes.max() > WILD_ABOVE_LARGEST_SHARE * clusters.len()
    if not (few or unequal):
        return {"inference": "t"}
    weights = "webb" if sizes.len() <= WEBB_UP_TO_CLUSTERS else "rademacher"
    return {"inference": "wild", "weights_type": weights}


def _checked_bootstrap(reps: int | None, seed: int | None) -> dict[str, int]:
    """The bootstrap options asked for (checked now, whether or not the rule will use them)."""
    check_bootstrap_options(
        DEFAULT_REPS if reps is None else reps, "rademacher", DEFAULT_SEED if seed is None else seed
    )
    return {k: v for k, v in (("reps", reps), ("seed", seed)) if v is not None}


def _with_bootstrap(options: dict[str, object], bootstrap: dict[str, int]) -> dict[str, object]:
    """*options* from :func:`cluster_inference`, with *bootstrap* where it picked the bootstrap."""
    return options | bootstrap if options.get("inference") == "wild" else options


def inference_columns(fit: FeolsResult) -> dict[str, object]:
    """``n_clusters``, ``inference`` and a short ``vcov`` label of a fitted model."""
    if fit.vcov_type != "CRV1":
        return {"n_clusters": None, "inference": f"t({fit.df_t})", "vcov": fit._vcov_label()}
    clustered = f"clustered by {fit.cluster} ({fit.n_clusters:,} clusters)"
    if fit.wild is None:
        return {
            "n_clusters": fit.n_clusters,
            "inference": f"t({fit.df_t})",
            "vcov": f"{clustered}, CRV1 t",
        }
    wild = fit.wild
    draws = f"all {wild.draws:,}" if wild.full_enumeration else f"{wild.draws:,}"
    return {
        "n_clusters": fit.n_clusters,
        "inference": "wild bootstrap (WCR)",
        "vcov": f"{clustered}; WCR bootstrap, {draws} {wild.weights_type.capitalize()} draws",
    }


def _model(group: str | None, subsets: int) -> tuple[str, dict[str, str] | str]:
    """Fixed effects and covariance for a fit on one group's data."""
    absorbed = [c for c in GROUPS if c != group]
    cluster_by_country = "country" in absorbed and subsets >= 2
    return " + ".join(absorbed), ({"CRV1": "country"} if cluster_by_country else "hetero")


def rate_progression(
    profiles: pl.LazyFrame,
    *,
    by: str | Sequence[str] | None = None,
    experience: str = "tenure",
    min_count: int = DEFAULT_MIN_COUNT,
    control: bool = True,
    platform_weights: Mapping[str, float] | None = None,
    reps: int | None = None,
    seed: int | None = None,
) -> pl.DataFrame:
    """Slope of the log asking rate on experience, per group (or pooled), with uncertainty.

    With *platform_weights* (a weight per platform pooled, as in
    :func:`olmstats.summary.country_summary`), each regression is weighted so that each
    platform's profiles carry its weight in total (analytic weights w_p ÷ n_p, renormalised over
    the platforms present in the group): a weighted least-squares gradient, per country too
    (one weighted fit per country). Default: every profile counts once.

    With *control* (the default) the other experience measure is held fixed: the **direct**
    gradient (tenure at equal reviews). Without, the **total** gradient (tenure, letting
    reviews come with it), on the same profiles (those with both measures). Both are
    cross-sectional gradients among listed profiles, not the growth of a career: a directory
    lists those who stayed (survivors), and tenure also marks the cohort a profile entered
    with (:func:`panel_growth` gives the within-profile estimate where the store has panels).

    *reps* and *seed* are the wild cluster bootstrap's draws and seed (defaults 9,999 and 2023)
    where ``INFERENCE_RULE`` picks the bootstrap; elsewhere they change nothing.
    """
    profiles = profiles_input(profiles, "registration_date", optional=("occupation", "reviews"))
    check_min_count(min_count)
    bootstrap = _checked_bootstrap(reps, seed)
    exp = experience_measure(experience)
    group = grouping(by)
    other = EXPERIENCES["reviews" if exp.name == "tenure" else "tenure"].variable
    controls = [other] if control else []
    measure = "reviews" if exp.name == "tenure" else "registration_date"
    has_other = not profiles.select(pl.col(measure).is_null().all()).collect().item()
    if control and not has_other:
        raise InputError(
            f"profiles has no {measure}: the direct gradient holds it fixed; pass {measure}, "
            "or control=False for the total gradient"
        )
    # the same profiles with or without the control, where the data have the other measure
    needed = [exp.variable, other] if has_other else [exp.variable]
    if platform_weights is not None:
        present = profiles.select(pl.col("platform").unique()).collect()["platform"].to_list()
        platform_weights = check_weights(platform_weights, present)
    if group == "country" and platform_weights is None:  # all countries at once, one pass
        lazy = (
            with_experience(_latest(profiles))
            .select("country", "occupation", "log_rate", exp.variable, other)
            .drop_nulls(needed)
        )
        if lazy.select(pl.col("log_rate").count()).collect().item() == 0:
            raise InputError("no profile has an hourly rate: nothing to estimate")
        return _finish_slopes(_country_slopes(lazy, exp, controls, min_count), group)
    data = _cross_section(profiles, platform=platform_weights is not None)
    rows = []
    subsets = (
        [("all", data)]
        if group is None
        else sorted(data.partition_by(group, as_dict=True).items(), key=lambda kv: -kv[1].height)
    )
    for key, subset in subsets:
        label = key[0] if isinstance(key, tuple) else key
        fixed, vcov = _model(group, subset["country"].n_unique())
        # a grouping the data do not have (a frame of one's own without occupations) is not
        # held fixed, rather than dropping every row
        present = [f for f in fixed.split(" + ") if f and subset[f].null_count() < subset.height]
        absorbed = f" | {' + '.join(present)}" if present else ""
        formula = f"log_rate ~ {' + '.join([exp.variable, *controls])}{absorbed}"
        usable = subset.drop_nulls(["log_rate", *needed])
        weights = None
        if platform_weights is not None:
            usable = usable.with_columns(_platform_weight(platform_weights))
            weights = "platform_weight"
        row = {name: None for name in _SLOPE_SCHEMA} | {
            "group": label,
            "experience": exp.name,
            "unit": exp.unit,
            "n_obs": usable.height,
        }
        if usable.height < min_count:
            row["note"] = f"suppressed: fewer than {min_count} profiles with a rate"
        else:
            options = (
                _with_bootstrap(cluster_inference(usable["country"]), bootstrap)
                if isinstance(vcov, dict)
                else {}
            )
            try:
                fit = feols(formula, usable, vcov=vcov, weights=weights, **options)
            except OlmError as exc:
                row["note"] = f"not estimable: {exc}"
            else:
                line = fit.tidy().row(0, named=True)
                row.update(
                    n_obs=fit.n_obs,
                    estimate=line["estimate"],
                    std_error=line["std_error"],
                    conf_low=line["conf_low"],
                    conf_high=line["conf_high"],
                    **inference_columns(fit),
                )
        rows.append(row)
    return _finish_slopes(pl.DataFrame(rows, schema=_SLOPE_SCHEMA), group)


_SLOPE_SCHEMA = {
    "group": pl.String,
    "experience": pl.String,
    "unit": pl.String,
    "n_obs": pl.Int64,
    "estimate": pl.Float64,
    "std_error": pl.Float64,
    "conf_low": pl.Float64,
    "conf_high": pl.Float64,
    "n_clusters": pl.Int64,
    "inference": pl.String,
    "vcov": pl.String,
    "note": pl.String,
}


def _finish_slopes(table: pl.DataFrame, group: str | None) -> pl.DataFrame:
    """Add the slopes as % per unit, 100·(e^b − 1), and name the group column."""
    return table.with_columns(
        percent=(pl.col("estimate").exp() - 1) * 100,
        percent_low=(pl.col("conf_low").exp() - 1) * 100,
        percent_high=(pl.col("conf_high").exp() - 1) * 100,
    ).rename({"group": group or "group"})


def _country_slopes(
    data: pl.LazyFrame, exp: Experience, controls: list[str], min_count: int
) -> pl.DataFrame:
    """Per country, ``log_rate ~ experience + controls | occupation`` with HC1: equal to one
    feols per country, computed for all countries at once (olmstats.estimation.grouped)."""
    from olmstats.estimation.grouped import grouped_ols

    fits = grouped_ols(
        data,
        group="country",
        absorb="occupation",
        outcome="log_rate",
        regressors=[exp.variable, *controls],
    ).filter(pl.col("term") == exp.variable)
    enough = pl.col("n_obs") >= min_count
    return fits.select(
        group=pl.col("country"),
        experience=pl.lit(exp.name),
        unit=pl.lit(exp.unit),
        n_obs="n_obs",
        **{
            c: pl.when(enough).then(pl.col(c))
            for c in ("estimate", "std_error", "conf_low", "conf_high")
        },
        n_clusters=pl.lit(None, pl.Int64),
        inference=pl.when(enough & pl.col("note").is_null()).then(pl.lit("t")),
        vcov=pl.when(enough & pl.col("note").is_null()).then(
            pl.lit("heteroskedasticity-robust (HC1)")
        ),
        note=pl.when(~enough)
        .then(pl.lit(f"suppressed: fewer than {min_count} profiles with a rate"))
        .otherwise(pl.col("note")),
    ).sort(["n_obs", "group"], descending=[True, False])


SURVIVORSHIP_CAVEAT = (
    "Cross-sectional gradients among listed profiles, not careers: a directory lists those who "
    "stayed (survivors), and tenure also marks the cohort a profile entered with; where the "
    "store holds the same profiles at several snapshots, olm progression shows the "
    "within-profile growth per year (profile fixed effects, panel_growth) beside them."
)


def progression_effects(
    profiles: pl.LazyFrame,
    *,
    by: str | Sequence[str] | None = None,
    experience: str = "tenure",
    min_count: int = DEFAULT_MIN_COUNT,
    platform_weights: Mapping[str, float] | None = None,
    reps: int | None = None,
    seed: int | None = None,
) -> pl.DataFrame:
    """The total and the direct gradient of the rate on *experience*, side by side: one row
    per group with ``total_*`` (the other measure not held fixed) and ``direct_*`` (held
    fixed) estimates, % and intervals, on the same profiles. See :func:`rate_progression`
    (also for *platform_weights*, *reps* and *seed*)."""
    options = {
        "by": by,
        "experience": experience,
        "min_count": min_count,
        "platform_weights": platform_weights,
        "reps": reps,
        "seed": seed,
    }
    direct = rate_progression(profiles, control=True, **options)
    total = rate_progression(profiles, control=False, **options)
    key = direct.columns[0]
    measured = ["estimate", "std_error", "conf_low", "conf_high", "percent"]
    measured += ["percent_low", "percent_high"]
    return total.select(
        key, "experience", "unit", "n_obs", *(pl.col(c).alias(f"total_{c}") for c in measured)
    ).join(
        direct.select(
            key,
            *(pl.col(c).alias(f"direct_{c}") for c in measured),
            "n_clusters",
            "inference",
            "vcov",
            "note",
        ),
        on=key,
        how="left",
        maintain_order="left",
    )


def rate_curve(
    profiles: pl.LazyFrame,
    *,
    experience: str = "tenure",
    min_count: int = DEFAULT_MIN_COUNT,
    reps: int | None = None,
    seed: int | None = None,
) -> pl.DataFrame:
    """Rate differences by experience band relative to the first band (piecewise model),
    within country and occupation, clustered by country (intervals by ``INFERENCE_RULE``; the
    bootstrap's *reps* and *seed* as in :func:`rate_progression`); as log points and %, with
    ``n_clusters`` and ``inference``."""
    profiles = profiles_input(profiles, "registration_date", "reviews")
    check_min_count(min_count)
    bootstrap = _checked_bootstrap(reps, seed)
    exp = experience_measure(experience)
    data = _cross_section(profiles, bands=True).drop_nulls(["log_rate", exp.band])
    labels = TENURE_LABELS if exp.name == "tenure" else REVIEW_LABELS
    other = EXPERIENCES["reviews" if exp.name == "tenure" else "tenure"].variable
    counts = dict(data.group_by(exp.band).len().iter_rows())
    kept = [band for band in labels if counts.get(band, 0) >= min_count]
    if len(kept) < 2:
        raise InputError(f"fewer than two {exp.name} bands have {min_count} profiles")
    data = data.filter(pl.col(exp.band).is_in(kept)).drop_nulls(other)
    clustered = data["country"].n_unique() >= 2
    fit = feols(
        f"log_rate ~ i({exp.band}, ref={kept[0]}) + {other} | country + occupation",
        data,
        vcov={"CRV1": "country"} if clustered else "hetero",
        **(
            _with_bootstrap(cluster_inference(data.drop_nulls("log_rate")["country"]), bootstrap)
            if clustered
            else {}
        ),
    )
    inference = inference_columns(fit)
    tidy = fit.tidy().filter(pl.col("term").str.starts_with(exp.band))
    rows = [
        {
            "band": kept[0],
            "n_obs": counts[kept[0]],
            "estimate": 0.0,
            "conf_low": None,
            "conf_high": None,
        }
    ]
    for line in tidy.iter_rows(named=True):
        band = line["term"].split("::", 1)[1]
        rows.append(
            {
                "band": band,
                "n_obs": counts[band],
                "estimate": line["estimate"],
                "conf_low": line["conf_low"],
                "conf_high": line["conf_high"],
            }
        )
    table = pl.DataFrame(rows).with_columns(
        order=pl.col("band").replace_strict(
            {b: i for i, b in enumerate(labels)}, return_dtype=pl.Int64
        )
    )
    return (
        table.sort("order")
        .drop("order")
        .with_columns(
            percent=(pl.col("estimate").exp() - 1) * 100,
            percent_low=(pl.col("conf_low").exp() - 1) * 100,
            percent_high=(pl.col("conf_high").exp() - 1) * 100,
            reference=pl.lit(kept[0]),
            n_clusters=pl.lit(inference["n_clusters"], pl.Int64),
            inference=pl.lit(inference["inference"]),
        )
    )


def rate_quantiles(
    profiles: pl.LazyFrame,
    *,
    by: str | Sequence[str] | None = None,
    experience: str = "tenure",
    min_count: int = 10,
) -> pl.DataFrame:
    """Median and quartiles of the asking rate per experience band (and group), with the
    median's 95% interval; cells with fewer than *min_count* rates are null."""
    profiles = profiles_input(profiles, "registration_date", "reviews")
    check_min_count(min_count)
    exp = experience_measure(experience)
    group = grouping(by)
    data = with_experience(_latest(profiles)).drop_nulls([exp.band])
    key = pl.lit("all") if group is None else pl.col(group)
    data = data.with_columns(_cell=pl.concat_str([key, pl.col(exp.band)], separator="\t"))
    stats = grouped_order_statistics(data, "_cell", "hourly_rate_usd")
    labels = TENURE_LABELS if exp.name == "tenure" else REVIEW_LABELS
    enough = pl.col("n") >= min_count
    table = (
        stats.with_columns(
            pl.col("_cell").str.split_exact("\t", 1).struct.rename_fields(["group", "band"])
        )
        .unnest("_cell")
        .select(
            "group",
            "band",
            n_rates="n",
            **{
                name: pl.when(enough).then(pl.col(column))
                for name, column in (
                    ("rate_p25_usd", "q0.25"),
                    ("rate_median_usd", "q0.5"),
                    ("rate_p75_usd", "q0.75"),
                    ("median_ci_low", "ci_low"),
                    ("median_ci_high", "ci_high"),
                )
            },
        )
        .with_columns(
            order=pl.col("band").replace_strict(
                {b: i for i, b in enumerate(labels)}, return_dtype=pl.Int64
            )
        )
    )
    return table.sort("group", "order").drop("order").rename({"group": group or "group"})


def panel_growth(
    profiles: pl.LazyFrame,
    *,
    by: str | Sequence[str] | None = None,
    min_count: int = DEFAULT_MIN_COUNT,
    listings: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Within-profile rate growth per year (profile fixed effects, clustered by profile), with
    the number of profiles seen twice or more, entries and exits.

    An absent profile counts as an **exit** only where a later crawl read the listing that had
    found it to its end; *listings* are those crawl outcomes
    (:func:`olmstats.store.listing_outcomes`). Absences not so verified are ``unverified``;
    without *listings* ``exits`` is null (unknown), never a count of absences.
    """
    profiles = profiles_input(profiles, "registration_date", "reviews", optional=PANEL_OPTIONAL)
    check_min_count(min_count)
    group = grouping(by)
    data = with_experience(profiles).select(*PANEL_KEYS, "tenure_years", "log_rate").collect()
    if data["snapshot_date"].n_unique() < 2:
        raise InputError("panel growth needs at least two snapshots of the same profiles")
    flows = _entries_and_exits(data, listings)
    subsets = (
        [("all", data)]
        if group is None
        else sorted(data.partition_by(group, as_dict=True).items(), key=lambda kv: -kv[1].height)
    )
    rows = []
    for key, subset in subsets:
        label = key[0] if isinstance(key, tuple) else key
        repeated = subset.drop_nulls(["log_rate", "tenure_years"]).filter(
            pl.len().over("profile_id") >= 2
        )
        profiles_n = repeated["profile_id"].n_unique()
        in_group = flows if group is None else flows.filter(pl.col(group) == label)
        row = {
            "group": label,
            "profiles": subset["profile_id"].n_unique(),
            "profiles_seen_twice_or_more": profiles_n,
            "observations": repeated.height,
            "exits": None if listings is None else int(in_group["exited"].sum()),
            "absences_unverified": int(in_group["unverified"].sum()),
            "entries": int(in_group["entered"].sum()),
            "estimate": None,
            "std_error": None,
            "conf_low": None,
            "conf_high": None,
            "note": None,
        }
        if profiles_n < min_count:
            row["note"] = f"suppressed: fewer than {min_count} profiles seen twice with a rate"
        else:
            fit = feols(
                "log_rate ~ tenure_years | profile_id",
                repeated,
                vcov={"CRV1": "profile_id"},
                fixef_rm="none",
            )
            line = fit.tidy().row(0, named=True)
            row.update(
                estimate=line["estimate"],
                std_error=line["std_error"],
                conf_low=line["conf_low"],
                conf_high=line["conf_high"],
            )
        rows.append(row)
    table = pl.DataFrame(
        rows,
        schema={
            "group": pl.String,
            "profiles": pl.Int64,
            "profiles_seen_twice_or_more": pl.Int64,
            "observations": pl.Int64,
            "exits": pl.Int64,
            "absences_unverified": pl.Int64,
            "entries": pl.Int64,
            "estimate": pl.Float64,
            "std_error": pl.Float64,
            "conf_low": pl.Float64,
            "conf_high": pl.Float64,
            "note": pl.String,
        },
    )
    return table.with_columns(
        percent_per_year=(pl.col("estimate").exp() - 1) * 100,
        percent_low=(pl.col("conf_low").exp() - 1) * 100,
        percent_high=(pl.col("conf_high").exp() - 1) * 100,
    ).rename({"group": group or "group"})


def _entries_and_exits(data: pl.DataFrame, listings: pl.DataFrame | None) -> pl.DataFrame:
    """Per profile: ``absent`` (its country was crawled again after its last sighting),
    ``exited`` (absent, and a later crawl read the listing that had found it - same platform,
    country and skill filter - to its end: only then is its absence seen, not a page lost or a
    listing cut at ``max_pages``; null without crawl outcomes), ``unverified`` (absent but not
    known to have left) and ``entered`` (first seen after its country's first snapshot);
    ``verified_at`` is the first later complete crawl of its listing."""
    country_span = data.group_by("country").agg(
        first_crawl=pl.col("snapshot_date").min(), last_crawl=pl.col("snapshot_date").max()
    )
    seen = (
        data.sort("snapshot_date")
        .group_by("profile_id")
        .agg(
            pl.col("platform").last(),
            pl.col("country").last(),
            pl.col("occupation").last(),
            pl.col("query_country").last(),
            pl.col("query_skill").last(),
            first_seen=pl.col("snapshot_date").min(),
            last_seen=pl.col("snapshot_date").max(),
        )
        .join(country_span, on="country")
        .with_columns(
            absent=pl.col("last_seen") < pl.col("last_crawl"),
            entered=pl.col("first_seen") > pl.col("first_crawl"),
        )
    )
    if listings is None:
        return seen.with_columns(
            exited=pl.lit(None, pl.Boolean),
            unverified=pl.col("absent"),
            verified_at=pl.lit(None, pl.Date),
        )
    complete = listings.filter(pl.col("complete")).select(
        "platform", "query_country", "query_skill", crawled=pl.col("snapshot_date")
    )
    later = (
        seen.select("profile_id", "platform", "query_country", "query_skill", "last_seen")
        .join(complete, on=["platform", "query_country", "query_skill"], nulls_equal=True)
        .filter(pl.col("crawled") > pl.col("last_seen"))
        .group_by("profile_id")
        .agg(verified_at=pl.col("crawled").min())
    )
    return (
        seen.join(later, on="profile_id", how="left")
        .with_columns(exited=pl.col("absent") & pl.col("verified_at").is_not_null())
        .with_columns(unverified=pl.col("absent") & ~pl.col("exited"))
    )


@dataclass(frozen=True)
class TrajectoryThresholds:
    """When a career counts as steady, rising, or lost (change them to test robustness)."""

    steady_reviews_per_year: float = 4.0  # new reviews a year that count as steady work
    # log points a year (about +22%) that count as rising: clearly above the drift that tenure
    # and reviews give everyone (about 0.1-0.15 in the simulated market)
    rising_log_rate_per_year: float = 0.20
    lost_work_years: float = 0.5  # no new review for this long, after having some, is lost work


DEFAULT_WINDOW_MONTHS = 12.0
#: Columns the panel functions read; query_* tie a profile to the listing that found it.
PANEL_KEYS = (
    "profile_id",
    "platform",
    "country",
    "occupation",
    "query_country",
    "query_skill",
    "snapshot_date",
)
PANEL_OPTIONAL = ("occupation", "query_country", "query_skill")

TRAJECTORY_RULES = (
    "Classified only over at least window_months of observation (default 12; shorter spells, "
    "and absences without a verified exit, are censored and counted). "
    "sinking: left the platform (absent, and a later crawl read the listing that had found it "
    "to its end), or had reviews and "
    "won no new one for at least lost_work_years; swimming: rate rising at least "
    "rising_log_rate_per_year and at least steady_reviews_per_year new reviews a year; "
    "surviving: steady work, rate not rising that fast; struggling: the rest (little or no "
    "work). Rate growth is the profile's own OLS slope of log rate on time."
)


def career_trajectories(
    profiles: pl.LazyFrame,
    thresholds: TrajectoryThresholds | None = None,
    *,
    listings: pl.DataFrame | None = None,
    window_months: float = DEFAULT_WINDOW_MONTHS,
) -> pl.DataFrame:
    """One row per profile observed at two snapshots or more (or verified gone after one): its
    rates of work and rate growth, and its trajectory. See ``TRAJECTORY_RULES``.

    A profile that stayed is classified only when it was observed for at least
    *window_months* (default 12: long enough to see work); one observed for less is
    ``censored`` (trajectory null). A verified exit (see :func:`panel_growth`; *listings* are
    the crawl outcomes) is sinking however short its spell; an absence that is not verified is
    censored too.
    """
    profiles = profiles_input(profiles, "registration_date", "reviews", optional=PANEL_OPTIONAL)
    t = thresholds or TrajectoryThresholds()
    check_positive(window_months, "window_months")
    data = with_experience(profiles).select(*PANEL_KEYS, "reviews", "log_rate").collect()
    if data["snapshot_date"].n_unique() < 2:
        raise InputError("trajectories need at least two snapshots of the same profiles")
    flows = _entries_and_exits(data, listings).select(
        "profile_id", exited=pl.col("exited").fill_null(False), unverified="unverified"
    )
    years = (pl.col("snapshot_date") - pl.col("snapshot_date").min()).dt.total_days() / 365.25
    per_profile = (
        data.sort("snapshot_date")
        .with_columns(t=years.over("profile_id"))
        .group_by("profile_id")
        .agg(
            pl.col("country").last(),
            pl.col("occupation").last(),
            snapshots=pl.len(),
            years_observed=pl.col("t").max(),
            reviews_first=pl.col("reviews").first(),
            new_reviews=pl.col("reviews").last() - pl.col("reviews").first(),
            rate_slope=pl.cov("t", "log_rate")
            / pl.col("t").filter(pl.col("log_rate").is_not_null()).var(),
        )
        .join(flows, on="profile_id")
        .filter((pl.col("snapshots") >= 2) | pl.col("exited") | pl.col("unverified"))
    )
    per_year = pl.when(pl.col("years_observed") > 0).then(
        pl.col("new_reviews") / pl.col("years_observed")
    )
    steady = per_year >= t.steady_reviews_per_year
    rising = pl.col("rate_slope").fill_nan(None) >= t.rising_log_rate_per_year
    lost = (
        (pl.col("reviews_first") > 0)
        & (pl.col("new_reviews") == 0)
        & (pl.col("years_observed") >= t.lost_work_years)
    )
    censored = ~pl.col("exited") & (
        pl.col("unverified") | (pl.col("years_observed") * 12 < window_months)
    )
    trajectory = (
        pl.when(censored)
        .then(pl.lit(None, pl.String))
        .when(pl.col("exited") | lost)
        .then(pl.lit("sinking"))
        .when(steady & rising.fill_null(False))
        .then(pl.lit("swimming"))
        .when(steady)
        .then(pl.lit("surviving"))
        .otherwise(pl.lit("struggling"))
    )
    return per_profile.with_columns(
        new_reviews_per_year=per_year,
        trajectory=trajectory,
        censored=censored,
        window_months=pl.lit(float(window_months)),
    )


def trajectory_shares(
    trajectories: pl.DataFrame,
    *,
    by: str | Sequence[str] | None = "country",
    min_count: int = 10,
) -> pl.DataFrame:
    """Shares of the four trajectories among the classified profiles of each group (groups
    under *min_count* classified profiles are null), with ``censored`` (observed too briefly,
    or absent without a verified exit) and the ``window_months`` used."""
    check_min_count(min_count)
    trajectories = lazy_frame(trajectories, "trajectories").collect()
    group = grouping(by)
    key = [group] if group else []
    classified = pl.col("trajectory").is_not_null()
    counted = trajectories.group_by(key or pl.lit("all").alias("group")).agg(
        profiles=classified.sum().cast(pl.Int64),
        censored=(~classified).sum().cast(pl.Int64),
        window_months=pl.col("window_months").first()
        if "window_months" in trajectories.columns
        else pl.lit(None, pl.Float64),
        **{
            f"share_{name}": (pl.col("trajectory") == name).sum() / classified.sum()
            for name in ("sinking", "struggling", "surviving", "swimming")
        },
    )
    shares = [c for c in counted.columns if c.startswith("share_")]
    return counted.with_columns(
        pl.when(pl.col("profiles") >= min_count).then(pl.col(shares)).otherwise(None)
    ).sort("profiles", descending=True)
