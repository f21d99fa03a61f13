"""Data grids for interpretation: the variables a user names at chosen values, the rest typical.

Typical values follow marginaleffects' ``datagrid``: the mean of a numeric
column, the most frequent value of a categorical, string or logical column
and of every grouping column (ties go to the first level in the fit's level
order). A column keeps its type, so a pandas ``Categorical`` stays one with
the same categories and new rows are coded exactly as the fitting rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bayeslme.errors import DataError
from bayeslme.formula.levels import column_levels, is_categorical_column, labels
from bayeslme.formula.newdata import predictor_data_columns
from bayeslme.results.view import held_as_statistics

if TYPE_CHECKING:
    from bayeslme.results.view import FitLike

__all__ = [
    "ALL",
    "base_rows",
    "datagrid",
    "grouping_columns",
    "is_categorical",
    "level_values",
    "model_columns",
    "typed",
    "typical_values",
    "value_of",
]

ALL = "all"
"""Grid value meaning every level (categorical) or an even spread over the observed range (numeric)."""

SPREAD = 25  # points of a numeric column's observed range under ALL, when it has more distinct values


def grouping_columns(fit: FitLike) -> list[str]:
    """Data columns that define the model's grouping factors (its parameters' formulas' too)."""
    designs = [fit.design, *fit.design.dpars.values()]
    return list(dict.fromkeys(c for design in designs for factor in design.factors for c in factor.columns))


def is_categorical(fit: FitLike, column: str) -> bool:
    """Whether ``column`` is read as categories (a predictor coded by levels, or a grouping column)."""
    series = fit.design.data[column]
    return (
        column in fit.design.column_levels
        or column in grouping_columns(fit)
        or is_categorical_column(series)
        or pd.api.types.is_bool_dtype(series)
    )


def _mode(series: pd.Series) -> Any:
    """The most frequent value, ties to the first in level order; returned as stored in ``series``."""
    names = labels(series)
    counts = names.value_counts(sort=False)
    order = column_levels(series)
    best = max(order, key=lambda level: (counts.get(level, 0), -order.index(level)))
    return series[names == best].iloc[0]


def model_columns(fit: FitLike) -> list[str]:
    """Data columns new rows need (the response excepted), in first-use order.

    Read from the fitting rows' columns; a model of Parquet files holds no
    rows but the few its encoder was built from, which have every column.
    """
    stats = held_as_statistics(fit.design)
    return predictor_data_columns(fit.design, None if stats is None else stats.encoder_rows)


def level_values(fit: FitLike, column: str) -> dict[str, Any]:
    """Each label of ``column`` mapped to its stored value (``"True"`` -> ``True``, ``"3"`` -> 3)."""
    series = fit.design.data[column]
    names = labels(series)
    first = ~names.duplicated().to_numpy()
    return dict(zip(names[first], series[first], strict=True))


def value_of(fit: FitLike, column: str, level: str, values: dict[str, Any] | None = None) -> Any:
    """The stored value of ``column`` whose label is ``level``; ``values``: its :func:`level_values`.

    Raises
    ------
    DataError
        No such level, naming the column's levels.
    """
    values = level_values(fit, column) if values is None else values
    if str(level) not in values:
        known = list(column_levels(fit.design.data[column]))
        raise DataError(f"column {column!r} has no level {level!r}; its levels are {known}")
    return values[str(level)]


def typical_values(fit: FitLike) -> dict[str, Any]:
    """Typical value of every column new rows need (see the module docstring)."""
    data = fit.design.data
    return {
        column: _mode(data[column]) if is_categorical(fit, column) else float(data[column].mean())
        for column in model_columns(fit)
    }


def _values(fit: FitLike, column: str, given: Any) -> list[Any]:
    series = fit.design.data[column]
    if isinstance(given, str) and given == ALL:
        if is_categorical(fit, column):
            values = level_values(fit, column)
            return [values[level] for level in column_levels(series)]
        unique = np.unique(series.to_numpy(dtype=float))
        if unique.size <= SPREAD:
            return unique.tolist()
        return np.linspace(unique[0], unique[-1], SPREAD).tolist()
    if isinstance(given, Callable):
        given = given(series)
    if isinstance(given, str) or np.ndim(given) == 0:
        return [given]
    return list(given)


def typed(fit: FitLike, column: str, values: list[Any]) -> Any:
    """Grid values with the fitting column's type (a Categorical keeps its categories)."""
    series = fit.design.data[column]
    if isinstance(series.dtype, pd.CategoricalDtype):
        return pd.Categorical(values, categories=series.cat.categories, ordered=series.cat.ordered)
    return values


def datagrid(fit: FitLike, /, **values: Any) -> pd.DataFrame:
    """Rows of every combination of the named values, other columns at typical values.

    Parameters
    ----------
    fit : Fit
        A fitted model; its fitting rows decide the typical values.
    **values
        Column name to its values: a scalar, a list, a function of the
        observed column (``Days=np.median``), or ``"all"`` (every level of a
        categorical or grouping column; the distinct values of a numeric
        column, or 25 evenly spaced values over its range when it has more).

    Returns
    -------
    pandas.DataFrame
        One row per combination, in the order the values were given, with
        every column the model reads (the response excepted).

    Raises
    ------
    DataError
        A name that is not a column the model reads (the model's columns are
        listed), or a value list that is empty.

    Examples
    --------
    >>> grid = bl.datagrid(fit, Days=[0, 5, 9])              # doctest: +SKIP
    >>> grid = bl.datagrid(fit, Days="all", Subject=["308"])  # doctest: +SKIP
    """
    typical = typical_values(fit)
    unknown = [name for name in values if name not in typical]
    if unknown:
        raise DataError(
            f"datagrid: {unknown} {'is not a column' if len(unknown) == 1 else 'are not columns'} the model "
            f"reads; its columns are {list(typical)}"
        )
    chosen = {name: _values(fit, name, given) for name, given in values.items()}
    empty = [name for name, vals in chosen.items() if not vals]
    if empty:
        raise DataError(f"datagrid: no values given for {empty}")
    combos = list(itertools.product(*chosen.values())) or [()]
    frame = pd.DataFrame({name: [combo[k] for combo in combos] for k, name in enumerate(chosen)})
    for column, value in typical.items():
        if column not in frame:
            frame[column] = [value] * len(frame)
    frame = frame[list(typical)]
    for column in typical:
        frame[column] = typed(fit, column, frame[column].tolist())
    return frame


def base_rows(fit: FitLike, grid: Mapping[str, Any] | pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """The rows to evaluate and the columns that label them.

    ``None``: the fitting rows (labelled by nothing: results average over
    them); a mapping: :func:`datagrid` of it (labelled by its keys); a data
    frame: its rows with any missing model column at its typical value
    (labelled by its own columns).
    """
    if grid is None:
        return fit.design.data[model_columns(fit)].reset_index(drop=True), []
    if isinstance(grid, Mapping):
        return datagrid(fit, **grid), list(grid)
    if not isinstance(grid, pd.DataFrame):
        raise DataError(
            f"grid must be a dict of column values or a pandas DataFrame, got {type(grid).__name__}"
        )
    if len(grid) == 0:
        raise DataError("grid has zero rows")
    named = list(grid.columns)
    frame = grid.reset_index(drop=True).copy()
    if any(column not in frame for column in model_columns(fit)):  # else no typical values needed
        for column, value in typical_values(fit).items():
            if column not in frame:
                frame[column] = typed(fit, column, [value] * len(frame))
    return frame, named
