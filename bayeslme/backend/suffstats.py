"""Per-group sufficient statistics of a Gaussian model with one grouping factor.

Numpy only. For group :math:`i` with rows :math:`y_i`, centred fixed-effects
rows :math:`X_i` and group-effect predictors :math:`Z_i`, the collapsed
likelihood and the conditional draws of the group effects need only

.. math::

    Z_i^\\top Z_i,\\; Z_i^\\top X_i,\\; Z_i^\\top y_i \\quad\\text{per group,}\\qquad
    X^\\top X,\\; X^\\top y,\\; y^\\top y,\\; N \\quad\\text{in total,}

so a log-density evaluation costs :math:`O(G k^3 + G k p)`, whatever the
number of rows. The sums are accumulated with a sparse group-indicator matrix,
never a dense rows x (levels x effects) matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "GroupStats",
    "cholesky_small",
    "conditional_effects",
    "conditional_z",
    "draw_standardised",
    "forward_substitute",
    "group_stats",
    "segment_sums",
]


@dataclass(frozen=True)
class GroupStats:
    """Sufficient statistics; shapes use G groups, k effects, p fixed columns."""

    ZZ: np.ndarray  # (G, k, k)
    ZX: np.ndarray  # (G, k, p)
    Zy: np.ndarray  # (G, k)
    XX: np.ndarray  # (p, p)
    Xy: np.ndarray  # (p,)
    yy: float
    n_obs: int

    @property
    def n_groups(self) -> int:
        """Number of groups G."""
        return int(self.ZZ.shape[0])

    def arrays(self) -> dict[str, np.ndarray]:
        """The statistics as named arrays (the collapsed model's data containers)."""
        return {
            "stats_ZZ": self.ZZ,
            "stats_ZX": self.ZX,
            "stats_Zy": self.Zy,
            "stats_XX": self.XX,
            "stats_Xy": self.Xy,
            "stats_yy": np.asarray(self.yy),
            # The row count is data, not a graph constant, so the compiled
            # graph (and numba's on-disk cache of it) serves any data size.
            "stats_n": np.asarray(float(self.n_obs)),
        }


def group_stats(y: np.ndarray, X: np.ndarray, Z: np.ndarray, index: np.ndarray, n_groups: int) -> GroupStats:
    """Accumulate :class:`GroupStats` from row-level arrays.

    Parameters
    ----------
    y : ndarray, shape (n,)
    X : ndarray, shape (n, p)
        Fixed-effects matrix on the sampled (centred) scale.
    Z : ndarray, shape (n, k)
    index : ndarray of int, shape (n,)
        Group of each row, in ``range(n_groups)``.
    """
    return GroupStats(
        ZZ=segment_sums(index, n_groups, Z[:, :, None] * Z[:, None, :]),
        ZX=segment_sums(index, n_groups, Z[:, :, None] * X[:, None, :]),
        Zy=segment_sums(index, n_groups, Z * y[:, None]),
        XX=X.T @ X,
        Xy=X.T @ y,
        yy=float(y @ y),
        n_obs=y.shape[0],
    )


def segment_sums(index: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Sum ``values`` (first axis: rows) over the rows of each group.

    Parameters
    ----------
    index : ndarray of int, shape (n,)
        Group of each row, in ``range(n_groups)``.
    n_groups : int
    values : ndarray, shape (n, ...)

    Returns
    -------
    ndarray, shape (n_groups, ...)
        Accumulated with a sparse group-indicator matrix.
    """
    n = values.shape[0]
    indicator = sp.csr_matrix((np.ones(n), (index, np.arange(n))), shape=(n_groups, n))
    summed = indicator @ values.reshape(n, -1)
    return np.asarray(summed).reshape((n_groups, *values.shape[1:]))


def conditional_effects(
    stats: GroupStats,
    theta: np.ndarray,
    L: np.ndarray,
    sigma: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw group effects from their Gaussian conditional given the population parameters.

    With :math:`u_i = L z_i`, :math:`z_i \\sim N(0, I)` and residual SD :math:`s`,

    .. math::

        z_i \\mid y, \\theta, L, s \\sim N\\!\\left(M_i^{-1} L^\\top Z_i^\\top r_i,\\;
        s^2 M_i^{-1}\\right), \\qquad M_i = s^2 I + L^\\top Z_i^\\top Z_i L,

    with :math:`r_i = y_i - X_i\\theta`; equivalently :math:`u_i \\sim N(m, V)`,
    :math:`V = (\\Sigma^{-1} + Z_i^\\top Z_i / s^2)^{-1}`, :math:`m = V Z_i^\\top r_i / s^2`.

    Parameters
    ----------
    stats : GroupStats
    theta : ndarray, shape (D, p)
        Fixed-effect coefficients on the centred scale, one row per draw.
    L : ndarray, shape (D, k, k)
        Cholesky factors of the group-effect covariance.
    sigma : ndarray, shape (D,)
        Residual SDs.
    rng : numpy.random.Generator

    Returns
    -------
    u, z : ndarray, shape (D, G, k)
        Group effects and their standardised values (``u = z @ L.T``).
    """
    n_draws = sigma.shape[0]
    G, k = stats.Zy.shape
    u = np.empty((n_draws, G, k))
    z = np.empty((n_draws, G, k))
    chunk = max(1, _CHUNK_ELEMENTS // max(G * k * k, 1))
    for lo in range(0, n_draws, chunk):
        hi = min(lo + chunk, n_draws)
        z[lo:hi] = _conditional_z(stats, theta[lo:hi], L[lo:hi], sigma[lo:hi], rng)
        u[lo:hi] = z[lo:hi] @ np.swapaxes(L[lo:hi], 1, 2)
    return u, z


_CHUNK_ELEMENTS = 2_000_000  # draws are processed in chunks of about this many floats


def _conditional_z(
    stats: GroupStats, theta: np.ndarray, L: np.ndarray, sigma: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """:func:`conditional_effects` for a chunk of D draws, vectorised over draws and groups."""
    r = stats.Zy[None] - np.einsum("gkp,dp->dgk", stats.ZX, theta, optimize=True)  # Z_i' r_i
    return conditional_z(stats.ZZ, r, L, sigma, rng)


def conditional_z(
    ZZ: np.ndarray, Zr: np.ndarray, L: np.ndarray, sigma: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw standardised group effects given ``Z_i'Z_i`` (G, k, k) and ``Z_i'r_i`` (D, G, k).

    ``r_i`` is the group's residual without its own effects; the draw is
    :math:`z_i \\sim N(M_i^{-1} L^\\top Z_i^\\top r_i, s^2 M_i^{-1})` as in
    :func:`conditional_effects`, for D draws of ``L`` (D, k, k) and ``sigma`` (D,).
    """
    k = ZZ.shape[-1]
    w = np.einsum("dgc,dca->dga", Zr, L, optimize=True)  # L' Z_i' r_i
    ZZL = np.einsum("gcf,dfb->dgcb", ZZ, L, optimize=True)
    M = np.einsum("dca,dgcb->dgab", L, ZZL, optimize=True) + sigma[:, None, None, None] ** 2 * np.eye(k)
    return draw_standardised(cholesky_small(M), w, sigma, rng)


def draw_standardised(
    C: np.ndarray, w: np.ndarray, sigma: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw :math:`z \\sim N(M^{-1} w, s^2 M^{-1})` given the Cholesky factors ``C`` of ``M``.

    ``C`` has shape (D, G, k, k), ``w`` (D, G, k), ``sigma`` (D,). With
    :math:`M = C C^\\top`, :math:`z = C^{-\\top}(C^{-1} w + s e)`, :math:`e \\sim N(0, I)`,
    has mean :math:`M^{-1} w` and covariance :math:`s^2 (C C^\\top)^{-1} = s^2 M^{-1}`.
    """
    noise = rng.standard_normal(w.shape)
    return _back_substitute(C, forward_substitute(C, w) + sigma[:, None, None] * noise)


def cholesky_small(M: np.ndarray) -> np.ndarray:
    """Cholesky factors of many small matrices, looping over the k x k entries only."""
    k = M.shape[-1]
    C = np.zeros_like(M)
    for j in range(k):
        C[..., j, j] = np.sqrt(M[..., j, j] - np.sum(C[..., j, :j] ** 2, axis=-1))
        for i in range(j + 1, k):
            dot = np.sum(C[..., i, :j] * C[..., j, :j], axis=-1)
            C[..., i, j] = (M[..., i, j] - dot) / C[..., j, j]
    return C


def forward_substitute(C: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``C x = b`` for lower-triangular ``C`` (batched over leading axes, which broadcast)."""
    x = np.zeros_like(b)
    for i in range(b.shape[-1]):
        x[..., i] = (b[..., i] - np.sum(C[..., i, :i] * x[..., :i], axis=-1)) / C[..., i, i]
    return x


def _back_substitute(C: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``C^T x = b`` for lower-triangular ``C`` (batched)."""
    k = b.shape[-1]
    x = np.zeros_like(b)
    for i in reversed(range(k)):
        rest = np.sum(C[..., i + 1 :, i] * x[..., i + 1 :], axis=-1)
        x[..., i] = (b[..., i] - rest) / C[..., i, i]
    return x
