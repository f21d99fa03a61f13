"""Residual correlation maths in numpy: bounds, pointwise log densities, simulation.

Within one group (series) of :math:`n` rows the residuals
:math:`e = y - \\eta` are jointly normal with marginal SD :math:`\\sigma` and
correlation matrix :math:`R`:

* AR(1): :math:`R_{ij} = \\phi^{|i-j|}` with :math:`i, j` the positions of the
  rows in time order (gaps in time are ignored), :math:`-1 < \\phi < 1`;
* compound symmetry: :math:`R = (1-\\rho) I + \\rho \\mathbf{1}\\mathbf{1}^\\top`,
  :math:`-1/(n_{\\max}-1) < \\rho < 1`.

Groups are independent. The joint density factorises into sequential
conditionals, which are the *pointwise* log-likelihood reported here (they sum
exactly to the joint log density):

* AR(1): :math:`e_1 \\sim N(0, \\sigma^2)`,
  :math:`e_k \\mid e_{k-1} \\sim N(\\phi e_{k-1}, \\sigma^2 (1-\\phi^2))`;
* compound symmetry, with :math:`S_k` the sum of the :math:`k` earlier
  residuals of the group:
  :math:`e_{k+1} \\mid e_{1..k} \\sim N\\big(\\rho S_k / (1+(k-1)\\rho),\\;
  \\sigma^2 (1-\\rho)(1+k\\rho)/(1+(k-1)\\rho)\\big)`.

Because each term conditions on earlier rows of the same series, PSIS-LOO on
these values approximates leave-one-out prediction of a row given the rows
before it, not given all others; treat ``loo`` of such models as approximate.
"""

from __future__ import annotations

import numpy as np

from bayeslme.formula.rescor import RescorDesign, correlation_bounds

__all__ = [
    "correlation_bounds",
    "cosy_group_logpdf",
    "pointwise_logpdf",
    "simulate_residuals",
]

_LOG_2PI = float(np.log(2 * np.pi))


def _normal_logpdf(x: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    z = (x - mean) / sd
    return -0.5 * (_LOG_2PI + z * z) - np.log(sd)


def ar1_logpdf(e: np.ndarray, sigma: np.ndarray, rho: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """Sequential conditional log densities of AR(1) residuals.

    Parameters
    ----------
    e : ndarray, shape (..., n)
        Residuals.
    sigma, rho : ndarray, broadcastable to (..., 1)
        Marginal SD and autocorrelation per draw.
    prev : ndarray of int, shape (n,)
        Index of each row's predecessor in its series, ``-1`` for first rows.
    """
    has_prev = prev >= 0
    e_prev = np.where(has_prev, e[..., np.maximum(prev, 0)], 0.0)
    mean = rho * e_prev
    sd = sigma * np.where(has_prev, np.sqrt(1.0 - rho**2), 1.0)
    return _normal_logpdf(e, mean, sd)


def cosy_logpdf(
    e: np.ndarray, sigma: np.ndarray, rho: np.ndarray, group: np.ndarray, position: np.ndarray
) -> np.ndarray:
    """Sequential conditional log densities of compound-symmetric residuals (see module)."""
    order = np.lexsort((position, group))
    sorted_e = e[..., order]
    total = np.cumsum(sorted_e, axis=-1)
    exclusive = total - sorted_e
    first = np.searchsorted(group[order], group[order], side="left")
    before_group = np.where(first > 0, total[..., np.maximum(first - 1, 0)], 0.0)
    s_sorted = exclusive - before_group
    s = np.empty_like(s_sorted)
    s[..., order] = s_sorted
    k = position.astype(float)
    denom = 1.0 + (k - 1.0) * rho
    mean = np.where(k > 0, rho * s / np.where(k > 0, denom, 1.0), 0.0)
    var = np.where(k > 0, (1.0 - rho) * (1.0 + k * rho) / np.where(k > 0, denom, 1.0), 1.0)
    return _normal_logpdf(e, mean, sigma * np.sqrt(var))


def cosy_group_logpdf(
    e: np.ndarray, sigma: float, rho: float, group: np.ndarray, n_groups: int
) -> np.ndarray:
    """Closed-form joint log density of each group's compound-symmetric residuals.

    With :math:`S = \\sum e`, :math:`Q = \\sum e^2` over the :math:`n` rows of a
    group, the eigenvalues of the covariance are :math:`\\sigma^2(1-\\rho+n\\rho)`
    (once) and :math:`\\sigma^2(1-\\rho)` (:math:`n-1` times), so

    .. math::

        \\log p = -\\tfrac12\\Big[n\\log(2\\pi\\sigma^2) + (n-1)\\log(1-\\rho)
        + \\log(1+(n-1)\\rho)
        + \\frac{Q - \\rho S^2/(1+(n-1)\\rho)}{\\sigma^2(1-\\rho)}\\Big].
    """
    n = np.bincount(group, minlength=n_groups).astype(float)
    s = np.bincount(group, weights=e, minlength=n_groups)
    q = np.bincount(group, weights=e * e, minlength=n_groups)
    big = 1.0 + (n - 1.0) * rho
    quad = (q - rho * s * s / big) / (sigma**2 * (1.0 - rho))
    return -0.5 * (n * (_LOG_2PI + 2 * np.log(sigma)) + (n - 1) * np.log(1.0 - rho) + np.log(big) + quad)


def pointwise_logpdf(rescor: RescorDesign, e: np.ndarray, sigma: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Pointwise (sequential conditional) log-likelihood, shape of ``e`` (..., n)."""
    if rescor.term.kind == "ar":
        return ar1_logpdf(e, sigma, rho, rescor.prev)
    return cosy_logpdf(e, sigma, rho, rescor.group, rescor.position)


def simulate_residuals(
    rescor: RescorDesign, sigma: np.ndarray, rho: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Correlated residuals, one row per draw.

    Parameters
    ----------
    rescor : RescorDesign
        Series structure of the rows.
    sigma, rho : ndarray, shape (draws,) or (draws, 1)
        Marginal SD and correlation per draw.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (draws, n)
    """
    sigma = np.asarray(sigma, dtype=float).reshape(-1, 1)
    rho = np.asarray(rho, dtype=float).reshape(-1, 1)
    n = rescor.group.shape[0]
    z = rng.standard_normal((sigma.shape[0], n))
    if rescor.term.kind == "cosy":
        # (1-rho)(I - J/n) + (1-rho+n rho) J/n = (1-rho) I + rho J, per group
        size = rescor.group_sizes[rescor.group].astype(float)
        sums = np.stack([np.bincount(rescor.group, weights=row, minlength=rescor.n_groups) for row in z])
        mean = sums[:, rescor.group] / size
        return sigma * (np.sqrt(1.0 - rho) * (z - mean) + np.sqrt(1.0 - rho + size * rho) * mean)
    e = np.zeros_like(z)
    innovation = np.sqrt(1.0 - rho**2)
    for k in range(rescor.max_size):
        rows = np.flatnonzero(rescor.position == k)
        if k == 0:
            e[:, rows] = z[:, rows]
        else:
            e[:, rows] = rho * e[:, rescor.prev[rows]] + innovation * z[:, rows]
    return sigma * e
