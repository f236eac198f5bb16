"""Estimation: linear models with high-dimensional fixed effects (fixest vocabulary)."""

from olmstats.estimation.feols import FeolsResult, feols
from olmstats.estimation.formula import parse as parse_formula

__all__ = ["FeolsResult", "feols", "parse_formula"]
