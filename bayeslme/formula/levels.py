"""Level labels and level order of categorical columns and grouping factors.

One rule decides the levels of every categorical quantity, as R, patsy and
statsmodels users expect:

* a pandas ``Categorical`` (ordered or not) keeps its category order, without
  the categories absent from the data (R drops unused levels);
* anything else is sorted: numbers numerically, strings by code point (R in the
  C locale, patsy, formulae; R in other locales may order mixed-case labels
  differently: use a ``Categorical`` to fix an order).

The first level is the reference level of a fixed-effect factor (treatment
coding). Labels are strings; integer-valued floats are written without a
decimal point, so that subject ``308`` is ``"308"`` whether read as int or
float.

A fit's levels are decided once, from the fitting data, and stored in its
:class:`~bayeslme.spec.ModelSpec`; new data and loaded fits are encoded
against them (:class:`Levels`), never re-derived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "Levels",
    "column_levels",
    "encode_categorical",
    "factor_labels",
    "is_categorical_column",
    "labels",
    "positions",
    "sorted_levels",
]


@dataclass(frozen=True)
class Levels:
    """Level order decided at fit time.

    Attributes
    ----------
    factors : mapping of str to tuple of str
        Levels of each grouping factor, by factor name.
    columns : mapping of str to tuple of str
        Levels of each categorical data column read by the fixed or group-effect
        part of the formula, by column name.
    """

    factors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def is_categorical_column(series: pd.Series) -> bool:
    """Whether a column is read as categories: categorical, string or object dtype."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return True
    return pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)


def labels(series: pd.Series) -> pd.Series:
    """String label of each value of ``series`` (see the module docstring)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = _value_labels(pd.Series(series.cat.categories))
        codes = series.cat.codes.to_numpy()
        out = np.asarray(categories.to_numpy(dtype=object), dtype=object)[codes]
        return pd.Series(out, index=series.index, dtype=object)
    return _value_labels(series)


def _value_labels(series: pd.Series) -> pd.Series:
    """Each value's label, decided by the value alone (never by the other values in the frame).

    Floats as R's ``as.character`` writes them (15 significant digits: 1 is
    ``"1"``, 0.5 is ``"0.5"``); datetimes as their date when the time is
    midnight, else date and time. A label that depended on the rest of the
    column would change between the fitting data and a subset of it.
    """
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return pd.Series([f"{v:.15g}" for v in values], index=series.index, dtype=object)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        midnight = series.dt.normalize() == series
        dates = series.dt.strftime("%Y-%m-%d")
        full = series.astype(str)
        return pd.Series(np.where(midnight, dates, full), index=series.index, dtype=object)
    return series.astype(str).astype(object)


def factor_labels(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Labels of a (possibly interacted, ``a:b``) grouping factor, one per row."""
    parts = [labels(frame[column]) for column in columns]
    out = parts[0]
    for part in parts[1:]:
        out = out + ":" + part
    return out


def _sort_key(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return pd.Series(series.cat.codes.to_numpy(), index=series.index)
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    return labels(series)


def sorted_levels(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[str, ...]:
    """Levels of a grouping factor present in ``frame``, in the order of the module docstring.

    Combinations ``a:b`` are ordered by ``a``'s order, then ``b``'s.
    """
    keys = pd.DataFrame({f"k{i}": _sort_key(frame[c]) for i, c in enumerate(columns)})
    keys["label"] = factor_labels(frame, columns)
    keys = keys.drop_duplicates("label").sort_values([f"k{i}" for i in range(len(columns))], kind="stable")
    return tuple(keys["label"].tolist())


def column_levels(series: pd.Series) -> tuple[str, ...]:
    """Levels of one categorical column present in ``series`` (category order, else sorted)."""
    return sorted_levels(series.to_frame("x"), ("x",))


def encode_categorical(series: pd.Series, levels: tuple[str, ...]) -> pd.Series:
    """The column as an ordered categorical of labels with exactly ``levels``.

    formulae keeps the category order of ordered categoricals (and sorts
    others), so this fixes the level order and the reference level. Values
    whose label is not among ``levels`` become missing (callers check).
    """
    codes = positions(labels(series), levels)
    values = pd.Categorical.from_codes(codes, categories=list(levels), ordered=True)
    return pd.Series(values, index=series.index, name=series.name)


def positions(values: pd.Series, levels: tuple[str, ...]) -> np.ndarray:
    """Position of each label among ``levels``; ``-1`` for a label not among them."""
    lookup = {level: i for i, level in enumerate(levels)}
    return np.fromiter((lookup.get(v, -1) for v in values), dtype=np.int64, count=len(values))
