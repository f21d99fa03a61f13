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

from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pytensor.tensor.linalg import solve_triangular

from bayeslme.backend.components import factor_scales, fixed_coefficients, scaled_cholesky, scoped
from bayeslme.backend.likelihoods import add_likelihood
from bayeslme.formula.design import Design, FactorDesign
from bayeslme.spec import FactorSpec, ModelSpec
from bayeslme.spec.names import FIXED_DIM, THRESHOLD_DIM, threshold_labels

__all__ = ["build_pymc_model", "model_coords"]


ELEMENTWISE_MAX_COLUMNS = 8
"""Fixed-effects designs with at most this many columns enter the predictor column by column."""


def model_coords(spec: ModelSpec, n_obs: int) -> dict[str, list]:
    """Named coordinates of every dimension the model uses (its parameters' formulas' prefixed)."""
    coords: dict[str, list] = {"obs": list(range(n_obs))}
    for prefix, part in [("", spec)] + [(d.var_prefix, d.spec) for d in spec.dpars]:
        coords[prefix + FIXED_DIM] = list(part.fixed)
        for factor in part.factors:
            coords[prefix + factor.level_dim] = list(factor.levels)
            coords[prefix + factor.effect_dim] = list(factor.effects)
            if factor.pairs():
                coords[prefix + factor.pair_dim] = factor.pair_labels()
    if spec.response_levels is not None:
        coords[THRESHOLD_DIM] = threshold_labels(spec.response_levels)
    return coords


def build_pymc_model(
    spec: ModelSpec,
    design: Design,
    centered: tuple[bool, ...] = (),
    dpar_centered: Mapping[str, tuple[bool, ...]] | None = None,
) -> pm.Model:
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
    dpar_centered : mapping of str to tuple of bool, optional
        The same per factor of each parameter's formula, by parameter name.

    Returns
    -------
    pymc.Model
        With named dims; data enter through ``pm.Data`` containers.
    """
    flags = centered or (False,) * len(spec.factors)
    with pm.Model(coords=model_coords(spec, design.n_obs)) as model:
        eta = _linear_predictor(spec, design, flags)
        values = {}
        for dpar in spec.dpars:  # each in a sub-model: variables named sigma::b, sigma::clinic__sd, ...
            with pm.Model(name=dpar.name):
                own = (dpar_centered or {}).get(dpar.name) or (False,) * len(dpar.spec.factors)
                part = _linear_predictor(dpar.spec, design.dpars[dpar.name], own)
                values[dpar.name] = pt.exp(part) if dpar.link == "log" else pt.sigmoid(part)
        add_likelihood(spec, eta, design.y, design.trials, design.rescor, values)
    return model


def _linear_predictor(spec: ModelSpec, design: Design, flags: tuple[bool, ...]) -> pt.TensorVariable:
    """Fixed part, group effects and offset of ``spec``'s linear predictor on ``design``'s rows."""
    absorbing = _absorbing_factor(spec, flags)
    absorbed = () if absorbing is None else _level_columns(spec, design, design.factors[absorbing])
    eta, level_means = _fixed_predictor(spec, design, absorbing, absorbed)
    for position, (factor_spec, factor, flag) in enumerate(
        zip(spec.factors, design.factors, flags, strict=True)
    ):
        index = pm.Data(factor_spec.index_var, factor.index, dims="obs")
        Z = pm.Data(factor_spec.Z_var, factor.Z, dims=("obs", scoped(factor_spec.effect_dim)))
        around = level_means if position == absorbing else None
        u = _group_effects(spec, factor_spec, flag, around)
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
    return eta


def _absorbing_factor(spec: ModelSpec, centered: tuple[bool, ...]) -> int | None:
    """The first centered factor with a group intercept, whose intercepts are centred on the fixed one.

    Hierarchical centering (Gelfand, Sahu & Carlin 1995): the group
    intercepts :math:`v_j = \\alpha + u_j \\sim N(\\alpha, \\cdot)` enter the
    likelihood and the fixed intercept :math:`\\alpha` only their prior, which
    removes the posterior correlation between :math:`\\alpha` and every
    :math:`u_j` (measured on a beta model, 30 groups of 20: bulk ESS of the
    intercept 40 centered or not, 2,070 this way). Slopes of level-wide
    predictors join the prior mean, :math:`v_j \\sim N(\\alpha + x_j \\beta, \\cdot)`
    (:func:`_level_columns`).
    """
    if not spec.has_intercept:
        return None
    for position, (factor, flag) in enumerate(zip(spec.factors, centered, strict=True)):
        if flag and "Intercept" in factor.effects:
            return position
    return None


def _level_columns(spec: ModelSpec, design: Design, factor: FactorDesign) -> tuple[int, ...]:
    """Positions of the slopes whose predictor is constant within every level of ``factor``.

    Such a level-wide predictor (a child's sex for the child's intercepts)
    moves the group intercepts together: under hierarchical centering its
    coefficient joins the intercepts' prior mean, else it is tied to every
    level's intercept as the fixed intercept was (Orthodont, ``Sex``: bulk
    ESS 71 with the intercept alone centred on the fixed one).
    """
    index = np.asarray(factor.index)
    out = []
    for j, name in enumerate(spec.fixed):
        if name == "Intercept":
            continue
        column = np.asarray(design.X[:, j], dtype=float)
        low = np.full(len(factor.levels), np.inf)
        high = np.full(len(factor.levels), -np.inf)
        np.minimum.at(low, index, column)
        np.maximum.at(high, index, column)
        seen = np.isfinite(low)
        if np.all(high[seen] == low[seen]):
            out.append(j)
    return tuple(out)


def _fixed_predictor(
    spec: ModelSpec, design: Design, absorbing: int | None = None, absorbed: tuple[int, ...] = ()
) -> tuple[pt.TensorVariable, pt.TensorVariable | None]:
    """The fixed part of the linear predictor, and the part that a centered factor's intercepts absorb.

    With ``absorbing`` (a factor's position, :func:`_absorbing_factor`) the
    (centred) intercept and the level-wide slopes ``absorbed`` are left out
    of the rows' predictor and returned as each level's prior mean, shape
    (levels,).
    """
    X = pm.Data("X", design.X, dims=("obs", scoped(FIXED_DIM)))
    theta = fixed_coefficients(spec)
    if theta is None:
        return pt.zeros(design.n_obs), None
    if absorbing is None:
        return _fixed_sum(spec, X, theta), None
    factor = design.factors[absorbing]
    position = spec.fixed.index("Intercept")
    around = theta[position] * pt.ones(len(factor.levels))
    theta = pt.set_subtensor(theta[position], 0.0)
    if absorbed:
        columns = list(absorbed)
        first = np.unique(np.asarray(factor.index), return_index=True)[1]
        values = design.X[first][:, columns] - spec.column_means[columns]
        name = spec.factors[absorbing].level_x_var(absorbed)
        around = around + pt.dot(pm.Data(name, values), theta[columns])
        theta = pt.set_subtensor(theta[columns], 0.0)
    return _fixed_sum(spec, X, theta), around


def _fixed_sum(spec: ModelSpec, X: pt.TensorVariable, theta: pt.TensorVariable) -> pt.TensorVariable:
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


def _group_effects(
    spec: ModelSpec, factor: FactorSpec, centered: bool = False, around: pt.TensorVariable | None = None
) -> pt.TensorVariable:
    """The factor's effects as they enter the linear predictor, shape (levels, effects).

    Non-centered: ``u = z L'``. Centered: the effects with prior
    :math:`N(0, \\Sigma)`, or, given ``around`` (each level's fixed part: the
    intercept and the level-wide slopes, see :func:`_absorbing_factor`), the
    group intercepts with prior mean ``around``; ``u`` (the deviations) and
    ``z = L^{-1} u`` are kept for the results.
    """
    sd, chols = factor_scales(spec, factor)
    dims = (scoped(factor.level_dim), scoped(factor.effect_dim))
    if centered:
        mean = pt.zeros(len(factor.effects))
        if around is not None:  # each level's intercept around its own mean
            mean = pt.zeros((len(factor.levels), len(factor.effects)))
            mean = pt.set_subtensor(mean[:, factor.effects.index("Intercept")], around)
        name = factor.u_var if around is None else factor.v_var
        if all(chol is None for chol in chols):
            effects = pm.Normal(name, mean, sd, dims=dims)
            u = effects if around is None else pm.Deterministic(factor.u_var, effects - mean, dims=dims)
            pm.Deterministic(factor.z_var, u / sd, dims=dims)
            return effects
        L = scaled_cholesky(factor, sd, chols)
        effects = pm.MvNormal(name, mu=mean, chol=L, dims=dims)
        u = effects if around is None else pm.Deterministic(factor.u_var, effects - mean, dims=dims)
        pm.Deterministic(factor.z_var, solve_triangular(L, u.T, lower=True).T, dims=dims)
        return effects
    z = pm.Normal(factor.z_var, 0.0, 1.0, dims=dims)
    if all(chol is None for chol in chols):
        # Diagonal scale: ``z * sd`` is ``z @ diag(sd).T`` without the matrix
        # product and the set_subtensor that builds diag(sd).
        u = z * sd
    else:
        u = z @ scaled_cholesky(factor, sd, chols).T
    return pm.Deterministic(factor.u_var, u, dims=dims)
