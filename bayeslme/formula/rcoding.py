"""How many columns R's model.matrix would give a term list, to say where our coding differs.

formulae codes every term full rank. R codes a factor of a term by all its
indicators when the term without that factor is absent from the formula
(the intercept counts as the empty term), else by contrasts. For ``a:b``
without ``a`` and ``b`` beside an intercept, R therefore gives one column per
level combination plus the intercept, one more than the rank. lme4 drops
such columns from the fixed part, so fixed effects agree; in a group term
``(a:b | g)`` lme4 keeps them, and its covariance matrix is one row larger
than ours. :func:`coding_note` says so for the model's printout.
"""

from __future__ import annotations

import formulae
import pandas as pd

__all__ = ["coding_note", "r_column_count"]


def r_column_count(expr: str, frame: pd.DataFrame) -> int | None:
    """Columns R's ``model.matrix`` gives ``expr`` on ``frame``; None when a term is not plain columns."""
    try:
        description = formulae.model_description(expr)
    except Exception:  # formulae raises several parser error types; then we cannot tell
        return None
    terms: list[frozenset[str]] = []
    intercept = False
    for term in description.terms:
        name = type(term).__name__
        if name == "Intercept":
            intercept = True
            continue
        components = getattr(term, "components", None)
        if name != "Term" or not components or any(type(c).__name__ != "Variable" for c in components):
            return None
        terms.append(frozenset(c.name for c in components))
    present = set(terms) | ({frozenset()} if intercept else set())
    total = int(intercept)
    for term in terms:
        count = 1
        for variable in term:
            levels = _n_levels(frame, variable)
            if levels is None:
                return None
            if levels:
                count *= levels if (term - {variable}) not in present else levels - 1
        total += count
    return total


def _n_levels(frame: pd.DataFrame, column: str) -> int | None:
    """Number of levels of a categorical column, 0 for a numeric one, None if unknown."""
    if column not in frame.columns:
        return None
    series = frame[column]
    if isinstance(series.dtype, pd.CategoricalDtype):
        return len(series.cat.categories)
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return 0
    return int(series.nunique())


def coding_note(expr: str, factor: str, n_effects: int, frame: pd.DataFrame) -> str | None:
    """A note when R would code the group term ``(expr | factor)`` with more columns than we do."""
    count = r_column_count(expr, frame)
    if count is None or count <= n_effects:
        return None
    return (
        f"({expr} | {factor}) is coded full rank with {n_effects} effects; lme4 codes it with {count} "
        "(an indicator per level combination beside the intercept, rank-deficient)"
    )
