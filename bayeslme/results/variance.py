"""Variance components, covariance matrices and the intraclass correlation.

Definitions
-----------
For grouping factor :math:`f` with effect SDs :math:`s` and correlations
:math:`\\rho`, the covariance matrix of its group effects is
:math:`\\Sigma_f = \\operatorname{diag}(s) R \\operatorname{diag}(s)`, with
:math:`R` block diagonal (effects of different group terms are independent).

The variance the group effects add to an observation depends on its
predictors when there are random slopes. Following Johnson (2014) we average
over the observed design:

.. math::

    V_f = \\frac{1}{n} \\sum_i z_{f,i}^\\top \\Sigma_f z_{f,i}
        = \\operatorname{tr}\\left(\\Sigma_f \\tfrac{1}{n} Z_f^\\top Z_f\\right),

and :math:`V_{\\text{random}} = \\sum_f V_f`. The (adjusted) ICC is
:math:`V_{\\text{random}} / (V_{\\text{random}} + V_{\\text{resid}})`, which is
what ``performance::icc`` reports as ``ICC_adjusted``; with intercepts only it
reduces to the classic :math:`\\sigma^2_u / (\\sigma^2_u + \\sigma^2)`.

References
----------
Johnson, P. C. D. (2014). Extension of Nakagawa & Schielzeth's R2GLMM to
random slopes models. *Methods in Ecology and Evolution*, 5, 944-946.

Nakagawa, S., Johnson, P. C. D., & Schielzeth, H. (2017). The coefficient of
determination R2 and intra-class correlation coefficient from generalized
linear mixed-effects models revisited and expanded. *J. R. Soc. Interface*, 14.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayeslme.results.summaries import summarize_draws
from bayeslme.results.view import held_as_statistics
from bayeslme.spec import FactorSpec

__all__ = [
    "covariance_matrices",
    "design_moment",
    "factor_moment",
    "icc",
    "random_effect_variance",
    "variance_components_table",
]


def covariance_matrices(sd: np.ndarray, cor: np.ndarray | None, factor: FactorSpec) -> np.ndarray:
    """Covariance matrices of a factor's group effects, one per draw.

    Parameters
    ----------
    sd : ndarray, shape (..., k)
        Effect SDs.
    cor : ndarray, shape (..., n_pairs) or None
        Correlations of ``factor.pairs()``, in that order.
    factor : FactorSpec

    Returns
    -------
    ndarray, shape (..., k, k)
    """
    k = len(factor.effects)
    corr = np.broadcast_to(np.eye(k), sd.shape[:-1] + (k, k)).copy()
    position = {effect: i for i, effect in enumerate(factor.effects)}
    for p, (a, b) in enumerate(factor.pairs()):
        i, j = position[a], position[b]
        corr[..., i, j] = cor[..., p]
        corr[..., j, i] = cor[..., p]
    return corr * sd[..., :, None] * sd[..., None, :]


def design_moment(Z: np.ndarray) -> np.ndarray:
    """Average outer product :math:`Z^\\top Z / n` of a factor's Z columns."""
    return Z.T @ Z / Z.shape[0]


def factor_moment(design: Any, name: str) -> np.ndarray:
    """:func:`design_moment` of factor ``name``, from its rows or from a design's own sums.

    A design held as statistics (:class:`bayeslme.bigdata.design.StreamedDesign`)
    provides ``factor_moment``; a design of rows does not.
    """
    stats = held_as_statistics(design)
    return stats.factor_moment(name) if stats is not None else design_moment(design.factor(name).Z)


def random_effect_variance(cov: np.ndarray, moment: np.ndarray) -> np.ndarray:
    """Johnson's (2014) variance of one factor's group effects over the design.

    ``tr(Sigma M)`` per draw, with ``M`` from :func:`design_moment`.
    """
    return np.einsum("...ij,ji->...", cov, moment)


def icc(v_random: np.ndarray, v_residual: np.ndarray) -> np.ndarray:
    """Adjusted intraclass correlation ``V_random / (V_random + V_residual)``."""
    return v_random / (v_random + v_residual)


def variance_components_table(
    factors: tuple[FactorSpec, ...],
    sds: dict[str, np.ndarray],
    cors: dict[str, np.ndarray | None],
    moments: dict[str, np.ndarray],
    residual_sd: np.ndarray | None,
    *,
    prob: float = 0.95,
    residual_variance: np.ndarray | None = None,
    residual_correlation: tuple[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Tidy table of every variance component with posterior summaries.

    Parameters
    ----------
    factors : tuple of FactorSpec
    sds, cors : dict
        Per factor name, draws of shape (chain, draw, k) and (chain, draw, pairs).
    moments : dict
        Per factor name, :func:`design_moment` of its Z.
    residual_sd : ndarray, shape (chain, draw), or None
        Residual SD draws (Gaussian); ``None`` for families without one.
    prob : float
        Interval probability.
    residual_variance : ndarray, optional
        Distribution-specific residual variance on the latent scale (GLMMs),
        used for the ICC when ``residual_sd`` is None.
    residual_correlation : (name, draws), optional
        Correlation of an ``ar()`` or ``cosy()`` term, shown as the row
        ``("Residual", name, "")``.

    Returns
    -------
    pandas.DataFrame
        Index ``(group, quantity, term)`` where quantity is ``sd``, ``var``,
        ``cor``, ``cov``, ``icc`` (or ``ar`` / ``cosy`` for a residual correlation).
    """
    rows: list[tuple[str, str, str]] = []
    columns: list[np.ndarray] = []
    v_random = 0.0
    for factor in factors:
        sd = sds[factor.name]
        cov = covariance_matrices(sd, cors.get(factor.name), factor)
        v_random = v_random + random_effect_variance(cov, moments[factor.name])
        for e, effect in enumerate(factor.effects):
            rows += [(factor.name, "sd", effect), (factor.name, "var", effect)]
            columns += [sd[..., e], sd[..., e] ** 2]
        position = {effect: i for i, effect in enumerate(factor.effects)}
        for p, (a, b) in enumerate(factor.pairs()):
            rows += [(factor.name, "cor", f"{a}, {b}"), (factor.name, "cov", f"{a}, {b}")]
            columns += [cors[factor.name][..., p], cov[..., position[a], position[b]]]
    if residual_sd is not None:
        rows += [("Residual", "sd", ""), ("Residual", "var", "")]
        columns += [residual_sd, residual_sd**2]
        residual_variance = residual_sd**2
        if residual_correlation is not None:
            rows.append(("Residual", residual_correlation[0], ""))
            columns.append(residual_correlation[1])
    if residual_variance is not None and factors:
        rows.append(("ICC", "icc", "adjusted"))
        columns.append(icc(v_random, residual_variance))
    index = pd.MultiIndex.from_tuples(rows, names=["group", "quantity", "term"])
    return summarize_draws(np.stack(columns, axis=-1), index, prob=prob)
