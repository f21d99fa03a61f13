"""Numpy arrays of a posterior dataset that the exact conditional draws of group effects need.

The collapsed path draws group effects after sampling (all of them, into the
posterior) and a model of Parquet files draws them on demand
(:mod:`bayeslme.bigdata.effects`); both read the population draws the same way.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayeslme.blocks import block_cholesky, structured_cholesky_array
from bayeslme.spec import FactorSpec, ModelSpec
from bayeslme.spec.names import COEFFICIENTS

__all__ = ["centred_theta", "cholesky_draws", "correlation_cholesky_draws"]


def correlation_cholesky_draws(factor: FactorSpec, k: int, posterior: xr.Dataset) -> np.ndarray:
    """Draws ``(draws, p, p)`` of block ``k``'s correlation Cholesky factor from a posterior dataset."""
    block = factor.blocks[k]
    width = len(block.effects)
    if block.structure == "us":
        return posterior[factor.chol_var(k)].values.reshape(-1, width, width)
    return structured_cholesky_array(block.structure, posterior[factor.rho_var(k)].values.reshape(-1), width)


def cholesky_draws(factor: FactorSpec, posterior: xr.Dataset) -> np.ndarray:
    """Draws ``(draws, k, k)`` of the factor's covariance Cholesky factor ``L`` (``Sigma = L L'``)."""
    sd = posterior[factor.sd_var].values.reshape(-1, len(factor.effects))
    chols = [
        correlation_cholesky_draws(factor, k, posterior) if block.correlated else None
        for k, block in enumerate(factor.blocks)
    ]
    return block_cholesky(factor.blocks, sd, chols)


def centred_theta(spec: ModelSpec, posterior: xr.Dataset) -> np.ndarray:
    """Fixed coefficients ``(draws, p)`` on the sampled scale (the intercept at the column means)."""
    if not spec.fixed:
        return np.zeros((posterior.sizes["chain"] * posterior.sizes["draw"], 0))
    b = posterior[COEFFICIENTS].values.reshape(-1, len(spec.fixed))
    theta = b.copy()
    if spec.has_intercept:
        theta[:, spec.fixed.index("Intercept")] += b @ spec.column_means
    return theta
