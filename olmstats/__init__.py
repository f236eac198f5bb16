"""olmstats: measure online freelance labour markets.

LazyFrames in, tidy DataFrames out::

    import olmstats
    profiles = olmstats.scan_profiles("store")
    jobs = olmstats.scan_jobs("store")
    table = olmstats.country_summary(profiles, jobs, min_count=10)
    fit = olmstats.feols("log_rate ~ tenure_years | country + occupation", data,
                         vcov={"CRV1": "country"})
    slopes = olmstats.progression.rate_progression(profiles, by="country")
    crowding = olmstats.competition.workers_per_job(profiles, jobs, by_country=True)
    indices = olmstats.relative_earnings(profiles, hours=2000).countries
    everything = olmstats.full_country_table(profiles, jobs).table
    gradient = olmstats.rate_income_gradient(profiles).estimates  # elasticity to GDP pc
    spread = olmstats.rate_dispersion(profiles, by="country")  # p90/p10, Gini, between share
    net = olmstats.country_summary(profiles, jobs, net_of_fees=True)  # olmstats.net_of_fee
    reviewed = olmstats.hiring_margin(profiles, by="country").table
"""

from olmstats import (
    competition,
    country_table,
    dispersion,
    earnings,
    fees,
    gradients,
    hiring,
    progression,
    reference,
)
from olmstats.country_table import full_country_table
from olmstats.dispersion import rate_dispersion
from olmstats.earnings import relative_earnings
from olmstats.errors import InputError, OlmError, StoreError
from olmstats.estimation import FeolsResult, feols
from olmstats.fees import net_of_fee
from olmstats.gradients import rate_income_gradient
from olmstats.hiring import hiring_margin
from olmstats.schema import JOBS, PROFILES
from olmstats.store import read_runs, scan_jobs, scan_profiles
from olmstats.summary import country_summary

__version__ = "0.1.0"

__all__ = [
    "JOBS",
    "PROFILES",
    "FeolsResult",
    "InputError",
    "OlmError",
    "StoreError",
    "__version__",
    "competition",
    "country_summary",
    "country_table",
    "dispersion",
    "earnings",
    "fees",
    "feols",
    "full_country_table",
    "gradients",
    "hiring",
    "hiring_margin",
    "net_of_fee",
    "progression",
    "rate_dispersion",
    "rate_income_gradient",
    "read_runs",
    "reference",
    "relative_earnings",
    "scan_jobs",
    "scan_profiles",
]
