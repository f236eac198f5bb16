"""Loopback replays of the platforms, for the demo, the tests and the benchmarks.

The content comes from :mod:`olmstats.simulate` (plus real recorded responses); each platform's
renderer (``olmstats/platforms/<name>/replay.py``) renders rows into that platform's exact
format, and :class:`ReplayServer` serves one renderer on a loopback port.
"""

from __future__ import annotations

import importlib
from typing import Any

from olmstats.replay.server import Faults, ReplayServer, Reply


def renderer(descriptor: Any, market: Any) -> Any:
    """The replay renderer a platform's descriptor names, built for *market*."""
    module, _, attribute = descriptor.replay.partition(":")
    return getattr(importlib.import_module(module), attribute)(market)


__all__ = ["Faults", "ReplayServer", "Reply", "renderer"]
