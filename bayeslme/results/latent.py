"""Latent-scale variance decomposition, R² and ICC of (generalized) mixed models.

Following Nakagawa, Johnson & Schielzeth (2017), per posterior draw

.. math::

    V_F = \\operatorname{var}_i(x_i^\\top \\beta), \\qquad
    V_R = \\sum_f \\operatorname{tr}(\\Sigma_f Z_f^\\top Z_f / n), \\qquad
    V_D = \\text{distribution-specific variance},

    R^2_{\\text{marginal}} = \\frac{V_F}{V_F + V_R + V_D}, \\qquad
    R^2_{\\text{conditional}} = \\frac{V_F + V_R}{V_F + V_R + V_D}, \\qquad
    \\text{ICC} = \\frac{V_R}{V_R + V_D}.

:math:`V_F` uses the sample variance with denominator :math:`n - 1`, as
``insight::get_variance`` (offsets excluded); :math:`V_R` is Johnson's (2014)
random-slope extension (:func:`bayeslme.results.variance.random_effect_variance`);
:math:`V_D` is :meth:`bayeslme.families.Family.latent_residual_variance`
(:math:`\\pi^2/3` for logit, 1 for probit, the lognormal approximation for
Poisson and negative binomial). Everything is on the link (latent) scale.

References
----------
Nakagawa, S., Johnson, P. C. D., & Schielzeth, H. (2017). The coefficient of
determination R2 and intra-class correlation coefficient from generalized
linear mixed-effects models revisited and expanded. *J. R. Soc. Interface*, 14.

Johnson, P. C. D. (2014). Extension of Nakagawa & Schielzeth's R2GLMM to
random slopes models. *Methods in Ecology and Evolution*, 5, 944-946.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeslme.families import Family
from bayeslme.results.variance import covariance_matrices, random_effect_variance
from bayeslme.spec import FactorSpec

__all__ = [
    "LatentVariances",
    "fixed_linear_predictor",
    "fixed_variance",
    "latent_r2",
    "latent_variances",
    "total_random_variance",
]


@dataclass(frozen=True)
class LatentVariances:
    """Variance components on the latent scale, one value per draw.

    Attributes
    ----------
    fixed, random, residual : ndarray
        :math:`V_F`, :math:`V_R`, :math:`V_D`, broadcastable to the draws' shape.
    """

    fixed: np.ndarray
    random: np.ndarray
    residual: np.ndarray

    def r2(self) -> tuple[np.ndarray, np.ndarray]:
        """Marginal and conditional R² (:func:`latent_r2`)."""
        return latent_r2(self.fixed, self.random, self.residual)

    def icc(self) -> np.ndarray:
        """Adjusted ICC :math:`V_R / (V_R + V_D)`."""
        return self.random / (self.random + self.residual)


def fixed_linear_predictor(X: np.ndarray, b: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
    """:math:`X\\beta` (+ offset) per draw.

    Parameters
    ----------
    X : ndarray, shape (n, p)
    b : ndarray, shape (..., p)
    offset : ndarray, shape (n,), optional

    Returns
    -------
    ndarray, shape (..., n)
    """
    eta = np.einsum("np,...p->...n", X, b)
    return eta if offset is None else eta + offset


def fixed_variance(X: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:math:`V_F`: variance over rows of :math:`X\\beta` (denominator n - 1), per draw."""
    if X.shape[0] < 2 or X.shape[1] == 0:
        return np.zeros(b.shape[:-1])
    return np.var(fixed_linear_predictor(X, b), axis=-1, ddof=1)


def total_random_variance(
    factors: tuple[FactorSpec, ...],
    sds: dict[str, np.ndarray],
    cors: dict[str, np.ndarray | None],
    moments: dict[str, np.ndarray],
) -> np.ndarray | float:
    """:math:`V_R`: sum over factors of Johnson's :math:`\\operatorname{tr}(\\Sigma_f M_f)`."""
    total: np.ndarray | float = 0.0
    for factor in factors:
        cov = covariance_matrices(sds[factor.name], cors.get(factor.name), factor)
        total = total + random_effect_variance(cov, moments[factor.name])
    return total


def latent_r2(
    v_fixed: np.ndarray, v_random: np.ndarray, v_residual: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Marginal and conditional R² of Nakagawa et al. (2017), per draw."""
    total = v_fixed + v_random + v_residual
    return v_fixed / total, (v_fixed + v_random) / total


def latent_variances(
    family: Family,
    link: str,
    X: np.ndarray,
    b: np.ndarray,
    v_random: np.ndarray | float,
    params: dict[str, np.ndarray],
    offset: np.ndarray | None = None,
    v_fixed_given: np.ndarray | None = None,
) -> LatentVariances:
    """:math:`V_F`, :math:`V_R` and :math:`V_D` of a fitted model, per draw.

    Parameters
    ----------
    family : Family
    link : str
    X : ndarray, shape (n, p), or None
        Fixed-effects design of the fitting data; ``None`` with
        ``v_fixed_given`` (a design held as statistics).
    b : ndarray, shape (..., p)
        Fixed-effect draws.
    v_random : ndarray, shape (...)
        :func:`total_random_variance`.
    params : dict
        Family parameter draws, each shaped (...).
    offset : ndarray, shape (n,), optional
        Enters the expected count of log-link families, not :math:`V_F`.
    v_fixed_given : ndarray, optional
        :math:`V_F` per draw, used when ``X`` is ``None``.
    """
    if X is None:  # a design held as statistics gives V_F itself (identity link only)
        v_fixed, eta = np.asarray(v_fixed_given, dtype=float), None
    else:
        v_fixed = fixed_variance(X, b)
        eta = fixed_linear_predictor(X, b, offset)
    residual = family.latent_residual_variance(params, eta, link=link, random_variance=v_random)
    shape = v_fixed.shape
    return LatentVariances(
        fixed=v_fixed,
        random=np.broadcast_to(np.asarray(v_random, dtype=float), shape),
        residual=np.broadcast_to(residual, shape),
    )
