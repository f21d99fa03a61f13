"""Checks of a model's formula and response before its spec is built (used by :class:`bayeslme.GLMM`)."""

from __future__ import annotations

import warnings

import pandas as pd

from bayeslme.errors import DataError, FormulaError
from bayeslme.families import Family
from bayeslme.formula.design import Design
from bayeslme.formula.parse import FormulaSpec
from bayeslme.formula.text import split_top_level

__all__ = ["check_group_terms", "check_response"]


def check_group_terms(formula: FormulaSpec) -> None:
    """A mixed model needs a group term (or a residual correlation term), as lme4 requires a group term."""
    if formula.group_terms or formula.rescor is not None:
        return
    bare = [
        piece.strip() for piece, _ in split_top_level(formula.fixed, "+") if piece.strip().startswith("(")
    ]
    hint = (
        f"; {bare[0]} has no '|': a group term is written (effects | factor), e.g. (1 | subject)"
        if bare
        else "; add one such as (1 | subject)"
    )
    raise FormulaError(
        f"the formula has no group terms{hint}. A model without group effects is not a mixed model "
        "(lme4 refuses it too: 'No random effects terms specified in formula')",
        formula.text,
    )


def check_response(design: Design, family: Family) -> None:
    """Refuse a non-numeric response; warn when a Gaussian model is given a boolean one."""
    response = design.formula.response
    column = design.data[response] if response in design.data.columns else None
    if column is not None and pd.api.types.is_bool_dtype(column) and family.name == "gaussian":
        warnings.warn(
            f"response {response!r} is boolean; a Gaussian model treats it as 0/1 numbers. "
            "Use GLMM(..., family='bernoulli') for a binary outcome",
            UserWarning,
            stacklevel=3,
        )
    if design.y.ndim != 1 or design.y.dtype.kind not in "fiub":
        raise DataError(f"response {response!r} must be numeric for family {family.name!r}")
