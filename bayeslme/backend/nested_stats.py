"""Sufficient statistics and conditional draws for two nested grouping factors.

Numpy only. An inner factor :math:`B` is nested in an outer factor :math:`A`
when every level :math:`i` of :math:`B` lies within a single level
:math:`a(i)` of :math:`A` (found on the data when the spec is built, :attr:`ModelSpec.nested`, so
``(1 | school/class)`` and ``(1 | school) + (1 | class_id)`` with unique class
ids both qualify). Inner level :math:`i`'s rows are then

.. math::

    y_i = X_i\\theta + Z^A_i u_{a(i)} + Z^B_i v_i + e_i, \\qquad
    u_j = L_A z_j,\\; v_i = L_B w_i,\\; z, w \\sim N(0, I),\\; e_i \\sim N(0, s^2 I).

The collapsed likelihood (:mod:`bayeslme.backend.collapsed_nested`) and the
conditional draws need the one-factor statistics of both factors
(:class:`~bayeslme.backend.suffstats.GroupStats`), the per-inner-level cross
products :math:`Z^{B\\top}_i Z^A_i` and the map :math:`i \\mapsto a(i)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeslme.backend.suffstats import (
    GroupStats,
    cholesky_small,
    draw_standardised,
    forward_substitute,
    group_stats,
    segment_sums,
)
from bayeslme.formula.design import Design, FactorDesign
from bayeslme.formula.factors import parent_levels
from bayeslme.spec import ModelSpec

__all__ = [
    "NestedStats",
    "Nesting",
    "spec_nesting",
    "nested_conditional_effects",
    "nested_conditional_given",
    "nested_stats",
]


@dataclass(frozen=True)
class Nesting:
    """Which of two factors is nested in the other, and the outer level of each inner level."""

    outer: int  # position of the outer factor in the design's factors
    inner: int
    parent: np.ndarray  # (I,) outer level of each inner level


def spec_nesting(spec: ModelSpec, design: Design) -> Nesting | None:
    """The nesting of exactly two factors as the spec records it; ``None`` if they are crossed.

    The second factor is tried as the inner one first (``a/b`` lists ``a``
    first); when both partitions are the same the first factor is the outer.
    One factor, or three or more, return ``None``. The map of inner to outer
    levels is read from ``design``'s rows.
    """
    if len(spec.factors) != 2:
        return None
    for outer, inner in ((0, 1), (1, 0)):
        if spec.nests(inner, outer):
            own = design.factors[inner]
            parent = parent_levels(own.index, design.factors[outer].index, len(own.levels))
            if parent is None:
                raise ValueError(f"the rows of {own.name!r} are not nested as the spec records")
            return Nesting(outer, inner, parent)
    return None


@dataclass(frozen=True)
class NestedStats:
    """Statistics of two nested factors: J outer levels (k_a effects), I inner (k_b)."""

    outer: GroupStats  # per outer level; holds the totals X'X, X'y, y'y
    inner: GroupStats  # per inner level
    cross: np.ndarray  # (I, k_b, k_a): Z^B_i' Z^A_i
    parent: np.ndarray  # (I,)

    def arrays(self) -> dict[str, np.ndarray]:
        """Named arrays (the collapsed model's data containers)."""
        return {
            **self.outer.arrays(),
            "stats_inner_ZZ": self.inner.ZZ,
            "stats_inner_ZX": self.inner.ZX,
            "stats_inner_Zy": self.inner.Zy,
            "stats_cross": self.cross,
            "stats_parent": self.parent,
        }


def nested_stats(
    y: np.ndarray, X: np.ndarray, outer: FactorDesign, inner: FactorDesign, parent: np.ndarray
) -> NestedStats:
    """Accumulate :class:`NestedStats` from row-level arrays (``X`` on the centred scale)."""
    n_inner = len(inner.levels)
    cross = segment_sums(inner.index, n_inner, inner.Z[:, :, None] * outer.Z[:, None, :])
    return NestedStats(
        outer=group_stats(y, X, outer.Z, outer.index, len(outer.levels)),
        inner=group_stats(y, X, inner.Z, inner.index, n_inner),
        cross=cross,
        parent=parent,
    )


def nested_conditional_effects(
    stats: NestedStats,
    theta: np.ndarray,
    L_outer: np.ndarray,
    L_inner: np.ndarray,
    sigma: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw both factors' effects from their exact conditional given the population parameters.

    For each draw, first the outer effects with the inner ones integrated out,

    .. math::

        z_j \\mid y, \\theta, L_A, L_B, s \\sim N(M_j^{-1} L_A^\\top c_j,\\; s^2 M_j^{-1}),
        \\qquad M_j = s^2 I + L_A^\\top A_j L_A,

    with :math:`A_j` and :math:`c_j` as in
    :func:`bayeslme.backend.collapsed_nested.nested_loglik`; then the inner
    effects given the outer ones, which is the one-factor conditional
    (:func:`~bayeslme.backend.suffstats.conditional_effects`) with residuals
    :math:`r_i - Z^A_i u_{a(i)}`.

    Parameters
    ----------
    stats : NestedStats
    theta : ndarray, shape (D, p)
    L_outer, L_inner : ndarray, shapes (D, k_a, k_a) and (D, k_b, k_b)
    sigma : ndarray, shape (D,)
    rng : numpy.random.Generator

    Returns
    -------
    u_outer, z_outer : ndarray, shape (D, J, k_a)
    u_inner, z_inner : ndarray, shape (D, I, k_b)
    """
    n_draws = sigma.shape[0]
    n_outer, ka = stats.outer.Zy.shape
    n_inner, kb = stats.inner.Zy.shape
    out = [np.empty((n_draws, n_outer, ka)), np.empty((n_draws, n_outer, ka))]
    out += [np.empty((n_draws, n_inner, kb)), np.empty((n_draws, n_inner, kb))]
    chunk = max(1, _CHUNK_ELEMENTS // max(n_inner * kb * (kb + ka) + n_outer * ka * ka, 1))
    for lo in range(0, n_draws, chunk):
        part = slice(lo, min(lo + chunk, n_draws))
        drawn = _nested_chunk(stats, theta[part], L_outer[part], L_inner[part], sigma[part], rng)
        for array, values in zip(out, drawn, strict=True):
            array[part] = values
    return out[0], out[1], out[2], out[3]


_CHUNK_ELEMENTS = 2_000_000  # draws are processed in chunks of about this many floats


def _nested_chunk(stats, theta, La, Lb, sigma, rng):
    """:func:`nested_conditional_effects` for a chunk of draws, vectorised over draws and levels."""
    rb = stats.inner.Zy[None] - np.einsum("gkp,dp->dgk", stats.inner.ZX, theta, optimize=True)
    ra = stats.outer.Zy[None] - np.einsum("gkp,dp->dgk", stats.outer.ZX, theta, optimize=True)
    return nested_conditional_given(stats, rb, ra, La, Lb, sigma, rng)


def nested_conditional_given(
    stats: NestedStats,
    rb: np.ndarray,
    ra: np.ndarray,
    La: np.ndarray,
    Lb: np.ndarray,
    sigma: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both factors' conditional draws given each draw's residual sums ``Z'r`` per level.

    As :func:`nested_conditional_effects` with ``rb`` (D, I, k_b) and ``ra``
    (D, J, k_a) the inner and outer factors' ``Z'r`` for the residual ``r``
    of everything else in the model (``y - X theta`` there; the marginal
    method also subtracts the other factors' effects). Only the ``ZZ`` and
    ``cross`` products and ``parent`` of ``stats`` are read.
    """
    J, ka = ra.shape[1:]
    kb = rb.shape[2]
    s2 = sigma[:, None, None, None] ** 2
    # Inner levels: M_i = s^2 I + Lb' Zb'Zb Lb = C C', v = C^-1 Lb' Zb'r, V = C^-1 Lb' Zb'Za.
    Mb = np.einsum("dca,gcf,dfb->dgab", Lb, stats.inner.ZZ, Lb, optimize=True) + s2 * np.eye(kb)
    Cb = cholesky_small(Mb)
    v = forward_substitute(Cb, np.einsum("dgc,dca->dga", rb, Lb, optimize=True))
    P = np.einsum("dca,gcb->dgba", Lb, stats.cross, optimize=True)  # (D, I, ka, kb): columns of Lb'Zb'Za
    V = forward_substitute(Cb[:, :, None], P)
    # Outer levels: A_j = Za'Za - sum_i V_i'V_i, c_j = Za'r - sum_i V_i'v_i.
    VV = np.einsum("dgam,dgbm->gdab", V, V, optimize=True)
    Vv = np.einsum("dgam,dgm->gda", V, v, optimize=True)
    A = stats.outer.ZZ[None] - np.moveaxis(segment_sums(stats.parent, J, VV), 0, 1)
    c = ra - np.moveaxis(segment_sums(stats.parent, J, Vv), 0, 1)
    Ma = np.einsum("dca,dgcf,dfb->dgab", La, A, La, optimize=True) + s2 * np.eye(ka)
    za = draw_standardised(cholesky_small(Ma), np.einsum("dgc,dca->dga", c, La, optimize=True), sigma, rng)
    ua = za @ np.swapaxes(La, 1, 2)
    # Inner effects given the outer ones: residual Zb'(r - Za u_a(i)).
    rb = rb - np.einsum("gca,dga->dgc", stats.cross, ua[:, stats.parent], optimize=True)
    zb = draw_standardised(Cb, np.einsum("dgc,dca->dga", rb, Lb, optimize=True), sigma, rng)
    return ua, za, zb @ np.swapaxes(Lb, 1, 2), zb
