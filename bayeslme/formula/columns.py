"""Which data columns a formula reads, and names the model generates that the data must not use."""

from __future__ import annotations

import difflib
from typing import Any

import formulae
import pandas as pd

from bayeslme.errors import DataError, FormulaError
from bayeslme.formula.parse import FormulaSpec
from bayeslme.formula.response import response_texts, split_offsets
from bayeslme.formula.rfunctions import NAMESPACE

__all__ = ["check_generated_names", "direct_variables", "predictor_columns", "used_columns"]


def predictor_columns(formula: FormulaSpec, columns: Any = ()) -> list[str]:
    """Names read by the fixed part (offsets excluded) and the group-term effects.

    Names of the evaluation namespace (``log``, ``c``, ``TRUE``, ...) count only
    when they are among ``columns``.
    """
    fixed_text, _ = split_offsets(formula.fixed)
    names: list[str] = []
    for text in [fixed_text, *(term.expr for term in formula.group_terms)]:
        for name in _variables(text, formula.text, columns):
            if name not in names:
                names.append(name)
    return names


def direct_variables(formula: FormulaSpec) -> set[str]:
    """Columns entered as terms (or parts of interactions) of their own, not inside calls."""
    fixed_text, _ = split_offsets(formula.fixed)
    names: set[str] = set()
    for text in [fixed_text, *(term.expr for term in formula.group_terms)]:
        for term in formulae.model_description(text).terms:
            for component in getattr(term, "components", ()):
                if type(component).__name__ == "Variable":
                    names.add(component.name)
    return names


def used_columns(formula: FormulaSpec, data: pd.DataFrame, *, rescor: bool = True) -> list[str]:
    """Data columns the formula reads, in first-use order; unknown names raise.

    With ``rescor=False`` the time and group columns of a residual
    correlation term are left out (predictions of means do not need them).

    Raises
    ------
    DataError
        Naming the unknown column and the closest existing column names.
    """
    generated = {term.column: term for term in formula.centering}
    names: list[str] = []

    def add(name: str) -> None:
        if name and name not in names:
            names.append(name)

    fixed_text, offsets = split_offsets(formula.fixed)
    texts = [f"I({text})" for text in response_texts(formula)] + [fixed_text, *offsets]
    texts += [term.expr for term in formula.group_terms]
    for text in texts:
        for name in _variables(text, formula.text, data.columns):
            if name in generated:
                add(generated[name].variable)
                add(generated[name].group)
            else:
                add(name)
    for term in formula.group_terms:
        for name in term.factor_columns:
            add(name)
    if rescor and formula.rescor is not None:
        for name in formula.rescor.columns:
            add(name)
    for name in names:
        if name not in data.columns:
            close = difflib.get_close_matches(name, [str(c) for c in data.columns], n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise DataError(f"column {name!r} used in the formula is not in the data{hint}")
    return names


def _variables(text: str, original: str, columns: Any = ()) -> list[str]:
    """Names a formula text reads from the data (functions of the namespace excluded)."""
    try:
        description = formulae.model_description(text)
    except Exception as err:  # formulae raises several parser error types
        raise FormulaError(f"cannot parse {text!r}: {err}", original) from err
    known = set(columns)
    return sorted(name for name in description.var_names if name and (name in known or name not in NAMESPACE))


def check_generated_names(formula: FormulaSpec, data: pd.DataFrame, used: list[str]) -> None:
    """Columns whose names clash with a name the model creates."""
    for term in formula.centering:
        if term.column in data.columns:
            raise DataError(
                f"the data already have a column {term.column!r}, the name {term.kind}({term.variable}, "
                f"{term.group}) generates; rename that column"
            )
    if "Intercept" in used and "Intercept" in predictor_columns(formula, data.columns):
        raise DataError(
            "a predictor column is named 'Intercept', the name of the model's intercept; rename the "
            "column (e.g. data.rename(columns={'Intercept': 'intercept_value'}))"
        )
