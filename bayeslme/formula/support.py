"""Checks of a response against its family's support, and the coding of ordinal responses.

Each check names the rows that fail (by the data's index labels, the first
:data:`MAX_ROWS` of them): negative or non-integer counts, non-positive
values for gamma and lognormal, values outside (0, 1) for beta, and ordinal
values that are none of the categories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.errors import FamilyError
from bayeslme.families import get_family
from bayeslme.formula.levels import column_levels, labels, positions
from bayeslme.formula.text import unquote_name

__all__ = ["MAX_ROWS", "check_support", "ordinal_codes", "ordinal_response", "rows_text"]

MAX_ROWS = 5


def check_support(y: np.ndarray, name: str, frame: pd.DataFrame, family: str) -> None:
    """Raise :class:`FamilyError` naming the rows of ``y`` outside the family's support."""
    support = get_family(family).support
    if support == "count":
        _check_counts(y, name, frame, family)
    elif support == "positive" and not (y > 0).all():
        raise FamilyError(
            f"family {family!r} needs a positive response; {name!r} is zero or negative in rows "
            f"{rows_text(frame, ~(y > 0))}"
        )
    elif support == "unit" and not ((y > 0) & (y < 1)).all():
        raise FamilyError(
            f"family {family!r} needs values strictly between 0 and 1; {name!r} is 0, 1 or outside in "
            f"rows {rows_text(frame, ~((y > 0) & (y < 1)))}. Squeeze them inside with "
            "(y * (n - 1) + 0.5) / n for n rows (Smithson & Verkuilen 2006; docs/families.md), "
            "or model the zeros and ones apart"
        )


def ordinal_response(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Category numbers of an ordinal response column and its levels in order (category order, else sorted).

    Raises
    ------
    FamilyError
        The response is not a column, or has one level.
    """
    column_name = unquote_name(name)
    if column_name not in frame.columns:
        raise FamilyError(f"an ordinal response must be a column of the data; {name!r} is not one")
    column = frame[column_name]
    levels = column_levels(column)
    if len(levels) < 2:
        raise FamilyError(
            f"ordinal response {name!r} has one level ({levels[0]!r}) in all {len(frame)} rows; "
            "an ordinal model needs at least two categories"
        )
    return ordinal_codes(column, levels, name), levels


def ordinal_codes(column: pd.Series, levels: tuple[str, ...], name: str) -> np.ndarray:
    """Category numbers (1 = the first of ``levels``) of an ordinal response column.

    Raises
    ------
    FamilyError
        A value that is none of ``levels``, naming the rows.
    """
    codes = positions(labels(column), levels)
    if (codes < 0).any():
        unknown = sorted(set(labels(column)[codes < 0]))[:5]
        raise FamilyError(
            f"ordinal response {name!r} has values {unknown} that are not among its categories "
            f"{list(levels)} (rows {rows_text(column.to_frame(), codes < 0)})"
        )
    return codes.astype(float) + 1.0


def _check_counts(y: np.ndarray, name: str, frame: pd.DataFrame, family: str) -> None:
    for bad, what in ((y < 0, "negative"), (y % 1 != 0, "non-integer")):
        if bad.any():
            values = sorted(set(y[bad].tolist()))[:5]
            raise FamilyError(
                f"{family} response {name!r} must be non-negative integer counts; {what} values "
                f"{values} in rows {rows_text(frame, bad)}"
            )


def rows_text(frame: pd.DataFrame, bad: np.ndarray) -> str:
    """The index labels of the rows where ``bad`` holds, the first :data:`MAX_ROWS` of them."""
    found = frame.index[np.asarray(bad)].tolist()
    shown = ", ".join(str(v) for v in found[:MAX_ROWS])
    more = f" and {len(found) - MAX_ROWS} more" if len(found) > MAX_ROWS else ""
    return f"[{shown}]{more}"
