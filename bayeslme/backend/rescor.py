"""Gaussian likelihood with correlated residuals (``ar()`` / ``cosy()`` terms) in PyMC.

Exact, vectorised and linear in the number of rows: the index arrays of
:class:`~bayeslme.formula.rescor.RescorDesign` enter as ``pm.Data`` and the
log density is written with gathers and scatter-adds, never a loop over
groups. The observed response is a :class:`pymc.CustomDist` named ``y`` so the
fit keeps its ``observed_data`` group. See :mod:`bayeslme.results.rescor` for
the maths.

* AR(1): sequential conditionals,
  :math:`e_k \\mid e_{k-1} \\sim N(\\phi e_{k-1}, \\sigma^2(1-\\phi^2))`,
  first rows :math:`N(0, \\sigma^2)`.
* Compound symmetry: the closed-form group density from the group sums
  :math:`S` and :math:`Q` of the residuals and their squares; each group's
  value is placed on its first row (other rows carry 0), so the elementwise
  values sum to the joint density. Pointwise values for LOO are computed
  separately in numpy.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayeslme.formula.rescor import RescorDesign
from bayeslme.spec import RescorSpec

__all__ = ["add_correlated_normal"]

_LOG_2PI = float(np.log(2 * np.pi))


def add_correlated_normal(
    rescor_spec: RescorSpec, rescor: RescorDesign, eta: pt.TensorVariable, sigma, rho_prior, y: np.ndarray
) -> None:
    """Add ``rho`` (named ``ar`` or ``cosy``) and the observed ``y`` with correlated residuals.

    Parameters
    ----------
    rescor_spec : RescorSpec
        Kind of the term.
    rescor : RescorDesign
        Index arrays of the fitting rows.
    eta : TensorVariable, shape (n,)
        Linear predictor.
    sigma : TensorVariable
        Marginal residual SD.
    rho_prior : Prior
        ``uniform(lower, upper)`` prior of the correlation.
    y : ndarray, shape (n,)
        Observed response.
    """
    kind = rescor_spec.kind
    rho = pm.Uniform(kind, lower=rho_prior["lower"], upper=rho_prior["upper"])
    if kind == "ar":
        prev = pm.Data("ar__prev", np.maximum(rescor.prev, 0), dims="obs")
        has_prev = pm.Data("ar__has_prev", (rescor.prev >= 0).astype(float), dims="obs")
        pm.CustomDist("y", eta, sigma, rho, prev, has_prev, logp=_ar1_logp, observed=y, dims="obs")
        return
    group = pm.Data("cosy__group", rescor.group, dims="obs")
    first = pm.Data("cosy__first", (rescor.position == 0).astype(float), dims="obs")
    sizes = pm.Data("cosy__sizes", rescor.group_sizes.astype(float))
    pm.CustomDist("y", eta, sigma, rho, group, first, sizes, logp=_cosy_logp, observed=y, dims="obs")


def _ar1_logp(value, eta, sigma, rho, prev, has_prev):
    e = value - eta
    mean = has_prev * rho * e[prev]
    sd = sigma * pt.sqrt(1.0 - has_prev * rho**2)
    z = (e - mean) / sd
    return -0.5 * (_LOG_2PI + z**2) - pt.log(sd)


def _cosy_logp(value, eta, sigma, rho, group, first, sizes):
    e = value - eta
    s = pt.inc_subtensor(pt.zeros(sizes.shape[0])[group], e)
    q = pt.inc_subtensor(pt.zeros(sizes.shape[0])[group], e**2)
    big = 1.0 + (sizes - 1.0) * rho
    quad = (q - rho * s**2 / big) / (sigma**2 * (1.0 - rho))
    per_group = -0.5 * (
        sizes * (_LOG_2PI + 2.0 * pt.log(sigma)) + (sizes - 1.0) * pt.log1p(-rho) + pt.log(big) + quad
    )
    return first * per_group[group]
