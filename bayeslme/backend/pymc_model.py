"""Build the non-centered PyMC model of a :class:`~bayeslme.spec.ModelSpec`.

Model
-----
.. math::

    \\eta = \\alpha_c + (X - \\bar X)\\,\\beta
          + \\sum_f \\sum_e Z_{f,e} \\, u_{f}[\\text{level}_f, e]

For each grouping factor :math:`f` and level :math:`j`, the group effects of a
correlated block are :math:`u_j = \\operatorname{diag}(s)\\, L\\, z_j` with
:math:`z_j \\sim N(0, I)` (non-centered), :math:`s` the block's SDs and
:math:`L` the Cholesky factor of an LKJ-distributed correlation matrix.
Single-effect blocks (including every ``||`` term) have :math:`u_j = s z_j`.

Stored variables: ``b`` (fixed effects on the original predictors),
``<f>__sd``, ``<f>__cor`` (correlations of pairs in ``<f>__cor_pair``),
``<f>__u`` (group effects, dims ``<f>__level``, ``<f>__effect``), family
parameters such as ``sigma``, ``nu``, ``alpha``; the spec names them
(:class:`~bayeslme.spec.FactorSpec`). An ``offset`` (``pm.Data``) is added to :math:`\\eta` when the
formula has one; binomial trials enter as ``pm.Data("trials")``.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pytensor.tensor.linalg import solve_triangular

from bayeslme.backend.components import factor_scales, fixed_coefficients, scaled_cholesky
from bayeslme.backend.likelihoods import add_likelihood
from bayeslme.formula.design import Design
from bayeslme.spec import FactorSpec, ModelSpec
from bayeslme.spec.names import FIXED_DIM, THRESHOLD_DIM, threshold_labels

__all__ = ["build_pymc_model", "model_coords"]


ELEMENTWISE_MAX_COLUMNS = 8
"""Fixed-effects designs with at most this many columns enter the predictor column by column."""


def model_coords(spec: ModelSpec, n_obs: int) -> dict[str, list]:
    """Named coordinates of every dimension the model uses."""
    coords: dict[str, list] = {"obs": list(range(n_obs)), FIXED_DIM: list(spec.fixed)}
    for factor in spec.factors:
        coords[factor.level_dim] = list(factor.levels)
        coords[factor.effect_dim] = list(factor.effects)
        if factor.pairs():
            coords[factor.pair_dim] = factor.pair_labels()
    if spec.response_levels is not None:
        coords[THRESHOLD_DIM] = threshold_labels(spec.response_levels)
    return coords


def build_pymc_model(spec: ModelSpec, design: Design, centered: tuple[bool, ...] = ()) -> pm.Model:
    """Build the PyMC model of ``spec`` on ``design``'s data.

    Parameters
    ----------
    spec : ModelSpec
        Resolved model specification.
    design : Design
        Design evaluated on the fitting data.
    centered : tuple of bool, optional
        Per factor, whether its group effects are sampled centered (the
        effects with prior :math:`N(0, \\Sigma)`) rather than as standardised
        ``z`` (the default for every factor).

    Returns
    -------
    pymc.Model
        With named dims; data enter through ``pm.Data`` containers.
    """
    with pm.Model(coords=model_coords(spec, design.n_obs)) as model:
        eta = _fixed_predictor(spec, design)
        flags = centered or (False,) * len(spec.factors)
        for factor_spec, factor, flag in zip(spec.factors, design.factors, flags, strict=True):
            index = pm.Data(factor_spec.index_var, factor.index, dims="obs")
            Z = pm.Data(factor_spec.Z_var, factor.Z, dims=("obs", factor_spec.effect_dim))
            u = _group_effects(spec, factor_spec, flag)
            # One gather per effect column, summed explicitly: the same sum as
            # ``(Z * u[index]).sum(axis=1)`` without the (obs, effect)
            # temporary and its scatter in the gradient.
            # A group intercept's column of Z is all ones: skip the product.
            for e, effect in enumerate(factor_spec.effects):
                if effect == "Intercept" and np.all(factor.Z[:, e] == 1.0):
                    eta = eta + u[:, e][index]
                else:
                    eta = eta + Z[:, e] * u[:, e][index]
        if design.offset is not None:
            eta = eta + pm.Data("offset", design.offset, dims="obs")
        add_likelihood(spec, eta, design.y, design.trials, design.rescor)
    return model


def _fixed_predictor(spec: ModelSpec, design: Design) -> pt.TensorVariable:
    X = pm.Data("X", design.X, dims=("obs", FIXED_DIM))
    theta = fixed_coefficients(spec)
    if theta is None:
        return pt.zeros(design.n_obs)
    means = spec.column_means
    if len(spec.fixed) > ELEMENTWISE_MAX_COLUMNS:
        return (X - means) @ theta
    # A few columns: one centred multiply-add per column fuses with the
    # likelihood into a single loop over the rows (value and gradient), where
    # the matrix product made a centred copy of X and passes of its own.
    eta = pt.zeros(())
    for j, name in enumerate(spec.fixed):
        if name == "Intercept":  # formulae's intercept column is all ones, never centred
            eta = eta + theta[j]
        else:
            eta = eta + (X[:, j] - means[j]) * theta[j]
    return eta


def _group_effects(spec: ModelSpec, factor: FactorSpec, centered: bool = False) -> pt.TensorVariable:
    sd, chols = factor_scales(spec, factor)
    dims = (factor.level_dim, factor.effect_dim)
    if centered:
        # The effects themselves, with prior N(0, Sigma); z = L^-1 u is kept for the results.
        if all(chol is None for chol in chols):
            u = pm.Normal(factor.u_var, 0.0, sd, dims=dims)
            pm.Deterministic(factor.z_var, u / sd, dims=dims)
            return u
        L = scaled_cholesky(factor, sd, chols)
        u = pm.MvNormal(factor.u_var, mu=pt.zeros(len(factor.effects)), chol=L, dims=dims)
        pm.Deterministic(factor.z_var, solve_triangular(L, u.T, lower=True).T, dims=dims)
        return u
    z = pm.Normal(factor.z_var, 0.0, 1.0, dims=(factor.level_dim, factor.effect_dim))
    if all(chol is None for chol in chols):
        # Diagonal scale: ``z * sd`` is ``z @ diag(sd).T`` without the matrix
        # product and the set_subtensor that builds diag(sd).
        u = z * sd
    else:
        u = z @ scaled_cholesky(factor, sd, chols).T
    return pm.Deterministic(factor.u_var, u, dims=(factor.level_dim, factor.effect_dim))
