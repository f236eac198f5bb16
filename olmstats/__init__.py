"""olmstats: measure online freelance labour markets.

LazyFrames in, tidy DataFrames out::

    import olmstats
    profiles = olmstats.scan_profiles("store")
    jobs = olmstats.scan_jobs("store")
    table = olmstats.country_summary(profiles, jobs, min_count=10)
"""

from olmstats.errors import InputError, OlmError, StoreError
from olmstats.schema import JOBS, PROFILES
from olmstats.store import read_runs, scan_jobs, scan_profiles

__version__ = "0.1.0"

__all__ = [
    "JOBS",
    "PROFILES",
    "InputError",
    "OlmError",
    "StoreError",
    "__version__",
    "read_runs",
    "scan_jobs",
    "scan_profiles",
]
