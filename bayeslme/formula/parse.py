"""Parse lme4-style formula text into a :class:`FormulaSpec`.

This stage only reads text; it never looks at data. It normalises lme4's
group-term shorthands so that later stages see one canonical form:

* ``(x || g)`` becomes ``(1 | g) + (0 + x | g)`` (independent SDs, no
  correlation);
* ``(1 | a/b)`` becomes ``(1 | a) + (1 | a:b)`` (nesting as lme4 expands it);
* ``within(x, g)`` and ``between(x, g)`` (group-mean centering) become
  generated columns ``x_within_g`` and ``x_between_g`` that the design stage
  computes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bayeslme.errors import FormulaError
from bayeslme.formula.rescor import RescorTerm, is_rescor_call, parse_rescor_term

__all__ = ["CenteringTerm", "FormulaSpec", "GroupTerm", "parse_formula"]

_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_CENTERING = re.compile(rf"\b(within|between)\(\s*({_NAME})\s*,\s*({_NAME})\s*\)")
_NAME_RE = re.compile(rf"^{_NAME}$")


@dataclass(frozen=True)
class GroupTerm:
    """One group term ``(expr | factor)`` after normalisation.

    Attributes
    ----------
    expr : str
        The effects expression in formulae syntax, e.g. ``"1 + Days"``.
    factor : str
        Name of the grouping factor, e.g. ``"Subject"`` or ``"school:class"``.
    factor_columns : tuple of str
        Data columns whose combination defines the factor's levels.
    """

    expr: str
    factor: str
    factor_columns: tuple[str, ...]


@dataclass(frozen=True)
class CenteringTerm:
    """A group-mean centering call ``within(x, g)`` or ``between(x, g)``.

    Attributes
    ----------
    kind : {"within", "between"}
        ``within`` is ``x`` minus its group mean; ``between`` is the group mean.
    variable, group : str
        Column names of the predictor and of the grouping factor.
    column : str
        Name of the generated column that replaces the call in the formula.
    """

    kind: str
    variable: str
    group: str
    column: str


@dataclass(frozen=True)
class FormulaSpec:
    """A parsed mixed-model formula.

    Attributes
    ----------
    text : str
        The formula as the user wrote it.
    response : str
        Left-hand side text (a column, a transform, or a family-specific form
        such as ``cbind(s, f)``).
    fixed : str
        Right-hand side of the fixed (population-level) part, formulae syntax.
    group_terms : tuple of GroupTerm
        Normalised group terms, in formula order.
    centering : tuple of CenteringTerm
        Group-mean centering calls found anywhere in the formula.
    rescor : RescorTerm or None
        The residual correlation term ``ar(...)`` or ``cosy(...)``, if any
        (see :mod:`bayeslme.formula.rescor`).
    """

    text: str
    response: str
    fixed: str
    group_terms: tuple[GroupTerm, ...]
    centering: tuple[CenteringTerm, ...]
    rescor: RescorTerm | None = None

    @property
    def fixed_formula(self) -> str:
        """The fixed part as a formulae formula ``response ~ fixed``."""
        return f"{self.response} ~ {self.fixed}"


def parse_formula(text: str) -> FormulaSpec:
    """Parse an lme4-style formula.

    Parameters
    ----------
    text : str
        For example ``"Reaction ~ Days + (Days | Subject)"``.

    Returns
    -------
    FormulaSpec

    Raises
    ------
    FormulaError
        If the formula has no ``~``, no response, unbalanced parentheses, or a
        group term without effects or without a grouping factor.
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("the formula must be a non-empty string such as 'y ~ x + (1 | g)'")
    _check_parentheses(text)
    tilde = _top_level_find(text, "~")
    if tilde < 0:
        raise FormulaError("the formula has no '~' separating response and predictors", text)
    response = text[:tilde].strip()
    if not response:
        raise FormulaError("the formula has no response on the left of '~'", text, 0)
    rhs_start = tilde + 1
    rhs = text[rhs_start:]
    if not rhs.strip():
        raise FormulaError("the formula has nothing on the right of '~'", text, tilde)

    fixed_pieces: list[str] = []
    group_terms: list[GroupTerm] = []
    rescor: RescorTerm | None = None
    for piece, offset in split_top_level(rhs, "+"):
        stripped = piece.strip()
        position = rhs_start + offset + (len(piece) - len(piece.lstrip()))
        if is_rescor_call(stripped):
            if rescor is not None:
                raise FormulaError(
                    "a formula takes at most one residual correlation term (ar() or cosy())", text, position
                )
            rescor = parse_rescor_term(stripped, text, position)
        elif (
            stripped.startswith("(") and stripped.endswith(")") and _top_level_find(stripped[1:-1], "|") >= 0
        ):
            group_terms.extend(_parse_group_term(stripped[1:-1], text, position))
        elif stripped:
            fixed_pieces.append(stripped)
        else:
            raise FormulaError("empty term between '+' signs", text, position)
    fixed = " + ".join(fixed_pieces) if fixed_pieces else "1"

    centering = _collect_centering(text)
    fixed = _rewrite_centering(fixed)
    group_terms = [GroupTerm(_rewrite_centering(t.expr), t.factor, t.factor_columns) for t in group_terms]
    return FormulaSpec(text, response, fixed, tuple(group_terms), centering, rescor)


def _parse_group_term(inner: str, text: str, position: int) -> list[GroupTerm]:
    """Expand the inside of one ``( ... | ... )`` term into canonical group terms."""
    double = _top_level_find(inner, "||")
    bar = double if double >= 0 else _top_level_find(inner, "|")
    width = 2 if double >= 0 else 1
    expr = inner[:bar].strip()
    factor_text = inner[bar + width :].strip()
    if not factor_text:
        raise FormulaError(
            "group term has no grouping factor after '|', write e.g. (1 | subject)", text, position
        )
    if not expr:
        raise FormulaError("group term has no effects before '|', write e.g. (1 | subject)", text, position)
    factors = _expand_factor(factor_text, text, position)
    exprs = _split_uncorrelated(expr) if double >= 0 else [expr]
    return [GroupTerm(e, ":".join(cols), cols) for cols in factors for e in exprs]


def _expand_factor(factor_text: str, text: str, position: int) -> list[tuple[str, ...]]:
    """``a/b/c`` -> ``[(a,), (a, b), (a, b, c)]``; ``a:b`` -> ``[(a, b)]``."""
    nested = [part.strip() for part in factor_text.split("/")]
    columns: list[str] = []
    factors: list[tuple[str, ...]] = []
    for part in nested:
        names = [name.strip() for name in part.split(":")]
        for name in names:
            if not _NAME_RE.match(name):
                raise FormulaError(
                    f"grouping factor {name!r} is not a plain column name; combine columns "
                    "with ':' (crossed levels) or '/' (nesting)",
                    text,
                    position,
                )
        columns.extend(names)
        factors.append(tuple(columns))
    return factors


def _split_uncorrelated(expr: str) -> list[str]:
    """Split ``1 + x + z`` of an ``||`` term into independent single terms."""
    pieces = [p.strip() for p, _ in split_top_level(expr, "+")]
    no_intercept = any(p in ("0", "-1") for p in pieces) or any(
        p.endswith("- 1") or p.endswith("-1") for p in pieces
    )
    effects = [p for p in pieces if p not in ("0", "1", "-1")]
    terms = [] if no_intercept else ["1"]
    terms.extend(f"0 + {p}" for p in effects)
    return terms


def _collect_centering(text: str) -> tuple[CenteringTerm, ...]:
    seen: dict[str, CenteringTerm] = {}
    for match in _CENTERING.finditer(text):
        kind, variable, group = match.groups()
        column = f"{variable}_{kind}_{group}"
        seen.setdefault(column, CenteringTerm(kind, variable, group, column))
    return tuple(seen.values())


def _rewrite_centering(expr: str) -> str:
    return _CENTERING.sub(lambda m: f"{m.group(2)}_{m.group(1)}_{m.group(3)}", expr)


def _check_parentheses(text: str) -> None:
    depth = 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise FormulaError("unmatched ')' in formula", text, i)
    if depth:
        raise FormulaError("unclosed '(' in formula", text, text.rfind("("))


def _top_level_find(text: str, token: str) -> int:
    """Index of the first ``token`` outside parentheses, or -1."""
    depth = 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and text.startswith(token, i):
            return i
    return -1


def split_top_level(text: str, separator: str) -> list[tuple[str, int]]:
    """Split on ``separator`` outside parentheses; return pieces and their offsets."""
    pieces: list[tuple[str, int]] = []
    depth, start = 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char == separator:
            pieces.append((text[start:i], start))
            start = i + 1
    pieces.append((text[start:], start))
    return pieces
