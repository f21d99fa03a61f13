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

from collections.abc import Iterator
from typing import Any

import numpy as np
import xarray as xr

from bayeslme.backend.suffstats import GroupStats, conditional_effects
from bayeslme.bigdata.rawstats import RawStats
from bayeslme.posterior_arrays import centred_theta, cholesky_draws
from bayeslme.spec.names import COEFFICIENTS

__all__ = ["BLOCK", "bayes_r2", "effect_blocks", "effect_draws"]

BLOCK = 4096


def _block(stats: GroupStats, lo: int, hi: int) -> GroupStats:
    return GroupStats(
        stats.ZZ[lo:hi], stats.ZX[lo:hi], stats.Zy[lo:hi], stats.XX, stats.Xy, stats.yy, stats.n_obs
    )


def effect_blocks(
    spec: Any, stats: GroupStats, posterior: xr.Dataset, random_seed: int | None
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """``(lo, hi, u, z)`` for each block of levels ``lo:hi``; ``u``, ``z`` shaped (draws, hi - lo, k)."""
    factor = spec.factors[0]
    theta = centred_theta(spec, posterior)
    L = cholesky_draws(factor, posterior)
    sigma = posterior["sigma"].values.reshape(-1)
    G = stats.Zy.shape[0]
    for block, lo in enumerate(range(0, G, BLOCK)):
        hi = min(lo + BLOCK, G)
        rng = np.random.default_rng(None if random_seed is None else [random_seed, 5, block])
        u, z = conditional_effects(_block(stats, lo, hi), theta, L, sigma, rng)
        yield lo, hi, u, z


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
    G, k = stats.Zy.shape
    out = np.empty((chains * draws, G, k))
    for lo, hi, u, z in effect_blocks(spec, stats, posterior, random_seed):
        out[:, lo:hi] = u if name == factor.u_var else z
    return out.reshape(chains, draws, G, k)


def bayes_r2(spec: Any, raw: RawStats, posterior: xr.Dataset, random_seed: int | None) -> np.ndarray:
    r"""Bayesian R² per draw from the sums (the rows' fitted values never formed).

    With fitted values :math:`\mu = Xb + Zu` and residuals :math:`r = y - \mu`,
    :math:`\sum\mu`, :math:`\sum\mu^2` and :math:`\sum r, \sum r^2` follow from
    :math:`X^\top 1, X^\top X, X^\top y` and per level :math:`Z_i^\top 1,
    Z_i^\top X_i, Z_i^\top Z_i, Z_i^\top y_i`; variances use ``n - 1`` as
    :func:`bayeslme.results.r2.bayes_r2` does. Group effects are drawn block by
    block as :func:`effect_draws` draws them.
    """
    n = float(raw.n_obs)
    b = posterior[COEFFICIENTS].values.reshape(-1, raw.X1.shape[0])
    s1 = b @ raw.X1
    s2 = np.einsum("dp,pq,dq->d", b, raw.XX, b)
    syr = b @ raw.Xy
    stats = raw.centered(spec.column_means)
    for lo, hi, u, _ in effect_blocks(spec, stats, posterior, random_seed):
        s1 += np.einsum("dgk,gk->d", u, raw.Z1[lo:hi])
        s2 += 2 * np.einsum("dgk,gkp,dp->d", u, raw.ZX[lo:hi], b)
        s2 += np.einsum("dgk,gkl,dgl->d", u, raw.ZZ[lo:hi], u)
        syr += np.einsum("dgk,gk->d", u, raw.Zy[lo:hi])
    var_fit = (s2 - s1**2 / n) / (n - 1)
    r1, r2 = raw.y1 - s1, raw.yy - 2 * syr + s2
    var_res = (r2 - r1**2 / n) / (n - 1)
    return var_fit / (var_fit + var_res)
