"""Posterior of a new individual's own coefficients, without refitting.

Method
------
Let the new individual have :math:`m` rows with response :math:`y`, fixed
design :math:`X` and group design :math:`Z` (for the factor that identifies
individuals). For each population posterior draw :math:`\\theta_s =
(\\beta_s, \\Sigma_s, \\sigma^2_s)` of a Gaussian identity-link model, the
individual's group effect has a conjugate conditional posterior. With
:math:`r_s = y - X\\beta_s - (\\text{contributions of other, known factors})`
and :math:`V_s = Z\\Sigma_s Z^\\top + \\sigma^2_s I`,

.. math::

    u \\mid y, \\theta_s \\sim N\\!\\left(\\Sigma_s Z^\\top V_s^{-1} r_s,\\;
        \\Sigma_s - \\Sigma_s Z^\\top V_s^{-1} Z \\Sigma_s\\right),

which is exact. The population draws themselves were sampled without the new
rows; to condition them on the new rows as well, each draw is weighted by the
individual's marginal likelihood :math:`w_s \\propto N(r_s; 0, V_s)`
(importance sampling with the fitted posterior as proposal, Pareto-smoothed
as in Vehtari et al. 2024). Draws are then resampled with these weights and
one :math:`u` is drawn per resampled draw. The result approximates the
posterior of a full refit that includes the new rows; it is accurate when the
new rows carry little information about the population parameters (a few
rows of one individual among many), which the effective sample size of the
weights and the Pareto :math:`\\hat k` diagnose (:math:`\\hat k > 0.7`: refit).

References
----------
Vehtari, A., Simpson, D., Gelman, A., Yao, Y., & Gabry, J. (2024). Pareto
smoothed importance sampling. *JMLR*, 25(72), 1-58.
"""

from __future__ import annotations

import numpy as np
from arviz_stats.base import array_stats

__all__ = ["conditional_group_effects", "importance_weights"]


def conditional_group_effects(
    residual: np.ndarray, Z: np.ndarray, cov: np.ndarray, residual_variance: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conditional posterior of one new level's group effect, per draw.

    Parameters
    ----------
    residual : ndarray, shape (draws, m)
        :math:`r_s`: response minus everything but this level's group effect.
    Z : ndarray, shape (m, k)
    cov : ndarray, shape (draws, k, k)
        Prior covariance :math:`\\Sigma_s` of the group effect.
    residual_variance : ndarray, shape (draws,)
        :math:`\\sigma^2_s`.

    Returns
    -------
    mean : ndarray, shape (draws, k)
    covariance : ndarray, shape (draws, k, k)
    log_marginal : ndarray, shape (draws,)
        :math:`\\log N(r_s; 0, V_s)`.
    """
    m = Z.shape[0]
    sigma_zt = cov @ Z.T  # (draws, k, m)
    V = Z @ sigma_zt + residual_variance[:, None, None] * np.eye(m)
    chol = np.linalg.cholesky(V)
    # V^{-1} r and V^{-1} Z Sigma via the Cholesky factor
    solve_r = np.linalg.solve(V, residual[..., None])[..., 0]
    solve_zs = np.linalg.solve(V, np.swapaxes(sigma_zt, -1, -2))
    mean = np.einsum("skm,sm->sk", sigma_zt, solve_r)
    covariance = cov - sigma_zt @ solve_zs
    covariance = 0.5 * (covariance + np.swapaxes(covariance, -1, -2))
    log_det = 2 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(axis=-1)
    quad = np.einsum("sm,sm->s", residual, solve_r)
    log_marginal = -0.5 * (m * np.log(2 * np.pi) + log_det + quad)
    return mean, covariance, log_marginal


def importance_weights(log_likelihood: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Pareto-smoothed, normalised importance weights of the population draws.

    Parameters
    ----------
    log_likelihood : ndarray, shape (draws,)
        Log marginal likelihood of the new rows per draw.

    Returns
    -------
    weights : ndarray, shape (draws,)
        Summing to one.
    ess : float
        Effective sample size :math:`1 / \\sum_s w_s^2`.
    khat : float
        Pareto shape estimate; above 0.7 the approximation is unreliable.
    """
    log_likelihood = np.asarray(log_likelihood, dtype=float)
    try:
        log_weights, khat = array_stats.psislw(log_likelihood, r_eff=1.0)
    except ValueError:
        # A flat upper tail (tied largest weights) has nothing to smooth.
        log_weights, khat = log_likelihood, 0.0
    log_weights = log_weights - np.max(log_weights)
    weights = np.exp(log_weights)
    weights /= weights.sum()
    return weights, float(1.0 / np.sum(weights**2)), float(khat)
