"""Linear predictor, expected values and posterior predictive draws for new rows.

For posterior draw :math:`s` and row :math:`i`,

.. math::

    \\eta_{si} = x_i^\\top \\beta_s + \\sum_f z_{f,i}^\\top u_{f,s}[\\ell_f(i)],

where :math:`\\ell_f(i)` is the row's level of factor :math:`f`. A level not
seen in fitting gets, in each draw, a fresh effect
:math:`u \\sim N(0, \\Sigma_{f,s})` from that draw's covariance matrix, shared
by all rows of that level; this propagates the between-group uncertainty
into the prediction. The expected response is :math:`g^{-1}(\\eta)`;
``kind="response"`` adds the family's observation noise.

All functions work on plain arrays with draws flattened to a leading axis.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "draw_new_effects",
    "group_contribution",
    "linear_predictor",
    "sample_mvnormal",
]

_CHUNK_ELEMENTS = 4_000_000


def sample_mvnormal(cov: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean normal vectors, ``size`` per covariance matrix.

    Parameters
    ----------
    cov : ndarray, shape (draws, k, k)
    size : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (draws, size, k)
    """
    k = cov.shape[-1]
    jitter = 1e-12 * np.eye(k) * np.maximum(np.trace(cov, axis1=-2, axis2=-1), 1.0)[..., None, None]
    chol = np.linalg.cholesky(cov + jitter)
    z = rng.standard_normal((cov.shape[0], size, k))
    return np.einsum("sij,snj->sni", chol, z)


def draw_new_effects(
    u: np.ndarray, index: np.ndarray, cov: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Append one fresh group effect per draw for each unseen level.

    Parameters
    ----------
    u : ndarray, shape (draws, levels, k)
        Posterior group effects of the fitted levels.
    index : ndarray of int, shape (n,)
        Level index of each row; negative for an unseen level. Rows of the same
        unseen level must share the same negative code (see
        :func:`bayeslme.results.prediction.unseen_codes`).
    cov : ndarray, shape (draws, k, k)
        Covariance matrix of the group effects, per draw.
    rng : numpy.random.Generator

    Returns
    -------
    u_all : ndarray, shape (draws, levels + n_unseen, k)
    index_all : ndarray, shape (n,)
        Row indices into ``u_all``.
    """
    codes = np.unique(index[index < 0])[::-1]  # -1, -2, ...: order of appearance
    if codes.size == 0:
        return u, index
    fresh = sample_mvnormal(cov, codes.size, rng)
    position = {int(c): u.shape[1] + j for j, c in enumerate(codes)}
    index_all = np.array([position.get(int(i), int(i)) for i in index], dtype=np.int64)
    return np.concatenate([u, fresh], axis=1), index_all


def group_contribution(Z: np.ndarray, index: np.ndarray, u: np.ndarray) -> np.ndarray:
    """:math:`\\sum_e Z_{ie}\\, u_{s,\\ell(i),e}` per draw and row, chunked over rows.

    Parameters
    ----------
    Z : ndarray, shape (n, k)
    index : ndarray of int, shape (n,)
        Non-negative indices into the level axis of ``u``.
    u : ndarray, shape (draws, levels, k)

    Returns
    -------
    ndarray, shape (draws, n)
    """
    draws, _, k = u.shape
    n = Z.shape[0]
    out = np.empty((draws, n))
    step = max(1, _CHUNK_ELEMENTS // max(1, draws * k))
    for start in range(0, n, step):
        rows = slice(start, start + step)
        out[:, rows] = np.einsum("snk,nk->sn", u[:, index[rows], :], Z[rows])
    return out


def linear_predictor(
    X: np.ndarray,
    b: np.ndarray,
    groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Linear predictor per draw and row.

    Parameters
    ----------
    X : ndarray, shape (n, p)
    b : ndarray, shape (draws, p)
    groups : list of (Z, index, u)
        Per factor, as in :func:`group_contribution`.

    Returns
    -------
    ndarray, shape (draws, n)
    """
    eta = b @ X.T if X.shape[1] else np.zeros((b.shape[0], X.shape[0]))
    for Z, index, u in groups:
        eta = eta + group_contribution(Z, index, u)
    return eta
