"""Loopback replays of the platforms, for the demo, the tests and the benchmarks.

The content comes from :mod:`olmstats.simulate` (plus real recorded responses); the replay only
renders rows into each platform's exact response format.
"""

from olmstats.replay.freelancer import FreelancerReplay
from olmstats.replay.server import Faults, ReplayServer

__all__ = ["Faults", "FreelancerReplay", "ReplayServer"]
