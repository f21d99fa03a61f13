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

from bayeslme.backend.nested_stats import NestedStats, nested_conditional_effects
from bayeslme.backend.suffstats import GroupStats, conditional_effects
from bayeslme.bigdata.rawstats import NestedRawStats, RawStats
from bayeslme.posterior_arrays import centred_theta, cholesky_draws
from bayeslme.spec.names import COEFFICIENTS

__all__ = ["BLOCK", "bayes_r2", "effect_blocks", "effect_draws", "level_blocks"]

BLOCK = 4096

Drawn = dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]
"""Per factor position: the levels drawn, and their ``u`` and ``z`` shaped (draws, levels, k)."""


def _levels(stats: GroupStats, index: np.ndarray) -> GroupStats:
    return GroupStats(
        stats.ZZ[index], stats.ZX[index], stats.Zy[index], stats.XX, stats.Xy, stats.yy, stats.n_obs
    )


def level_blocks(raw: RawStats | NestedRawStats) -> list[dict[int, np.ndarray]]:
    """The levels of each factor (by position) in each block, in drawing order.

    One factor: runs of :data:`BLOCK` levels. Two nested factors: runs of
    whole outer levels with about :data:`BLOCK` levels of both factors, and
    the inner levels within them.
    """
    if isinstance(raw, RawStats):
        G = raw.counts.shape[0]
        return [{0: np.arange(lo, min(lo + BLOCK, G))} for lo in range(0, G, BLOCK)]
    parent = raw.parent
    sizes = np.bincount(parent, minlength=raw.outer.counts.shape[0]) + 1
    block_of = (np.cumsum(sizes) - 1) // BLOCK
    order = np.argsort(parent, kind="stable")
    blocks = []
    for block in np.unique(block_of):
        outer = np.flatnonzero(block_of == block)
        lo, hi = np.searchsorted(parent[order], [outer[0], outer[-1] + 1])
        blocks.append({raw.outer_position: outer, 1 - raw.outer_position: order[lo:hi]})
    return blocks


def effect_blocks(
    spec: Any,
    raw: RawStats | NestedRawStats,
    posterior: xr.Dataset,
    random_seed: int | None,
    wanted: tuple[int, np.ndarray] | None = None,
) -> Iterator[Drawn]:
    """The group effects of every factor, a block of levels at a time (see :data:`Drawn`).

    Blocks are those of :func:`level_blocks`, each drawn with its own random
    stream; one nested factor's blocks come from the nested conditional
    (:func:`~bayeslme.backend.nested_stats.nested_conditional_effects`).
    ``wanted``, ``(position, levels)``, skips the blocks without any of those
    levels of that factor; the others are drawn exactly as without it.
    """
    theta = centred_theta(spec, posterior)
    L = [cholesky_draws(factor, posterior) for factor in spec.factors]
    sigma = posterior["sigma"].values.reshape(-1)
    stats = raw.centered(spec.column_means)
    for block, levels in enumerate(level_blocks(raw)):
        if wanted is not None and not np.isin(levels[wanted[0]], wanted[1]).any():
            continue
        rng = np.random.default_rng(None if random_seed is None else [random_seed, 5, block])
        if isinstance(stats, GroupStats):
            u, z = conditional_effects(_levels(stats, levels[0]), theta, L[0], sigma, rng)
            yield {0: (levels[0], u, z)}
            continue
        assert isinstance(raw, NestedRawStats)
        outer_at, inner_at = raw.outer_position, 1 - raw.outer_position
        outer, inner = levels[outer_at], levels[inner_at]
        part = NestedStats(
            outer=_levels(stats.outer, outer),
            inner=_levels(stats.inner, inner),
            cross=stats.cross[inner],
            parent=stats.parent[inner] - outer[0],
        )
        ua, za, ub, zb = nested_conditional_effects(part, theta, L[outer_at], L[inner_at], sigma, rng)
        yield {outer_at: (outer, ua, za), inner_at: (inner, ub, zb)}


def effect_draws(
    spec: Any,
    raw: RawStats | NestedRawStats,
    posterior: xr.Dataset,
    name: str,
    random_seed: int | None,
    levels: np.ndarray | None = None,
) -> np.ndarray:
    """Draws ``(chain, draw, level, effect)`` of variable ``name`` (a factor's ``u`` or ``z``).

    ``levels`` (indices) draws only the blocks that hold them and returns
    those levels, in that order; the draws are the same as in the full array.

    Raises
    ------
    KeyError
        ``name`` is not the group effects of one of the model's factors.
    """
    positions = [i for i, f in enumerate(spec.factors) if name in (f.u_var, f.z_var)]
    if not positions:
        raise KeyError(name)
    position = positions[0]
    factor = spec.factors[position]
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    wanted = np.arange(len(factor.levels)) if levels is None else np.asarray(levels, dtype=np.int64)
    where = np.full(len(factor.levels), -1)
    where[wanted] = np.arange(len(wanted))
    out = np.empty((chains * draws, len(wanted), len(factor.effects)))
    for drawn in effect_blocks(spec, raw, posterior, random_seed, (position, wanted)):
        block, u, z = drawn[position]
        values, at = (u if name == factor.u_var else z), where[block]
        if at[0] >= 0 and np.array_equal(at, np.arange(at[0], at[0] + at.size)):
            out[:, at[0] : at[0] + at.size] = values  # a run of wanted levels in order: a slice, no gather
        else:
            keep = at >= 0
            out[:, at[keep]] = values[:, keep]
    return out.reshape(chains, draws, *out.shape[1:])


def bayes_r2(
    spec: Any, raw: RawStats | NestedRawStats, posterior: xr.Dataset, random_seed: int | None
) -> np.ndarray:
    r"""Bayesian R² per draw from the sums (the rows' fitted values never formed).

    With fitted values :math:`\mu = Xb + \sum_f Z_f u_f` and residuals
    :math:`r = y - \mu`, :math:`\sum\mu`, :math:`\sum\mu^2` and
    :math:`\sum r, \sum r^2` follow from :math:`X^\top 1, X^\top X, X^\top y`,
    per level :math:`Z_i^\top 1, Z_i^\top X_i, Z_i^\top Z_i, Z_i^\top y_i`,
    and for nested factors the cross products :math:`Z^{B\top}_i Z^A_i`;
    variances use ``n - 1`` as :func:`bayeslme.results.r2.bayes_r2` does.
    Group effects are drawn block by block as :func:`effect_draws` draws them.
    """
    n = float(raw.n_obs)
    b = posterior[COEFFICIENTS].values.reshape(-1, raw.X1.shape[0])
    s1 = b @ raw.X1
    s2 = np.einsum("dp,pq,dq->d", b, raw.XX, b)
    syr = b @ raw.Xy
    own = raw.per_factor
    for drawn in effect_blocks(spec, raw, posterior, random_seed):
        for position, (levels, u, _) in drawn.items():
            f = own[position]
            s1 += np.einsum("dgk,gk->d", u, f.Z1[levels])
            s2 += 2 * np.einsum("dgk,gkp,dp->d", u, f.ZX[levels], b)
            s2 += np.einsum("dgk,gkl,dgl->d", u, f.ZZ[levels], u)
            syr += np.einsum("dgk,gk->d", u, f.Zy[levels])
        if isinstance(raw, NestedRawStats):
            outer, ua, _ = drawn[raw.outer_position]
            inner, ub, _ = drawn[1 - raw.outer_position]
            parent = raw.parent[inner] - outer[0]
            s2 += 2 * np.einsum("dgb,gba,dga->d", ub, raw.cross[inner], ua[:, parent])
    var_fit = (s2 - s1**2 / n) / (n - 1)
    r1, r2 = raw.y1 - s1, raw.yy - 2 * syr + s2
    var_res = (r2 - r1**2 / n) / (n - 1)
    return var_fit / (var_fit + var_res)
