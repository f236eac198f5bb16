"""The progression slope on markets its model does not describe: bias and coverage per case.

The recovery simulation (``tests/test_recovery_simulation.py``) fits the estimator's own
data-generating process. Here each :class:`Case` draws markets that depart from it in one way
(:class:`olmstats.simulate.Misspecification`), writes each to a store exactly as a crawl of one
snapshot would (:func:`olmstats.simulate.write_snapshot_store`), and runs the production path,
``rate_progression(scan_profiles(store))``: pooled, tenure, reviews held fixed, clustered by
country with intervals by ``progression.INFERENCE_RULE``. Per case it reports, against the
true career elasticity β (``MarketParameters.tenure_elasticity``: how much one career's log
rate grows a year of tenure at equal reviews), the bias, RMSE, mean 95% interval width and
coverage, each with its Monte-Carlo standard error (MCSE), and the coverage of the
**listed gradient**: the cross-sectional gradient among the profiles the store holds, which is
what the slope estimates. It is β plus the shift the case causes in a market 50 times larger
(same seed, same draws, so the shift has almost no sampling noise), and β itself where
countries' slopes differ (the mean over countries is the target there).

Claims (``Case.expected``): with the correct model, heaped rates, country-specific variance or
slopes, and listings cut at ``max_pages`` in order of reviews, the slope recovers β with
intervals that cover it; under survivorship, cohort effects, and listings cut in order of rate
it does **not**: it estimates the listed gradient, which differs from β in a known direction.
Intervals from iid and CRV1-t errors on the same data are reported beside the production ones
(not the production path: to show what the rule's bootstrap buys).

    python -m bench.misspecification  # the study in the README, with more replications
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from olmstats.simulate import (
    MarketParameters,
    Misspecification,
    MisspecifiedMarket,
    simulate_misspecified,
    write_snapshot_store,
)

STUDY_KEY = "olmstats-misspecification-study-key"  # pseudonymises the simulated profiles
STUDY_SEED = 20_261_211
FORMULA = "log_rate ~ tenure_years + log2_reviews | country + occupation"
LARGE_SCALE = 50  # the listed gradient's market: this many times the profiles (and pages)


@dataclass(frozen=True)
class Case:
    """One way the market departs from the model, and what the slope is claimed to do there.

    ``expected``: 0 if the slope is claimed to recover the career elasticity β (bias small,
    intervals covering β), +1 or −1 if it is known to be biased up or down (it then estimates
    the listed gradient, ``target``, not β).
    """

    name: str
    misspecification: Misspecification
    expected: int
    target: str

    @property
    def claimed(self) -> bool:
        return self.expected == 0


CASES: tuple[Case, ...] = (
    Case("correct model", Misspecification(), 0, "β"),
    Case("heaping (60% at round rates)", Misspecification(heaped_share=0.6), 0, "β"),
    Case("country variance (sd 0.3-1.0)", Misspecification(country_sigma=(0.3, 1.0)), 0, "β"),
    Case("country slopes (sd 0.03)", Misspecification(country_slope_sd=0.03), 0, "β"),
    Case(
        "max_pages=2, ordered by reviews",
        Misspecification(max_pages=2, listing_order="reviews"),
        0,
        "β",
    ),
    Case(
        "survivorship (exit falls in ability)",
        Misspecification(exit_hazard=0.15, exit_ability=1.0),
        +1,
        "gradient among survivors",
    ),
    Case(
        "cohorts (later entrants −3%/year)",
        Misspecification(cohort_effect_per_year=-0.03),
        +1,
        "β + 0.03 (tenure = cohort)",
    ),
    Case(
        "max_pages=2, ordered by rate",
        Misspecification(max_pages=2, listing_order="rate"),
        -1,
        "gradient among kept profiles",
    ),
)


def case_named(name: str) -> Case:
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(name)


def _store_frame(market: MisspecifiedMarket) -> pl.DataFrame:
    """The model's variables as the store gives them (tenure from the registration date)."""
    from olmstats.progression import with_experience

    profiles = market.profiles.with_columns(
        snapshot_date=pl.lit(market.snapshot_date),
        registration_date=pl.from_epoch("registration_time", time_unit="s").dt.date(),
    )
    return with_experience(profiles.lazy()).collect()


def _point_slope(market: MisspecifiedMarket) -> float:
    from olmstats.estimation import feols

    return feols(FORMULA, _store_frame(market)).coefficient("tenure_years")


def listed_gradient(case: Case, parameters: MarketParameters, scale: int = LARGE_SCALE) -> float:
    """The cross-sectional gradient among the profiles a store of *case* would hold: β plus
    the difference between the slope on a market *scale* times larger with the case's
    misspecification (and *scale* times the pages) and the slope on the same market without
    it (same seed, same draws). β where countries' slopes differ: their mean is the target."""
    m = case.misspecification
    beta = parameters.tenure_elasticity
    if m.country_slope_sd:
        return beta
    large = parameters.with_(n_profiles=parameters.n_profiles * scale)
    shifted = simulate_misspecified(large, m.with_(page_size=m.page_size * scale))
    return beta + (_point_slope(shifted) - _point_slope(simulate_misspecified(large)))


def run_replication(
    case: Case, parameters: MarketParameters, *, reps: int | None = None
) -> dict[str, object]:
    """One market of *case*: written to a fresh store, the production slope read back, and the
    iid and CRV1-t intervals of the same model on the same rows beside it."""
    from olmstats.estimation import feols
    from olmstats.progression import prepare, rate_progression
    from olmstats.store import scan_profiles

    market = simulate_misspecified(parameters, case.misspecification)
    with tempfile.TemporaryDirectory(prefix="olm-misspec-") as store:
        write_snapshot_store(market, store, key=STUDY_KEY)
        row = rate_progression(scan_profiles(store), reps=reps).row(0, named=True)
        data = (
            prepare(scan_profiles(store))
            .collect()
            .drop_nulls(["log_rate", "tenure_years", "log2_reviews"])
        )
    result: dict[str, object] = {
        "case": case.name,
        "seed": parameters.seed,
        "registered": market.registered,
        "n_obs": row["n_obs"],
        "truncated_listings": sum(
            o == "truncated_by_max_pages" for o in market.listing_outcomes.values()
        ),
        "estimate": row["estimate"],
        "std_error": row["std_error"],
        "conf_low": row["conf_low"],
        "conf_high": row["conf_high"],
        "n_clusters": row["n_clusters"],
        "inference": row["inference"],
    }
    for label, vcov in (("iid", "iid"), ("crv1", {"CRV1": "country"})):
        line = feols(FORMULA, data, vcov=vcov).tidy().row(0, named=True)
        result[f"{label}_conf_low"] = line["conf_low"]
        result[f"{label}_conf_high"] = line["conf_high"]
    return result


@dataclass(frozen=True)
class Study:
    """Per-replication rows (``replications``) and the per-case table (``summary``)."""

    replications: pl.DataFrame
    summary: pl.DataFrame
    n_profiles: int
    reps: int | None

    def table(self) -> str:
        return format_table(self.summary)


def misspecification_study(
    cases: Sequence[Case] = CASES,
    replications: int = 100,
    *,
    seed: int = STUDY_SEED,
    n_profiles: int = 4000,
    reps: int | None = None,
    scale: int = LARGE_SCALE,
    progress: Callable[[str], None] | None = None,
) -> Study:
    """Run every case on *replications* markets of *n_profiles* registered profiles (seeds
    ``seed``, ``seed + 1``, …: the same seeds for every case, so cases differ only by their
    misspecification), with *reps* wild bootstrap draws where the inference rule uses it
    (``None``, the default: the library's 9,999, as in production)."""
    rows, truths = [], {}
    base = MarketParameters(n_profiles=n_profiles)
    for case in cases:
        truths[case.name] = listed_gradient(case, base.with_(seed=seed - 1), scale)
        for r in range(replications):
            rows.append(run_replication(case, base.with_(seed=seed + r), reps=reps))
        if progress:
            progress(f"{case.name}: {replications} replications")
    frame = pl.DataFrame(rows).with_columns(
        truth=pl.lit(base.tenure_elasticity),
        listed_gradient=pl.col("case").replace_strict(truths, return_dtype=pl.Float64),
        expected=pl.col("case").replace_strict(
            {c.name: c.expected for c in cases}, return_dtype=pl.Int64
        ),
    )
    return Study(frame, summarise(frame), n_profiles, reps)


def _covers(low: str, high: str, value: str = "truth") -> pl.Expr:
    return (pl.col(low) <= pl.col(value)) & (pl.col(value) <= pl.col(high))


def summarise(replications: pl.DataFrame) -> pl.DataFrame:
    """Per case: bias, RMSE, mean interval width and coverage (of β and of the listed
    gradient), with Monte-Carlo standard errors; iid and CRV1-t coverage of the same target."""
    error = pl.col("estimate") - pl.col("truth")
    width = pl.col("conf_high") - pl.col("conf_low")
    data = replications.with_columns(
        error=error,
        width=width,
        covered=_covers("conf_low", "conf_high"),
        covered_listed=_covers("conf_low", "conf_high", "listed_gradient"),
        covered_iid=_covers("iid_conf_low", "iid_conf_high"),
        covered_crv1=_covers("crv1_conf_low", "crv1_conf_high"),
    )
    order = {name: i for i, name in enumerate(dict.fromkeys(replications["case"]))}
    table = data.group_by("case", maintain_order=True).agg(
        replications=pl.len(),
        expected=pl.col("expected").first(),
        truth=pl.col("truth").first(),
        listed_gradient=pl.col("listed_gradient").first(),
        n_obs=pl.col("n_obs").mean(),
        truncated_listings=pl.col("truncated_listings").mean(),
        inference=pl.col("inference").mode().first(),
        mean_estimate=pl.col("estimate").mean(),
        sd_estimate=pl.col("estimate").std(),
        mean_std_error=pl.col("std_error").mean(),
        bias=pl.col("error").mean(),
        mse=(pl.col("error") ** 2).mean(),
        sd_squared_error=(pl.col("error") ** 2).std(),
        mean_width=pl.col("width").mean(),
        sd_width=pl.col("width").std(),
        coverage=pl.col("covered").mean(),
        coverage_listed=pl.col("covered_listed").mean(),
        coverage_iid=pl.col("covered_iid").mean(),
        coverage_crv1=pl.col("covered_crv1").mean(),
    )
    root = pl.col("replications").sqrt()
    return (
        table.with_columns(
            bias_mcse=pl.col("sd_estimate") / root,
            rmse=pl.col("mse").sqrt(),
            rmse_mcse=pl.col("sd_squared_error") / root / (2 * pl.col("mse").sqrt()),
            width_mcse=pl.col("sd_width") / root,
            **{
                f"{c}_mcse": (pl.col(c) * (1 - pl.col(c)) / pl.col("replications")).sqrt()
                for c in ("coverage", "coverage_listed", "coverage_iid", "coverage_crv1")
            },
            bias_over_se=pl.col("bias") / pl.col("mean_std_error"),
        )
        .drop("mse", "sd_squared_error", "sd_width")
        .sort(pl.col("case").replace_strict(order, return_dtype=pl.Int64))
    )


def nominal_coverage_mcse(replications: int, level: float = 0.95) -> float:
    """The Monte-Carlo SE of a coverage rate whose truth is *level*."""
    return math.sqrt(level * (1 - level) / replications)


def format_table(summary: pl.DataFrame) -> str:
    """The summary as a Markdown table (log points a year; MCSE in parentheses)."""

    def pair(value: float, mcse: float, digits: int) -> str:
        return f"{value:+.{digits}f} ({mcse:.{digits}f})"

    def share(value: float, mcse: float) -> str:
        return f"{value:.3f} ({mcse:.3f})"

    header = (
        "| case | claim | listed gradient | mean estimate | bias (MCSE) | bias / SE "
        "| RMSE (MCSE) | mean 95% width (MCSE) | intervals | coverage of β (MCSE) "
        "| coverage of listed gradient (MCSE) | iid coverage | CRV1-t coverage "
        "| profiles with a rate |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [header]
    for row in summary.iter_rows(named=True):
        claim = {0: "recovers β", 1: "biased up", -1: "biased down"}[row["expected"]]
        lines.append(
            "| "
            + " | ".join(
                [
                    row["case"],
                    claim,
                    f"{row['listed_gradient']:.4f}",
                    f"{row['mean_estimate']:.4f}",
                    pair(row["bias"], row["bias_mcse"], 4),
                    f"{row['bias_over_se']:+.2f}",
                    f"{row['rmse']:.4f} ({row['rmse_mcse']:.4f})",
                    f"{row['mean_width']:.4f} ({row['width_mcse']:.4f})",
                    "WCR" if row["inference"].startswith("wild") else f"CRV1 {row['inference']}",
                    share(row["coverage"], row["coverage_mcse"]),
                    share(row["coverage_listed"], row["coverage_listed_mcse"]),
                    f"{row['coverage_iid']:.3f}",
                    f"{row['coverage_crv1']:.3f}",
                    f"{row['n_obs']:,.0f}",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def truth_note(parameters: MarketParameters | None = None) -> str:
    p = parameters or MarketParameters()
    return (
        f"β = {p.tenure_elasticity} log points a year of tenure at equal reviews "
        f"({100 * math.expm1(p.tenure_elasticity):.2f}% a year); listed gradient: β plus the "
        f"case's shift on a market {LARGE_SCALE}× larger (same draws)."
    )


__all__ = [
    "CASES",
    "Case",
    "Study",
    "case_named",
    "format_table",
    "listed_gradient",
    "misspecification_study",
    "nominal_coverage_mcse",
    "run_replication",
    "summarise",
]
