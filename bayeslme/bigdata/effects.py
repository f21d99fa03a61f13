"""Group effects of a model of Parquet files, drawn on demand from their exact conditional.

Given a draw of the population parameters, a level's effects are Gaussian
with moments from its own statistics
(:func:`~bayeslme.backend.suffstats.conditional_effects`). A model with 100,000
levels would need 6.4 GB to store them for 4 chains x 1000 draws, so a model
of Parquet files stores only the population draws and draws the effects when
a result asks for them. Levels are drawn in blocks of :data:`BLOCK`, each with
its own random stream seeded by the fit's seed and the block's position, so a
level's draws are the same on every call.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from bayeslme.backend.suffstats import GroupStats, conditional_effects
from bayeslme.posterior_arrays import centred_theta, cholesky_draws

__all__ = ["BLOCK", "effect_draws"]

BLOCK = 4096


def _block(stats: GroupStats, lo: int, hi: int) -> GroupStats:
    return GroupStats(
        stats.ZZ[lo:hi], stats.ZX[lo:hi], stats.Zy[lo:hi], stats.XX, stats.Xy, stats.yy, stats.n_obs
    )


def effect_draws(
    spec: Any, stats: GroupStats, posterior: xr.Dataset, name: str, random_seed: int | None
) -> np.ndarray:
    """Draws ``(chain, draw, level, effect)`` of variable ``name`` (a factor's ``u`` or ``z``).

    Raises
    ------
    KeyError
        ``name`` is not the group effects of the model's factor.
    """
    factor = spec.factors[0]
    if name not in (factor.u_var, factor.z_var):
        raise KeyError(name)
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    theta = centred_theta(spec, posterior)
    L = cholesky_draws(factor, posterior)
    sigma = posterior["sigma"].values.reshape(-1)
    G, k = stats.Zy.shape
    out = np.empty((chains * draws, G, k))
    for block, lo in enumerate(range(0, G, BLOCK)):
        hi = min(lo + BLOCK, G)
        rng = np.random.default_rng(None if random_seed is None else [random_seed, 5, block])
        u, z = conditional_effects(_block(stats, lo, hi), theta, L, sigma, rng)
        out[:, lo:hi] = u if name == factor.u_var else z
    return out.reshape(chains, draws, G, k)
