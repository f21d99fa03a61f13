"""Save and load fits as netCDF: the posterior plus the model spec as JSON.

No pickle is involved, so opening a file cannot run code. The fitting data
(model columns only) travel in the file so that the design, and with it every
method of the fit, is rebuilt exactly.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from bayeslme.errors import FileFormatError

if TYPE_CHECKING:
    from bayeslme.results.fit import Fit

__all__ = ["FORMAT_VERSION", "load", "save_fit"]

FORMAT_VERSION = 1
_MARKER = "bayeslme_format_version"


def save_fit(fit: Fit, path: str | os.PathLike) -> None:
    """Write ``fit`` to ``path`` (netCDF4 via h5netcdf).

    Raises
    ------
    FileFormatError
        When the file cannot be written (missing folder, no permission).
    """
    from bayeslme.formula.design import used_columns

    groups = {}
    for name, node in fit.idata.children.items():
        dataset = node.to_dataset()
        dropped = [
            v for v in dataset.data_vars if dataset[v].dtype == object and v.startswith("divergence_message")
        ]
        groups[f"/{name}"] = _strings_to_str(dataset.drop_vars(dropped))
    columns = used_columns(fit.design.formula, fit.design.data)
    data = fit.design.data[columns]
    groups["/bayeslme_data"] = _frame_to_dataset(data)
    root = xr.Dataset(
        attrs={
            _MARKER: FORMAT_VERSION,
            "spec": json.dumps(fit.spec.to_dict()),
            "info": json.dumps(fit.info, default=str),
        }
    )
    tree = xr.DataTree.from_dict({"/": root, **groups})
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileFormatError(f"cannot write {str(path)!r}: the folder {folder!r} does not exist")
    try:
        tree.to_netcdf(path, engine="h5netcdf", mode="w")
    except OSError as err:
        raise FileFormatError(f"cannot write {str(path)!r}: {err}") from err


def load(path: str | os.PathLike) -> Fit:
    """Read a fit written by :meth:`Fit.save`.

    Raises
    ------
    FileFormatError
        The file does not exist, is not a bayeslme fit, is damaged, or was
        written by a newer format version.
    """
    from bayeslme.formula.design import build_design
    from bayeslme.formula.parse import parse_formula
    from bayeslme.results.fit import Fit
    from bayeslme.spec import ModelSpec

    if not os.path.exists(path):
        raise FileFormatError(f"no file at {str(path)!r}")
    try:
        tree = xr.open_datatree(path, engine="h5netcdf").load()
    except Exception as err:  # h5py/netCDF raise many types for damaged files
        raise FileFormatError(f"{str(path)!r} is not a readable netCDF file ({err})") from err
    version = tree.attrs.get(_MARKER)
    if version is None or "spec" not in tree.attrs:
        raise FileFormatError(f"{str(path)!r} is a netCDF file but not a bayeslme fit")
    if int(version) > FORMAT_VERSION:
        raise FileFormatError(
            f"{str(path)!r} was written by a newer bayeslme (format {version}, this version reads "
            f"up to {FORMAT_VERSION}); upgrade bayeslme"
        )
    try:
        spec = ModelSpec.from_dict(json.loads(tree.attrs["spec"]))
        info = json.loads(tree.attrs.get("info", "{}"))
        data = tree["bayeslme_data"].to_dataset().to_dataframe().reset_index(drop=True)
    except Exception as err:  # malformed JSON or missing groups
        raise FileFormatError(f"{str(path)!r} has a damaged bayeslme header ({err})") from err
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        design = build_design(parse_formula(spec.formula), data, family=spec.family)
    children = {f"/{k}": v.to_dataset() for k, v in tree.children.items() if k != "bayeslme_data"}
    idata = xr.DataTree.from_dict(children)
    return Fit(spec=spec, design=design, idata=idata, info=info)


def _strings_to_str(dataset: xr.Dataset) -> xr.Dataset:
    for name, coord in dataset.coords.items():
        if coord.dtype == object:
            dataset = dataset.assign_coords({name: coord.values.astype(str)})
    return dataset


def _frame_to_dataset(frame: pd.DataFrame) -> xr.Dataset:
    variables = {}
    for column in frame.columns:
        series = frame[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert(None)  # netCDF has no time zones: store UTC instants
        values = series.to_numpy()
        if values.dtype == object or isinstance(frame[column].dtype, pd.CategoricalDtype):
            values = frame[column].astype(str).to_numpy().astype(str)
        variables[str(column)] = ("row", np.asarray(values))
    return xr.Dataset(variables, coords={"row": np.arange(len(frame))})
