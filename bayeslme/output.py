"""The one output contract of every sampling path: group effects and the data a fit keeps.

A non-centered fit (PyMC's or the kernel's), a collapsed fit and a marginal
fit store their group effects, constant data and observed response through
these functions, so the groups, variables, dims and coordinates of the
DataTree cannot drift apart between paths: ``results/`` reads them all alike.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayeslme.formula.design import Design
from bayeslme.spec import FactorSpec, ModelSpec
from bayeslme.spec.names import FIXED_DIM

__all__ = ["constant_data", "group_effect_arrays", "observed_data"]


def group_effect_arrays(factor: FactorSpec, u: np.ndarray, z: np.ndarray, chains: int, draws: int) -> dict:
    """``<f>__u`` and ``<f>__z`` as labelled arrays ``(chain, draw, level, effect)``.

    Parameters
    ----------
    factor : FactorSpec
    u, z : ndarray, shape (chains * draws, levels, effects) or (chains, draws, levels, effects)
        Group effects and their standardised form (``u = z L'`` per level).
    chains, draws : int
    """
    dims = ("chain", "draw", factor.level_dim, factor.effect_dim)
    shape = (chains, draws, len(factor.levels), len(factor.effects))
    coords = {factor.level_dim: list(factor.levels), factor.effect_dim: list(factor.effects)}
    return {
        factor.z_var: xr.DataArray(np.reshape(z, shape), dims=dims, coords=coords),
        factor.u_var: xr.DataArray(np.reshape(u, shape), dims=dims, coords=coords),
    }


def constant_data(spec: ModelSpec, design: Design) -> xr.Dataset:
    """The data a fit keeps: ``X``, each factor's index and ``Z``, the offset and trials if any."""
    coords: dict = {"obs": np.arange(design.n_obs), FIXED_DIM: list(design.fixed_names)}
    variables: dict = {"X": (("obs", FIXED_DIM), design.X)}
    for names, factor in zip(spec.factors, design.factors, strict=True):
        coords[names.effect_dim] = list(factor.effects)
        variables[names.index_var] = ("obs", factor.index)
        variables[names.Z_var] = (("obs", names.effect_dim), factor.Z)
    if design.offset is not None:
        variables["offset"] = ("obs", design.offset)
    if design.trials is not None:
        variables["trials"] = ("obs", np.asarray(design.trials))
    return xr.Dataset(variables, coords=coords)


def observed_data(design: Design) -> xr.Dataset:
    """The observed response, as a non-centered fit stores it."""
    return xr.Dataset({"y": ("obs", np.asarray(design.y))}, coords={"obs": np.arange(design.n_obs)})
