"""Save and load fits as netCDF: the posterior plus the model spec as JSON.

No pickle is involved, so opening a file cannot run code. The fitting data
(model columns only, every dtype restored exactly by
:mod:`bayeslme.io_frame`) travel in the file, and the design is rebuilt
against the levels stored in the spec, never re-derived from the data: a
loaded fit answers exactly like the fresh one.

Format versions: 2 names a factor's level dimension ``<factor>__level``;
files of version 1 (level dimension named like the factor) are renamed on
loading. Version 3 is a fit of Parquet files (:mod:`bayeslme.bigdata`): the
sums over the rows and the few rows that rebuild the encoder instead of the
data; fits of data frames are still written as version 2.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd
import xarray as xr

from bayeslme.errors import FileFormatError
from bayeslme.io_frame import dataset_to_frame, escape_dataset, frame_to_dataset, unescape_dataset

if TYPE_CHECKING:
    from bayeslme.formula.design import Design
    from bayeslme.spec import ModelSpec

__all__ = ["FORMAT_VERSION", "read_fit", "save_fit"]

FORMAT_VERSION = 3
_MARKER = "bayeslme_format_version"


def save_fit(
    path: str | os.PathLike, *, spec: ModelSpec, design: Design, idata: xr.DataTree, info: dict
) -> None:
    """Write a fit's spec, data, draws and sampler info to ``path`` (netCDF4 via h5netcdf).

    Raises
    ------
    FileFormatError
        When the file cannot be written (missing folder, no permission).
    """
    from bayeslme.formula.design import used_columns

    groups = {}
    for name, node in idata.children.items():
        dataset = node.to_dataset()
        dropped = [
            v for v in dataset.data_vars if dataset[v].dtype == object and v.startswith("divergence_message")
        ]
        groups[f"/{name}"] = escape_dataset(_strings_to_str(dataset.drop_vars(dropped)))
    version = 2
    if hasattr(design, "raw"):  # a design held as statistics (bayeslme.bigdata)
        from bayeslme.bigdata.design import stats_dataset

        version = 3
        groups["/bayeslme_stats"] = stats_dataset(design)
        groups["/bayeslme_data"] = frame_to_dataset(design.encoder_rows)
    else:
        columns = used_columns(design.formula, design.data)
        for part in design.dpars.values():  # the columns of the parameters' formulas too
            columns += [c for c in used_columns(part.formula, part.data) if c not in columns]
        groups["/bayeslme_data"] = frame_to_dataset(design.data[columns])
    root = xr.Dataset(
        attrs={
            _MARKER: version,
            "spec": json.dumps(spec.to_dict()),
            "info": json.dumps(info, default=str),
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


def read_fit(path: str | os.PathLike) -> tuple[ModelSpec, Design, xr.DataTree, dict]:
    """Read the spec, design, draws and sampler info of a fit written by :func:`save_fit`.

    :func:`bayeslme.load` makes a :class:`bayeslme.Fit` of them.

    Raises
    ------
    FileFormatError
        The file does not exist, is not a bayeslme fit, is damaged, or was
        written by a newer format version.
    """
    from bayeslme.formula.design import build_design
    from bayeslme.formula.parse import parse_formula
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
        stored = tree["bayeslme_data"].to_dataset()
        data = dataset_to_frame(stored) if int(version) >= 2 else _frame_v1(stored)
    except Exception as err:  # malformed JSON or missing groups
        raise FileFormatError(f"{str(path)!r} has a damaged bayeslme header ({err})") from err
    import warnings

    levels = spec.levels if int(version) >= 2 else None
    if "bayeslme_stats" in tree.children:
        from bayeslme.bigdata.design import design_from_saved

        design = design_from_saved(spec, data, tree["bayeslme_stats"].to_dataset())
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            design = build_design(parse_formula(spec.formula), data, family=spec.family, levels=levels)
            if spec.dpars:  # each parameter's formula on the same rows, against its own levels
                parts = {
                    d.name: build_design(
                        parse_formula(d.spec.formula), data, family=spec.family, levels=d.spec.levels
                    )
                    for d in spec.dpars
                }
                design = replace(design, dpars=parts)
    children = {
        f"/{k}": _rename_v1(unescape_dataset(v.to_dataset()), spec, int(version))
        for k, v in tree.children.items()
        if k not in ("bayeslme_data", "bayeslme_stats")
    }
    idata = xr.DataTree.from_dict(children)
    return spec, design, idata, info


def _frame_v1(dataset: xr.Dataset) -> pd.DataFrame:
    """Data of a version-1 file: columns as stored, one variable per column over ``row``."""
    return dataset.to_dataframe().reset_index(drop=True)


def _rename_v1(dataset: xr.Dataset, spec: ModelSpec, version: int) -> xr.Dataset:
    """Version-1 files named a factor's level dimension like the factor."""
    if version >= 2:
        return dataset
    mapping = {f.name: f.level_dim for f in spec.factors if f.name in dataset.dims}
    return dataset.rename(mapping) if mapping else dataset


def _strings_to_str(dataset: xr.Dataset) -> xr.Dataset:
    for name, coord in dataset.coords.items():
        if coord.dtype == object:
            dataset = dataset.assign_coords({name: coord.values.astype(str)})
    return dataset
