"""Averages of draws over groups of rows, and the tidy tables and draw arrays interpretation returns.

Arrays are ``(draws, rows)``: chain and draw merged, one column per row of
the evaluated data. Averages weigh every row equally (marginaleffects'
``by``, emmeans' ``weights = "equal"`` over a reference grid).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from bayeslme.errors import DataError
from bayeslme.formula.levels import labels
from bayeslme.results.summaries import summarize_draws

__all__ = ["ROW_DIM", "average_by", "draws_array", "estimate_table", "groups_of"]

ROW_DIM = "row"
"""Dimension of the rows of an interpretation result's draws (``b1, b2, ...`` in hypotheses)."""


def groups_of(frame: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Group code of each row and one row of ``by`` values per group, in level order.

    Without ``by`` every row is in group 0 and the key table has one row
    and no columns.
    """
    missing = [column for column in by if column not in frame.columns]
    if missing:
        raise DataError(f"by: {missing} not among the evaluated columns {list(frame.columns)}")
    if not by:
        return np.zeros(len(frame), dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1))
    codes = frame.groupby(by, sort=True, observed=True, dropna=False).ngroup().to_numpy(dtype=np.int64)
    _, first = np.unique(codes, return_index=True)  # each group's first row, in group order
    return codes, frame.iloc[first][by].reset_index(drop=True)


def average_by(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Per-draw mean of ``values`` (draws, rows) over the rows of each group: (draws, groups)."""
    counts = np.bincount(codes, minlength=n_groups).astype(float)
    weights = np.zeros((values.shape[1], n_groups))
    weights[np.arange(values.shape[1]), codes] = 1.0 / counts[codes]
    return values @ weights


def _shown(keys: pd.DataFrame) -> pd.DataFrame:
    """Label columns as shown in a table: categorical values by their labels, numbers as numbers."""
    out = keys.reset_index(drop=True).copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(series.dtype):
            out[column] = labels(series).to_numpy()
    return out


def estimate_table(
    values: np.ndarray, keys: pd.DataFrame, prob: float, *, null: float | None = None
) -> pd.DataFrame:
    """Label columns, then ``mean, sd`` and the equal-tailed interval of each column of ``values``.

    With ``null``, the posterior probability that the quantity exceeds it
    (``P(>0)`` for differences, ``P(>1)`` for ratios).
    """
    summary = summarize_draws(values[None], pd.RangeIndex(values.shape[1]), prob=prob, diagnostics=False)
    table = pd.concat([_shown(keys), summary.reset_index(drop=True)], axis=1)
    if null is not None:
        table[f"P(>{null:g})"] = (values > null).mean(axis=0)
    table.attrs["prob"] = prob
    return table


def draws_array(values: np.ndarray, keys: pd.DataFrame, chains: int, name: str) -> xr.DataArray:
    """``values`` (draws, rows) as ``(chain, draw, row)``, each label column a coordinate along ``row``."""
    shown = _shown(keys)
    coords = {column: (ROW_DIM, shown[column].to_numpy()) for column in shown.columns}
    coords[ROW_DIM] = np.arange(values.shape[1])
    return xr.DataArray(
        values.reshape(chains, -1, values.shape[1]), dims=("chain", "draw", ROW_DIM), coords=coords, name=name
    )
