"""Evaluate a fitted :class:`~bayeslme.formula.design.Design` on new rows.

The fixed-effects matrix and each factor's ``Z`` columns are rebuilt with the
formulae state stored in the design, so that categorical codings, spline
bases and group-mean centering match the fitted data exactly. Grouping levels
are matched by label; a level absent from the fitted data gets index ``-1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import formulae
import numpy as np
import pandas as pd

from bayeslme.errors import DataError
from bayeslme.formula.centering import add_centering_columns
from bayeslme.formula.design import Design, check_finite, encode_predictors, used_columns
from bayeslme.formula.evaluate import evaluate_new, formula_response
from bayeslme.formula.factors import factor_index
from bayeslme.formula.levels import factor_labels
from bayeslme.formula.response import binomial_parts, evaluate_offset, split_offsets
from bayeslme.formula.support import ordinal_codes

__all__ = ["NewData", "NewFactor", "build_new_data", "predictor_data_columns"]


@dataclass(frozen=True)
class NewFactor:
    """One grouping factor evaluated on new rows.

    Attributes
    ----------
    name : str
        Factor name.
    labels : tuple of str
        Level label of each row.
    index : ndarray of int, shape (n,)
        Index into the fitted levels; ``-1`` where the level was not fitted.
    Z : ndarray, shape (n, n_effects)
        Values multiplying the factor's group effects.
    """

    name: str
    labels: tuple[str, ...]
    index: np.ndarray
    Z: np.ndarray

    @property
    def unseen(self) -> tuple[str, ...]:
        """Labels of the levels absent from the fitted data, in order of appearance."""
        return tuple(dict.fromkeys(label for label, i in zip(self.labels, self.index, strict=True) if i < 0))


@dataclass(frozen=True)
class NewData:
    """Fixed-effects matrix and group designs of new rows.

    Attributes
    ----------
    X : ndarray, shape (n, n_fixed)
    factors : tuple of NewFactor
        In the order of the fitted design's factors.
    row_labels : pandas.Index
        Index of the new data frame (labels of the rows).
    y : ndarray or None
        Response values when the new data contain the response column.
    offset : ndarray or None
        Sum of the formula's ``offset()`` terms on the new rows.
    trials : ndarray or None
        Binomial trials per row, when the new data have the columns that give them.
    """

    X: np.ndarray
    factors: tuple[NewFactor, ...]
    row_labels: pd.Index
    y: np.ndarray | None = None
    offset: np.ndarray | None = None
    trials: np.ndarray | None = None

    @property
    def n_obs(self) -> int:
        """Number of new rows."""
        return int(self.X.shape[0])


def build_new_data(design: Design, data: pd.DataFrame, *, require_response: bool = False) -> NewData:
    """Evaluate the fitted formula on ``data``.

    Parameters
    ----------
    design : Design
        The design of the fit.
    data : pandas.DataFrame
        New rows. The response column is optional unless ``require_response``.
    require_response : bool
        Raise when the response cannot be evaluated on ``data``.

    Returns
    -------
    NewData

    Raises
    ------
    DataError
        Not a DataFrame, no rows, a predictor column missing or with missing
        values.
    UnseenLevelsError
        A level of a categorical fixed-effect predictor absent from the
        fitted data.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"newdata must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise DataError("newdata has zero rows; pass at least one row to predict")
    formula = design.formula
    response_vars = _response_variables(formula.fixed_formula)
    columns = _predictor_columns(design, data, response_vars)
    _check_missing(data, columns)
    frame, _ = add_centering_columns(data, formula.centering, design.centering)
    frame, _ = encode_predictors(formula, frame, design.column_levels)
    if design.fixed_matrix is None:
        X = np.zeros((len(frame), 0))
    else:
        X = evaluate_new(design.fixed_matrix, frame)
        X = X[:, 1:] if design.intercept_dropped else X
    factors = _new_factors(design, frame)
    y = None
    has_response = all(name in data.columns for name in response_vars)
    if has_response and not data[list(response_vars)].isna().any().any():
        if design.response_levels is not None:  # ordinal: category numbers against the fit's categories
            y = ordinal_codes(frame[formula.response], design.response_levels, formula.response)
        else:
            y = formula_response(formula.fixed_formula, frame)
    elif require_response:
        raise DataError(f"newdata must contain the response {formula.response!r} without missing values")
    _, offsets = split_offsets(formula.fixed)
    offset = evaluate_offset(offsets, frame)
    return NewData(
        X=X, factors=factors, row_labels=data.index, y=y, offset=offset, trials=_trials(formula, frame)
    )


def predictor_data_columns(design: Design, data: pd.DataFrame | None = None) -> list[str]:
    """Data columns new rows need (every column the formula reads but the response), in first-use order.

    Grouping columns and the columns of ``scale()``/centring terms count, and
    those of the parameters' formulas (:attr:`Design.dpars`); a column read
    only by the response does not. ``data`` defaults to the fitting rows.
    """
    frame = design.data if data is None else data
    columns = _predictor_columns(design, frame, _response_variables(design.formula.fixed_formula))
    for part in design.dpars.values():  # the parameters' formulas' columns (sigma ~ arm: arm)
        columns += [c for c in predictor_data_columns(part, data) if c not in columns]
    return columns


def _trials(formula, frame: pd.DataFrame) -> np.ndarray | None:
    """Binomial trials of new rows when their columns are present, else None."""
    parts = binomial_parts(formula.response, formula.text)
    if parts is None:
        return None
    kind, successes, second = parts
    needed = [second] if kind == "trials" else [successes, second]
    if not all(name in frame.columns for name in needed):
        return None
    values = [pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float) for name in needed]
    return values[0] if kind == "trials" else values[0] + values[1]


def _response_variables(fixed_formula: str) -> tuple[str, ...]:
    response = formulae.model_description(fixed_formula).response
    return tuple(sorted(name for name in response.var_names if name)) if response is not None else ()


def _predictor_columns(design: Design, data: pd.DataFrame, response_vars: tuple[str, ...]) -> list[str]:
    # used_columns also requires the response; lend it dummy values, then leave it out.
    filled = data.assign(**{name: 0.0 for name in response_vars if name not in data.columns})
    names = used_columns(design.formula, filled, rescor=False)
    rhs = set(_rhs_variables(design))
    return [name for name in names if name not in response_vars or name in rhs]


def _rhs_variables(design: Design) -> list[str]:
    texts = [design.formula.fixed] + [t.expr for t in design.formula.group_terms]
    names: list[str] = []
    for text in texts:
        names += [n for n in formulae.model_description(text).var_names if n]
    return names


def _check_missing(data: pd.DataFrame, columns: list[str]) -> None:
    counts = data[columns].isna().sum()
    bad = {name: int(count) for name, count in counts.items() if count}
    if bad:
        detail = ", ".join(f"{name!r} ({count} rows)" for name, count in bad.items())
        raise DataError(f"newdata has missing values in predictor columns: {detail}; fill or drop those rows")
    check_finite(data, columns, label="newdata column")


def _new_factors(design: Design, frame: pd.DataFrame) -> tuple[NewFactor, ...]:
    out = []
    for factor in design.factors:
        parts = [evaluate_new(design.term_matrices[k], frame) for k in factor.terms]
        labels = factor_labels(frame, factor.columns)
        index = factor_index(frame, factor.columns, factor.levels)
        out.append(NewFactor(factor.name, tuple(labels.tolist()), index, np.column_stack(parts)))
    return tuple(out)
