"""fixest-style formulas: ``"y ~ x1 + log1p(x2) + i(band) | fe1 + fe2"``.

Left of ``~`` one outcome; right of it regressors, then optionally ``|`` and fixed effects.
A term is a column name, a transformed column (``log``, ``log1p``, ``log2``, ``sqrt``, ``exp``)
or ``i(col)`` / ``i(col, ref=level)``: one dummy per level of ``col`` except the reference (the
first level in sorted order unless ``ref`` is given). ``1`` or ``0`` on the right keeps or
drops the intercept of a model without fixed effects (kept by default; models with fixed effects
have none). Interactions are not supported yet and say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from olmstats.errors import InputError

FUNCTIONS = {
    "log": lambda e: e.log(),
    "log1p": lambda e: e.log1p(),
    "log2": lambda e: e.log(2),
    "sqrt": lambda e: e.sqrt(),
    "exp": lambda e: e.exp(),
}
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_FUNCTION_TERM = re.compile(rf"^({_NAME})\(\s*({_NAME})\s*\)$")
_FACTOR_TERM = re.compile(rf"^i\(\s*({_NAME})\s*(?:,\s*ref\s*=\s*(.+?)\s*)?\)$")


@dataclass(frozen=True)
class Term:
    """One right-hand-side term: a numeric column (maybe transformed) or a factor."""

    text: str
    column: str
    function: str | None = None
    factor: bool = False
    reference: str | None = None

    def expression(self) -> pl.Expr:
        expr = pl.col(self.column).cast(pl.Float64)
        return FUNCTIONS[self.function](expr) if self.function else expr


@dataclass(frozen=True)
class Formula:
    text: str
    outcome: Term
    terms: tuple[Term, ...]
    fixed_effects: tuple[str, ...]
    intercept: bool

    @property
    def columns(self) -> list[str]:
        """Every data column the formula reads."""
        names = [self.outcome.column, *(t.column for t in self.terms), *self.fixed_effects]
        return list(dict.fromkeys(names))


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise InputError(f"formula has an unmatched ')': {text!r}")
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth:
        raise InputError(f"formula has an unmatched '(': {text!r}")
    parts.append("".join(current))
    return [p.strip() for p in parts]


def parse_term(text: str) -> Term:
    if not text:
        raise InputError("formula has an empty term (two '+' in a row?)")
    if ":" in text or "*" in text:
        raise InputError(f"interactions are not supported yet: {text!r}")
    if re.fullmatch(_NAME, text):
        return Term(text, text)
    factor = _FACTOR_TERM.match(text)
    if factor:
        reference = factor.group(2)
        if reference is not None:
            reference = reference.strip().strip("'\"")
        return Term(text, factor.group(1), factor=True, reference=reference)
    function = _FUNCTION_TERM.match(text)
    if function:
        if function.group(1) not in FUNCTIONS:
            raise InputError(
                f"unknown function {function.group(1)!r} in {text!r}: "
                f"use one of {', '.join(FUNCTIONS)} or i(column)"
            )
        return Term(text, function.group(2), function=function.group(1))
    raise InputError(f"cannot read the term {text!r}: use a column, f(column) or i(column)")


def parse(formula: str) -> Formula:
    """Parse *formula*; raise InputError naming the problem."""
    if formula.count("~") != 1:
        raise InputError(f"formula needs exactly one '~': {formula!r}")
    left, right = (p.strip() for p in formula.split("~"))
    if not left:
        raise InputError(f"formula has no outcome before '~': {formula!r}")
    sides = _split_top(right, "|")
    if len(sides) > 2:
        raise InputError(f"formula has more than one '|': {formula!r}")
    outcome = parse_term(left)
    if outcome.factor:
        raise InputError("the outcome cannot be a factor i(...)")
    intercept = True
    terms = []
    for text in _split_top(sides[0], "+"):
        if text in ("0", "-1"):
            intercept = False
        elif text == "1":
            intercept = True
        else:
            terms.append(parse_term(text))
    fixed_effects: tuple[str, ...] = ()
    if len(sides) == 2:
        fixed_effects = tuple(_split_top(sides[1], "+"))
        for name in fixed_effects:
            if not re.fullmatch(_NAME, name):
                raise InputError(f"fixed effects must be column names, got {name!r}")
        intercept = False
    if not terms:
        raise InputError(f"formula has no regressor after '~': {formula!r}")
    return Formula(formula, outcome, tuple(terms), fixed_effects, intercept)
