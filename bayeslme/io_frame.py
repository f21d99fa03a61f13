"""Data frames and names in netCDF files, with every pandas dtype restored exactly.

netCDF stores plain arrays; a fit's data columns are pandas columns of any
dtype (categoricals in any category order, nullable integers, booleans,
strings, time-zone aware datetimes). Each column is written as an array plus
a JSON description of its dtype, and read back to the same dtype, values and
category order. Column names travel as attributes, so any name works.

netCDF names cannot contain ``/``; :func:`escape_name` and
:func:`unescape_name` encode it (and ``%``) in variable and dimension names.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["dataset_to_frame", "escape_dataset", "escape_name", "frame_to_dataset", "unescape_dataset"]

_ROW = "bayeslme_row"


def escape_name(name: str) -> str:
    """A netCDF-safe name: ``%`` -> ``%25``, ``/`` -> ``%2F``."""
    return name.replace("%", "%25").replace("/", "%2F")


def unescape_name(name: str) -> str:
    """Inverse of :func:`escape_name`."""
    return name.replace("%2F", "/").replace("%25", "%")


def escape_dataset(dataset: xr.Dataset) -> xr.Dataset:
    """Rename variables, coordinates and dimensions with :func:`escape_name`."""
    return _rename(dataset, escape_name)


def unescape_dataset(dataset: xr.Dataset) -> xr.Dataset:
    """Inverse of :func:`escape_dataset`."""
    return _rename(dataset, unescape_name)


def _rename(dataset: xr.Dataset, function) -> xr.Dataset:
    names = set(dataset.variables) | set(dataset.dims)
    mapping = {name: function(str(name)) for name in names if function(str(name)) != name}
    if not mapping:
        return dataset
    variables = {k: v for k, v in mapping.items() if k in dataset.variables}
    dims = {k: v for k, v in mapping.items() if k in dataset.dims and k not in dataset.variables}
    if variables:
        dataset = dataset.rename(variables)
    if dims:
        dataset = dataset.rename_dims(dims)
    return dataset


def frame_to_dataset(frame: pd.DataFrame) -> xr.Dataset:
    """One variable per column (``c0``, ``c1``, ...) with its name and dtype in attributes."""
    variables = {}
    for position, column in enumerate(frame.columns):
        values, description = _encode(frame[column])
        attrs = {"column": json.dumps(column), "dtype": json.dumps(description)}
        variables[f"c{position}"] = xr.Variable((_ROW,), values, attrs=attrs)
    return xr.Dataset(variables, coords={_ROW: np.arange(len(frame))})


def dataset_to_frame(dataset: xr.Dataset) -> pd.DataFrame:
    """Inverse of :func:`frame_to_dataset`."""
    columns: dict[Any, pd.Series] = {}
    order = sorted((name for name in dataset.data_vars), key=lambda name: int(str(name)[1:]))
    for name in order:
        variable = dataset[name]
        column = json.loads(variable.attrs["column"])
        columns[column] = _decode(variable.values, json.loads(variable.attrs["dtype"]))
    return pd.DataFrame(columns)


def _encode(series: pd.Series) -> tuple[np.ndarray, dict[str, Any]]:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = pd.Series(dtype.categories)
        values, inner = _encode(categories)
        return series.cat.codes.to_numpy(dtype=np.int64), {
            "kind": "category",
            "ordered": bool(dtype.ordered),
            "categories": values.tolist(),
            "categories_dtype": inner,
        }
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = series.dt.tz_convert("UTC").dt.tz_localize(None)
        description = {"kind": "datetime", "tz": str(dtype.tz), "unit": dtype.unit}
        return utc.to_numpy().astype("datetime64[ns]").astype(np.int64), description
    if pd.api.types.is_datetime64_dtype(dtype):
        description = {"kind": "datetime", "tz": None, "unit": np.datetime_data(dtype)[0]}
        return series.to_numpy().astype("datetime64[ns]").astype(np.int64), description
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return series.to_numpy(dtype=_numpy_dtype(series)), {"kind": "plain", "dtype": str(dtype)}
    return series.astype(str).to_numpy().astype(str), {"kind": "plain", "dtype": str(dtype)}


def _numpy_dtype(series: pd.Series) -> Any:
    """NetCDF has no booleans: they travel as int8 (restored by the dtype description)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return np.int8
    return getattr(series.dtype, "numpy_dtype", series.dtype)


def _decode(values: np.ndarray, description: dict[str, Any]) -> pd.Series:
    kind = description["kind"]
    if kind == "category":
        categories = _decode(np.asarray(description["categories"]), description["categories_dtype"])
        dtype = pd.CategoricalDtype(pd.Index(categories), ordered=description["ordered"])
        return pd.Series(pd.Categorical.from_codes(np.asarray(values, dtype=np.int64), dtype=dtype))
    if kind == "datetime":
        times = pd.Series(np.asarray(values, dtype=np.int64).astype("datetime64[ns]"))
        if description["tz"] is not None:
            times = times.dt.tz_localize("UTC").dt.tz_convert(description["tz"])
        return times.dt.as_unit(description["unit"])
    dtype = description["dtype"]
    if dtype == "object":
        return pd.Series(np.asarray(values).astype(str).astype(object), dtype=object)
    return pd.Series(values).astype(dtype)
