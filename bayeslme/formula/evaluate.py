"""Evaluate formula pieces with formulae and report problems in our own terms."""

from __future__ import annotations

from typing import Any

import formulae
import numpy as np
import pandas as pd

from bayeslme.errors import DataError, FormulaError
from bayeslme.formula.rfunctions import NAMESPACE

__all__ = ["check_evaluated", "evaluate_formula", "evaluate_new", "formula_response"]

_HINTS = {
    "interaction": "write a:b for the interaction of two factors",
    "relevel": "set the reference level with a pandas Categorical whose first category is the reference",
}


def evaluate_formula(text: str, frame: pd.DataFrame, original: str) -> Any:
    """Evaluate ``text`` with formulae, turning its errors into :class:`FormulaError`.

    Terms see the data's columns, formulae's transforms and the R functions of
    :mod:`bayeslme.formula.rfunctions`. Unknown names get a hint and a caret
    in ``original``; invalid values are left to :func:`check_evaluated`.
    """
    try:
        # Invalid values (log of a negative, ...) are reported by _check_evaluated, by column.
        with np.errstate(all="ignore"):
            return formulae.design_matrices(text, frame, na_action="error", extra_namespace=NAMESPACE)
    except KeyError as err:  # formulae looks up names it cannot find among columns or functions
        name = str(err.args[0]) if err.args else "?"
        hint = f"; {_HINTS[name]}" if name in _HINTS else ""
        position = original.find(name)
        raise FormulaError(
            f"unknown function or variable {name!r} in the formula: it is neither a data column "
            f"nor a function formulae knows{hint}",
            original,
            position if position >= 0 else None,
        ) from err
    except Exception as err:  # formulae raises several error types while evaluating
        raise FormulaError(f"cannot evaluate {text!r} on the data: {err}", original) from err


def evaluate_new(matrix: Any, frame: pd.DataFrame) -> np.ndarray:
    """A fitted formulae design matrix evaluated on new rows (its transforms keep their fitted state).

    Raises
    ------
    DataError
        When formulae cannot evaluate the terms on ``frame``.
    """
    try:
        with np.errstate(all="ignore"):
            return np.asarray(matrix.evaluate_new_data(frame).design_matrix, dtype=float)
    except Exception as err:  # formulae raises several error types on bad new data
        raise DataError(f"cannot evaluate the model formula on newdata: {err}") from err


def formula_response(formula: str, frame: pd.DataFrame) -> np.ndarray | None:
    """The response of ``formula`` on ``frame``, or None when it cannot be evaluated there."""
    try:
        with np.errstate(all="ignore"):
            dm = formulae.design_matrices(formula, frame, na_action="error", extra_namespace=NAMESPACE)
    except Exception:  # the response is optional for prediction
        return None
    y = np.asarray(dm.response.design_matrix, dtype=float)
    return y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y


def check_evaluated(values: np.ndarray, names: list[str], frame: pd.DataFrame) -> None:
    """Raise if a transformed column (``np.log(y)``, ...) produced NaN or infinite values."""
    matrix = values.reshape(values.shape[0], -1)
    bad = ~np.isfinite(matrix)
    for j in np.flatnonzero(bad.any(axis=0)):
        name = names[j] if len(names) == matrix.shape[1] else names[0]
        rows = frame.index[bad[:, j]][:5].tolist()
        raise DataError(
            f"{name!r} evaluates to NaN or infinite values in {int(bad[:, j].sum())} rows (rows {rows}); "
            "check the transformation's domain (e.g. log of values <= 0)"
        )
