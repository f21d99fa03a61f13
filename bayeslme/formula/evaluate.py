"""Evaluate formula pieces with formulae and report problems in our own terms."""

from __future__ import annotations

from typing import Any

import formulae
import numpy as np
import pandas as pd

from bayeslme.errors import DataError, FormulaError

__all__ = ["check_evaluated", "evaluate_formula"]


def evaluate_formula(text: str, frame: pd.DataFrame, original: str) -> Any:
    """Evaluate ``text`` with formulae, turning its errors into :class:`FormulaError`.

    Unknown names get a hint (``np.log`` for ``log``) and a caret in ``original``;
    invalid values are left to :func:`check_evaluated`.
    """
    try:
        # Invalid values (log of a negative, ...) are reported by _check_evaluated, by column.
        with np.errstate(all="ignore"):
            return formulae.design_matrices(text, frame, na_action="error")
    except KeyError as err:  # formulae looks up names it cannot find among columns or functions
        name = str(err.args[0]) if err.args else "?"
        hint = f"; numpy functions are written np.{name}(...)" if hasattr(np, name) else ""
        position = original.find(name)
        raise FormulaError(
            f"unknown function or variable {name!r} in the formula: it is neither a data column "
            f"nor a function formulae knows{hint}",
            original,
            position if position >= 0 else None,
        ) from err
    except Exception as err:  # formulae raises several error types while evaluating
        raise FormulaError(f"cannot evaluate {text!r} on the data: {err}", original) from err


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
