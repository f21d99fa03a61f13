"""Family-aware responses and offsets: ``cbind(s, f)``, ``s | trials(n)``, ``offset(...)``.

Binomial responses
------------------
Two spellings give the number of successes and of trials per row:

* ``cbind(successes, failures) ~ ...`` (lme4's ``glmer``): trials are
  ``successes + failures``; each part may be a column or arithmetic of
  columns, e.g. ``cbind(incidence, size - incidence)``;
* ``successes | trials(n) ~ ...`` (brms): ``n`` is a column or arithmetic
  of columns.

A plain 0/1 response with ``family="binomial"`` is one trial per row.

Offsets
-------
``offset(expr)`` terms of the fixed part, where ``expr`` is a column or any
expression of columns (``offset(log(exposure))``, ``offset(log(n) + 1)``,
``offset(2 * log(x))``), are removed from the fixed formula and added to the
linear predictor with a coefficient fixed at 1, e.g.
``count ~ x + offset(log(exposure)) + (1 | g)``.

Bernoulli responses
-------------------
0/1 numbers, booleans, or a column with exactly two levels (strings or a
categorical): the second level (sorted order for strings, category order
for categoricals, as R's factors) is the success coded 1, and a
:class:`UserWarning` says so.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeslme.errors import DataError, FamilyError, FormulaError
from bayeslme.families import get_family
from bayeslme.formula.evaluate import check_evaluated, evaluate_formula
from bayeslme.formula.parse import FormulaSpec
from bayeslme.formula.support import check_support, ordinal_response, rows_text
from bayeslme.formula.text import split_top_level, unquote_name

__all__ = ["Response", "evaluate_offset", "evaluate_response", "response_texts", "split_offsets"]

_NAME = r"(?:[^\W\d]|\.)[\w.]*"  # R names: letters of any script, digits, "_" and "."
_CBIND = re.compile(r"^cbind\((.*)\)$", re.S)
_TRIALS = re.compile(r"^(.*?)\|\s*trials\((.*)\)$", re.S)
_OFFSET = re.compile(r"^offset\s*\((.*)\)$", re.S)


@dataclass(frozen=True)
class Response:
    """Evaluated response of a model.

    Attributes
    ----------
    y : ndarray, shape (n,)
        Response values (successes for binomial).
    trials : ndarray or None
        Number of trials per row (binomial), else ``None``.
    success : str or None
        For a two-level Bernoulli response, the level coded 1.
    levels : tuple of str or None
        For an ordinal response, its categories in order; ``y`` holds each
        row's category number (1 for the first).
    """

    y: np.ndarray
    trials: np.ndarray | None = None
    success: str | None = None
    levels: tuple[str, ...] | None = None


def binomial_parts(response: str, formula_text: str) -> tuple[str, str, str] | None:
    """``(kind, successes, second)`` for ``cbind`` / ``trials`` responses, else None."""
    text = response.strip()
    match = _CBIND.match(text)
    if match:
        parts = [p.strip() for p in _split_comma(match.group(1))]
        if len(parts) != 2 or not all(parts):
            raise FormulaError(
                "cbind() on the left of '~' takes two arguments: cbind(successes, failures)",
                formula_text,
                0,
            )
        return "cbind", parts[0], parts[1]
    match = _TRIALS.match(text)
    if match:
        successes, n = match.group(1).strip(), match.group(2).strip()
        if not successes or not n:
            raise FormulaError("write a binomial response as 'successes | trials(n)'", formula_text, 0)
        return "trials", successes, n
    return None


def response_texts(formula: FormulaSpec) -> list[str]:
    """Expressions of the response whose columns the model reads (for column checks)."""
    parts = binomial_parts(formula.response, formula.text)
    return [formula.response] if parts is None else [parts[1], parts[2]]


def split_offsets(fixed: str) -> tuple[str, tuple[str, ...]]:
    """Remove ``offset(...)`` terms from a fixed part; return it and the offset terms.

    Raises
    ------
    FormulaError
        For an empty ``offset()``.
    """
    kept: list[str] = []
    offsets: list[str] = []
    for piece in _split_plus(fixed):
        match = _OFFSET.match(piece)
        if match is None:
            kept.append(piece)
        elif not match.group(1).strip():
            raise FormulaError(
                "offset() needs an expression: offset(column) or offset(log(column))", piece, 0
            )
        else:
            offsets.append(piece)
    return (" + ".join(kept) if kept else "1"), tuple(offsets)


def evaluate_offset(offsets: tuple[str, ...], frame: pd.DataFrame) -> np.ndarray | None:
    """Sum of the offset terms on ``frame`` (``None`` without offsets).

    Raises
    ------
    DataError
        For a missing column, or an offset that is not finite in some rows
        (``log`` of non-positive values), naming the rows.
    """
    if not offsets:
        return None
    total = np.zeros(len(frame))
    for term in offsets:
        expr = _OFFSET.match(term).group(1).strip()
        values = _evaluate_expression(expr, frame, term, check=False, what="offset")
        bad = ~np.isfinite(values)
        if bad.any():
            raise DataError(
                f"offset {term!r} is not finite in rows {rows_text(frame, bad)} (log of values <= 0?); "
                "fix or drop those rows"
            )
        total += values
    return total


def evaluate_response(formula: FormulaSpec, frame: pd.DataFrame, family: str) -> Response:
    """Evaluate and check the response of ``formula`` for ``family``.

    Parameters
    ----------
    formula : FormulaSpec
    frame : pandas.DataFrame
        Model rows (missing values already dropped); its index labels rows in
        error messages.
    family : str
        Family name.

    Returns
    -------
    Response

    Raises
    ------
    FamilyError
        A ``cbind``/``trials`` response with another family than binomial, a
        Bernoulli response other than 0/1 or two levels, a binomial response
        without trials, negative successes or more successes than trials,
        negative or non-integer counts (Poisson, negative binomial). Each
        message names the column and the first offending rows.
    """
    parts = binomial_parts(formula.response, formula.text)
    name = formula.response
    if parts is not None:
        if family != "binomial":
            raise FamilyError(
                f"response {name!r} gives successes and trials, which only family='binomial' uses; "
                f"got family={family!r}"
            )
        kind, first, second = parts
        successes = _evaluate_expression(first, frame, formula.text)
        other = _evaluate_expression(second, frame, formula.text)
        if kind == "cbind" and (other < 0).any():
            raise FamilyError(
                f"binomial response {name!r} has negative failures ({second!r}) in rows "
                f"{rows_text(frame, other < 0)}"
            )
        trials = successes + other if kind == "cbind" else other
        _check_binomial(successes, trials, first, frame)
        return Response(successes, trials)
    if family == "bernoulli":
        y, success = _bernoulli_values(frame, name, formula.text)
        return Response(y, success=success)
    if get_family(family).support == "ordinal":
        y, levels = ordinal_response(frame, name)
        return Response(y, levels=levels)
    y = _evaluate_expression(name, frame, formula.text)
    if family == "binomial":
        if not np.isin(y, (0.0, 1.0)).all():
            raise FamilyError(
                f"response {name!r} of a binomial model needs a number of trials: write "
                f"'cbind({name}, failures) ~ ...' or '{name} | trials(n) ~ ...' "
                f"(non-0/1 rows {rows_text(frame, ~np.isin(y, (0.0, 1.0)))})"
            )
        trials = np.ones_like(y)
        _check_binomial(y, trials, name, frame)
        return Response(y, trials)
    check_support(y, name, frame, family)
    return Response(y)


def _evaluate_expression(
    expr: str, frame: pd.DataFrame, formula_text: str, *, check: bool = True, what: str = "response"
) -> np.ndarray:
    """A column by name, else ``expr ~ 1`` evaluated by formulae (transforms, arithmetic)."""
    column_name = unquote_name(expr)
    if column_name in frame.columns:
        column = frame[column_name]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            raise DataError(f"{what} column {column_name!r} must be numeric, got dtype {column.dtype}")
        return column.to_numpy(dtype=float)
    text = expr if re.match(rf"^{_NAME}\(.*\)$", expr) else f"I({expr})"
    dm = evaluate_formula(f"{text} ~ 1", frame, formula_text)
    values = np.asarray(dm.response.design_matrix, dtype=float)
    values = values[:, 0] if values.ndim == 2 else values
    if check:
        check_evaluated(values, [expr], frame)
    return values


def _bernoulli_values(frame: pd.DataFrame, name: str, formula_text: str) -> tuple[np.ndarray, str | None]:
    if name not in frame.columns:
        y = _evaluate_expression(name, frame, formula_text)
        _check_binary(y, name, frame)
        return y, None
    column = frame[name]
    if pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=float), None
    if pd.api.types.is_numeric_dtype(column):
        y = column.to_numpy(dtype=float)
        _check_binary(y, name, frame)
        return y, None
    if isinstance(column.dtype, pd.CategoricalDtype):
        levels = [str(v) for v in column.cat.categories if v in set(column)]
    else:
        levels = sorted({str(v) for v in column})
    if len(levels) != 2:
        raise FamilyError(
            f"Bernoulli response {name!r} must have exactly two levels (or be 0/1); "
            f"found {len(levels)}: {levels[:6]}"
        )
    success = levels[1]
    warnings.warn(
        f"Bernoulli response {name!r} has levels {levels}; modelling P({name} == {success!r}) "
        f"(the second level is coded 1, as in R)",
        UserWarning,
        stacklevel=5,
    )
    return (column.astype(str) == success).to_numpy(dtype=float), success


def _check_binary(y: np.ndarray, name: str, frame: pd.DataFrame) -> None:
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        values = sorted(set(y[bad].tolist()))[:5]
        raise FamilyError(
            f"Bernoulli response {name!r} must be 0/1 (or two levels); found values {values} "
            f"in rows {rows_text(frame, bad)}; use family='binomial' with cbind() for counts"
        )


def _check_binomial(successes: np.ndarray, trials: np.ndarray, name: str, frame: pd.DataFrame) -> None:
    checks = (
        (successes < 0, "negative successes"),
        (trials < 0, "negative trials"),
        (successes > trials, "more successes than trials"),
        ((successes % 1 != 0) | (trials % 1 != 0), "non-integer successes or trials"),
    )
    for bad, what in checks:
        if bad.any():
            raise FamilyError(f"binomial response {name!r} has {what} in rows {rows_text(frame, bad)}")


def _split_plus(text: str) -> list[str]:
    return [p.strip() for p in _split_top(text, "+") if p.strip()]


def _split_comma(text: str) -> list[str]:
    return _split_top(text, ",")


def _split_top(text: str, separator: str) -> list[str]:
    return [piece for piece, _ in split_top_level(text, separator)]
