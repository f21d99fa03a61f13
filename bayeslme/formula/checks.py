"""Checks of the data a formula is evaluated on: frame, missing and infinite values, collinearity."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeslme.errors import DataError, DroppedRowsWarning

__all__ = ["DroppedRows", "check_collinear", "check_finite", "check_frame", "drop_missing"]


@dataclass(frozen=True)
class DroppedRows:
    """Rows removed before fitting because a model column was missing.

    Attributes
    ----------
    count : int
        Number of rows dropped.
    by_column : dict
        Missing-value count per model column (only columns with any).
    """

    count: int
    by_column: dict[str, int]


def check_frame(data: pd.DataFrame) -> None:
    """Raise :class:`DataError` unless ``data`` is a non-empty DataFrame with unique column names."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise DataError("data has zero rows")
    duplicated = data.columns[data.columns.duplicated()].unique().tolist()
    if duplicated:
        raise DataError(f"data has duplicate column names: {duplicated}")


def drop_missing(data: pd.DataFrame, used: list[str]) -> tuple[pd.DataFrame, DroppedRows]:
    """Drop rows with a missing value in a model column, with a :class:`DroppedRowsWarning`."""
    missing = data[used].isna()
    by_column = {name: int(count) for name, count in missing.sum().items() if count}
    keep = ~missing.any(axis=1).to_numpy()
    dropped = DroppedRows(int((~keep).sum()), by_column)
    if not keep.any():
        raise DataError(
            f"no rows left after dropping rows with missing values (missing per column: {by_column})"
        )
    if dropped.count:
        detail = ", ".join(f"{name!r}: {count}" for name, count in by_column.items())
        warnings.warn(
            f"dropped {dropped.count} of {len(data)} rows with missing values in model columns ({detail})",
            DroppedRowsWarning,
            stacklevel=4,
        )
    return data.loc[keep], dropped


def check_finite(frame: pd.DataFrame, used: list[str], *, label: str = "column") -> None:
    """Raise :class:`DataError` naming the first numeric column with infinite values."""
    for name in used:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            bad = ~np.isfinite(column.to_numpy(dtype=float))
            if bad.any():
                rows = frame.index[bad][:5].tolist()
                raise DataError(
                    f"{label} {name!r} has {int(bad.sum())} infinite values (rows {rows}); "
                    "remove or replace them"
                )


def check_collinear(X: np.ndarray, names: tuple[str, ...]) -> None:
    """Raise :class:`DataError` naming the fixed-effect columns that are linear combinations of others."""
    if X.shape[1] == 0:
        return
    scale = np.linalg.norm(X, axis=0)
    scale[scale == 0] = 1.0
    rank = np.linalg.matrix_rank(X / scale)
    if rank == X.shape[1]:
        return
    kept: list[int] = []
    culprits: list[str] = []
    for j in range(X.shape[1]):
        if np.linalg.matrix_rank(X[:, kept + [j]] / scale[kept + [j]]) > len(kept):
            kept.append(j)
        else:
            culprits.append(_dependence(X / scale, kept, j, names))
    raise DataError(
        f"fixed-effect columns are perfectly collinear: {'; '.join(culprits)}; remove one of them "
        "from the formula"
    )


def _dependence(X: np.ndarray, kept: list[int], j: int, names: tuple[str, ...]) -> str:
    """``"'x2' = combination of ['x']"``: which earlier columns column ``j`` depends on."""
    if not np.any(X[:, j]):
        return f"{names[j]!r} is all zeros"
    coef = np.linalg.lstsq(X[:, kept], X[:, j], rcond=None)[0]
    involved = [names[k] for k, c in zip(kept, coef, strict=True) if abs(c) > 1e-8]
    return f"{names[j]!r} is a linear combination of {involved}"
