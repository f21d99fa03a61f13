"""Parse lme4-style formula text into a :class:`FormulaSpec`.

This stage only reads text; it never looks at data. It normalises lme4's
group-term shorthands so that later stages see one canonical form:

* ``(x || g)`` becomes ``(1 | g) + (0 + x | g)`` (independent SDs, no
  correlation);
* ``(1 | a/b)`` becomes ``(1 | a) + (1 | a:b)`` (nesting as lme4 expands it);
* ``y ~ 1 | g`` (a bar outside parentheses) is ``y ~ (1 | g)``, as R reads it;
* lme4 2.0's covariance structures ``us(x | g)`` (unstructured, the default),
  ``diag(x | g)`` (independent effects), ``cs(x | g)`` (compound symmetry)
  and ``ar1(0 + t | g)`` (AR(1) over the columns of ``t``), with lme4's
  ``hom = TRUE``/``FALSE`` (one SD for all effects or one each), set the
  group term's :attr:`GroupTerm.structure` and :attr:`GroupTerm.homogeneous`
  (see :mod:`bayeslme.blocks`);
* R spellings of terms (``I(x^2)``, ``a %in% b``, ``a/b`` in the fixed part,
  ``scale(x)``) are rewritten for formulae (:mod:`bayeslme.formula.rsyntax`);
* ``within(x, g)`` and ``between(x, g)`` (group-mean centering) become
  generated columns ``x_within_g`` and ``x_between_g`` that the design stage
  computes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bayeslme.blocks import STRUCTURES
from bayeslme.errors import FormulaError
from bayeslme.formula.rescor import RescorTerm, is_rescor_call, parse_rescor_term
from bayeslme.formula.rsyntax import Spelling, expand_nesting, spelling_of, translate
from bayeslme.formula.text import check_parentheses, split_top_level, top_level_find, unquote_name

__all__ = ["STRUCTURES", "CenteringTerm", "FormulaSpec", "GroupTerm", "parse_formula", "split_top_level"]

_NAME = r"(?:[^\W\d]|\.)[\w.]*"  # R names: letters of any script, digits, "_" and "."
_CENTERING = re.compile(rf"\b(within|between)\(\s*({_NAME})\s*,\s*({_NAME})\s*\)")
_NAME_RE = re.compile(rf"^{_NAME}$")
_CALL = re.compile(rf"^({_NAME})\s*\((.*)\)$", re.DOTALL)
_FACTOR_CALL = re.compile(r"^(?:as\.)?factor\s*\((.*)\)$", re.DOTALL)


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
    structure : {"us", "diag", "cs", "ar1"}
        Covariance structure of the term's effects (see :data:`STRUCTURES`).
    homogeneous : bool
        One SD for all the term's effects (lme4's ``hom``: default ``TRUE``
        for ``ar1``, ``FALSE`` otherwise).
    """

    expr: str
    factor: str
    factor_columns: tuple[str, ...]
    structure: str = "us"
    homogeneous: bool = False


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
    spelling : Spelling
        How the formula was written, to show column names in that spelling.
    """

    text: str
    response: str
    fixed: str
    group_terms: tuple[GroupTerm, ...]
    centering: tuple[CenteringTerm, ...]
    rescor: RescorTerm | None = None
    spelling: Spelling = field(default_factory=Spelling)

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
        If the formula has no ``~``, no response, unbalanced parentheses, a
        group term without effects or without a grouping factor, or a
        construct bayeslme does not support (named, with the supported
        spelling).
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("the formula must be a non-empty string such as 'y ~ x + (1 | g)'")
    check_parentheses(text)
    tilde = top_level_find(text, "~")
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
    pieces = _rhs_pieces(rhs, text, rhs_start)
    for k, (piece, offset) in enumerate(pieces):
        stripped = piece.strip()
        position = rhs_start + offset + (len(piece) - len(piece.lstrip()))
        structure = _structure_call(stripped, text, position)
        if is_rescor_call(stripped):
            if rescor is not None:
                raise FormulaError(
                    "a formula takes at most one residual correlation term (ar() or cosy())", text, position
                )
            rescor = parse_rescor_term(stripped, text, position)
        elif structure is not None:
            name, inner, homogeneous = structure
            group_terms.extend(
                _parse_group_term(inner, text, position, structure=name, homogeneous=homogeneous)
            )
        elif _is_bar_term(stripped):
            group_terms.extend(_parse_group_term(stripped[1:-1], text, position))
        elif stripped:
            fixed_pieces.append(stripped)
        elif k == len(pieces) - 1:
            raise FormulaError("the formula ends with '+': a term is missing", text, position)
        # an empty piece elsewhere is R's unary plus (y ~ + x, y ~ a + + b): nothing to add
    fixed = " + ".join(fixed_pieces) if fixed_pieces else "1"

    centering = _collect_centering(text)
    fixed = translate(expand_nesting(_rewrite_centering(fixed)))
    group_terms = [replace(t, expr=translate(_rewrite_centering(t.expr))) for t in group_terms]
    return FormulaSpec(
        text, translate(response), fixed, tuple(group_terms), centering, rescor, spelling_of(text)
    )


def _rhs_pieces(rhs: str, text: str, rhs_start: int) -> list[tuple[str, int]]:
    """Top-level ``+`` pieces of the right-hand side.

    As in R, where ``|`` binds more loosely than ``+``, a bar outside
    parentheses makes the whole right-hand side one group term:
    ``Yield ~ 1 | Batch`` is ``Yield ~ (1 | Batch)`` (fixed part: intercept).
    """
    bar = top_level_find(rhs, "|")
    if bar < 0:
        return split_top_level(rhs, "+")
    if _has_group_term(rhs[:bar]):
        raise FormulaError(
            "a '|' outside parentheses makes everything before it the effects of one group term; "
            "put each group term in parentheses, e.g. y ~ x + (1 | g) + (1 | h)",
            text,
            rhs_start + bar,
        )
    leading = len(rhs) - len(rhs.lstrip())
    return [(f"({rhs.strip()})", leading)]


def _has_group_term(text: str) -> bool:
    return any(_is_bar_term(piece.strip()) for piece, _ in split_top_level(text, "+"))


def _is_bar_term(piece: str) -> bool:
    return piece.startswith("(") and piece.endswith(")") and top_level_find(piece[1:-1], "|") >= 0


def _structure_call(piece: str, text: str, position: int) -> tuple[str, str, bool] | None:
    """``("cs", "1 + x | g", False)`` for ``cs(1 + x | g)``; None for a piece that is no such call.

    Raises
    ------
    FormulaError
        For a call around a bar term that is not one of the supported
        covariance structures (glmmTMB's ``toep()``, ``ou()``, ``rr()``, ...),
        or an argument other than ``hom = TRUE``/``FALSE``.
    """
    match = _CALL.match(piece)
    if match is None or top_level_find(match.group(2), "|") < 0 or match.group(1) == "I":
        return None
    name = match.group(1)
    if name not in STRUCTURES:
        raise FormulaError(
            f"covariance structure {name}() is not supported; bayeslme fits "
            f"{', '.join(f'{s}()' for s in STRUCTURES)} (lme4 2.0's spellings) and plain (x | g) terms",
            text,
            position,
        )
    arguments = [part.strip() for part, _ in split_top_level(match.group(2), ",")]
    homogeneous = name == "ar1"
    for argument in arguments[1:]:
        key, _, value = (s.strip() for s in argument.partition("="))
        if key != "hom" or value not in ("TRUE", "FALSE", "True", "False") or name == "us":
            raise FormulaError(
                f"{name}() takes a group term and, for diag(), cs() and ar1(), hom = TRUE or FALSE; "
                f"cannot read {argument!r}",
                text,
                position,
            )
        homogeneous = value in ("TRUE", "True")
    return name, arguments[0], homogeneous


def _parse_group_term(
    inner: str, text: str, position: int, *, structure: str = "us", homogeneous: bool = False
) -> list[GroupTerm]:
    """Expand the inside of one ``( ... | ... )`` term into canonical group terms."""
    double = top_level_find(inner, "||")
    bar = double if double >= 0 else top_level_find(inner, "|")
    width = 2 if double >= 0 else 1
    expr = inner[:bar].strip()
    factor_text = inner[bar + width :].strip()
    if not factor_text:
        raise FormulaError(
            "group term has no grouping factor after '|', write e.g. (1 | subject)", text, position
        )
    if not expr:
        raise FormulaError("group term has no effects before '|', write e.g. (1 | subject)", text, position)
    if double >= 0 and structure != "us":
        raise FormulaError(f"write {structure}(x | g) with a single '|'", text, position)
    factors = _expand_factor(factor_text, text, position)
    exprs = _split_uncorrelated(expr) if double >= 0 else [expr]
    return [GroupTerm(e, ":".join(cols), cols, structure, homogeneous) for cols in factors for e in exprs]


def _expand_factor(factor_text: str, text: str, position: int) -> list[tuple[str, ...]]:
    """``a/b/c`` -> ``[(a,), (a, b), (a, b, c)]``; ``a:b`` -> ``[(a, b)]``.

    Names may be backquoted (`` `Animal ID` ``) or wrapped in ``factor()`` /
    ``as.factor()`` (a grouping factor is categorical anyway).
    """
    nested = [part for part, _ in split_top_level(factor_text, "/")]
    columns: list[str] = []
    factors: list[tuple[str, ...]] = []
    for part in nested:
        names = [_grouping_column(name, text, position) for name, _ in split_top_level(part, ":")]
        columns.extend(names)
        factors.append(tuple(columns))
    return factors


def _grouping_column(name: str, text: str, position: int) -> str:
    name = name.strip()
    match = _FACTOR_CALL.match(name)
    if match:
        name = match.group(1).strip()
    column = unquote_name(name)
    if column != name or _NAME_RE.match(column):
        return column
    raise FormulaError(
        f"grouping factor {name!r} is not a plain column name; combine columns "
        "with ':' (crossed levels) or '/' (nesting), or compute the column in the data first",
        text,
        position,
    )


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
