"""Model pieces shared by the non-centered and the collapsed PyMC models.

Both models must have the same population-level variables, with the same
names, dims and priors, so that their posteriors are interchangeable:

* the fixed effects, sampled on predictors centred at ``spec.x_means`` (the
  intercept column is not centred) and reported as ``b`` on the original
  predictors;
* per grouping factor, the SDs ``<f>__sd`` and, per correlated block, an LKJ
  Cholesky factor ``<f>__L<k>`` (unstructured) or a correlation parameter
  ``<f>__rho<k>`` (``cs``, ``ar1``), with the correlations ``<f>__cor``.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayeslme.backend.prior_vars import location_vector, scale_vector
from bayeslme.blocks import structured_correlation_cholesky
from bayeslme.posterior_arrays import correlation_cholesky_draws
from bayeslme.spec import FactorSpec, ModelSpec, coefficient_key
from bayeslme.spec.names import CENTERED_INTERCEPT, COEFFICIENTS, FIXED_DIM, SLOPES

__all__ = [
    "correlation_cholesky_draws",
    "scoped",
    "factor_scales",
    "fixed_coefficients",
    "scaled_cholesky",
]


def scoped(dim: str) -> str:
    """``dim`` as named in the current PyMC model: ``sigma::<dim>`` inside a parameter's formula.

    PyMC prefixes the variables of a named sub-model (``pm.Model(name="sigma")``)
    but not the dimensions, which all models share; a parameter's formula
    (:class:`~bayeslme.spec.DparSpec`) has dimensions of its own, such as its
    fixed effects and its factors' levels.
    """
    return pm.modelcontext(None).name_for(dim)


def fixed_coefficients(spec: ModelSpec, *, shared: bool = False) -> pt.TensorVariable | None:
    """Coefficients of :meth:`ModelSpec.centered_X`; registers ``b`` on the original predictors.

    Returns ``None`` for a model without fixed effects. With an intercept,
    ``Intercept_centered`` and ``b_slopes`` are sampled and
    ``b[Intercept] = Intercept_centered - x_means . b_slopes``. With
    ``shared=True`` prior parameters and ``x_means`` enter as ``pm.Data``.
    """
    if not spec.fixed:
        return None
    if not spec.has_intercept:
        priors = [spec.priors[coefficient_key(n)] for n in spec.fixed]
        return location_vector(COEFFICIENTS, priors, dims=scoped(FIXED_DIM), shared=shared)
    position = spec.fixed.index("Intercept")
    slopes = np.array([j for j, name in enumerate(spec.fixed) if name != "Intercept"], dtype=int)
    intercept_c = location_vector(CENTERED_INTERCEPT, [spec.priors["Intercept"]], shared=shared)[0]
    theta = pt.zeros(len(spec.fixed))
    theta = pt.set_subtensor(theta[position], intercept_c)
    if slopes.size == 0:
        pm.Deterministic(COEFFICIENTS, theta, dims=scoped(FIXED_DIM))
        return theta
    beta = location_vector(SLOPES, [spec.coefficient_prior(spec.fixed[j]) for j in slopes], shared=shared)
    theta = pt.set_subtensor(theta[slopes], beta)
    means = spec.column_means[slopes]
    if shared:
        means = pm.Data("x_means", means)
    pm.Deterministic(
        COEFFICIENTS,
        pt.set_subtensor(theta[position], intercept_c - pt.dot(means, beta)),
        dims=scoped(FIXED_DIM),
    )
    return theta


def factor_scales(
    spec: ModelSpec, factor: FactorSpec, *, shared: bool = False
) -> tuple[pt.TensorVariable, list[pt.TensorVariable | None]]:
    """SDs of a factor's effects and the correlation Cholesky factor of each block.

    Registers ``<f>__sd`` (dims ``<f>__effect``; assembled from
    ``<f>__sd_free`` when a block shares one SD), per correlated block an LKJ
    Cholesky factor ``<f>__L<k>`` or a ``cs``/``ar1`` correlation
    ``<f>__rho<k>``, and ``<f>__cor`` (dims ``<f>__cor_pair``) when any block
    is correlated. Uncorrelated blocks get ``None``.
    """
    sd = _factor_sds(spec, factor, shared)
    chols: list[pt.TensorVariable | None] = []
    correlations = []
    for k, block in enumerate(factor.blocks):
        if not block.correlated:
            chols.append(None)
            continue
        width = len(block.effects)
        if block.structure == "us":
            chol = pm.LKJCorr(factor.chol_var(k), n=width, eta=spec.priors[factor.cor_key]["eta"])
        else:
            prior = spec.priors[factor.rho_key]
            low, high = block.rho_bounds
            rho = pm.Uniform(factor.rho_var(k), max(prior["lower"], low), min(prior["upper"], high))
            entries = structured_correlation_cholesky(block.structure, rho, width, sqrt=pt.sqrt)
            chol = pt.stack([pt.stack(row) for row in entries])
        rows, cols = np.triu_indices(width, k=1)
        correlations.append((chol @ chol.T)[rows, cols])
        chols.append(chol)
    if correlations:
        pm.Deterministic(factor.cor_var, pt.concatenate(correlations), dims=scoped(factor.pair_dim))
    return sd, chols


def _factor_sds(spec: ModelSpec, factor: FactorSpec, shared: bool) -> pt.TensorVariable:
    """``<f>__sd``: one free SD per effect, or per SD slot when a block shares one."""
    slots = factor.sd_slots()
    priors = [spec.priors[key] for key, _ in slots]
    if len(slots) == len(factor.effects):
        return scale_vector(factor.sd_var, priors, dims=scoped(factor.effect_dim), shared=shared)
    free = scale_vector(factor.sd_free_var, priors, shared=shared)
    owner = np.zeros(len(factor.effects), dtype=np.int64)
    for slot, (_, positions) in enumerate(slots):
        owner[list(positions)] = slot
    return pm.Deterministic(factor.sd_var, free[owner], dims=scoped(factor.effect_dim))


def scaled_cholesky(
    factor: FactorSpec, sd: pt.TensorVariable, chols: list[pt.TensorVariable | None]
) -> pt.TensorVariable:
    """Lower-triangular :math:`L` with :math:`\\Sigma = L L^\\top` for the factor's effects.

    Block-diagonal, :math:`L_b = \\operatorname{diag}(s_b)\\,C_b` for a
    correlated block with LKJ Cholesky factor :math:`C_b`, :math:`\\operatorname{diag}(s_b)`
    otherwise. A non-centered effect is :math:`u_j = L z_j`.
    """
    k = len(factor.effects)
    full = pt.zeros((k, k))
    start = 0
    for block, chol in zip(factor.blocks, chols, strict=True):
        width = len(block.effects)
        idx = slice(start, start + width)
        part = pt.diag(sd[idx]) if chol is None else sd[idx][:, None] * chol
        full = pt.set_subtensor(full[idx, idx], part)
        start += width
    return full
