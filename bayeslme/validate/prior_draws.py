"""Parameters drawn from a model's priors, and responses simulated on its own design."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from bayeslme.blocks import BlockSpec, block_cholesky, structured_cholesky_array
from bayeslme.families import get_family
from bayeslme.links import inverse_link
from bayeslme.spec import FactorSpec, ModelSpec
from bayeslme.spec.names import (
    CENTERED_INTERCEPT,
    CENTERED_THRESHOLDS,
    COEFFICIENTS,
    THRESHOLDS,
    threshold_key,
    threshold_labels,
)

if TYPE_CHECKING:
    from bayeslme.formula.design import Design

__all__ = ["ModelLike", "draw_parameters", "lkj_correlation", "simulate_response", "true_values"]


class ModelLike(Protocol):
    """What simulation reads of a model (a :class:`bayeslme.GLMM` is one): its spec and design."""

    @property
    def spec(self) -> ModelSpec:
        """The model's structure and priors."""

    @property
    def design(self) -> Design:
        """The fitting data, encoded."""


def lkj_correlation(k: int, eta: float, rng: np.random.Generator) -> np.ndarray:
    """A ``k x k`` correlation matrix from LKJ(eta) by the C-vine method.

    Partial correlations of the vine are :math:`2\\,\\mathrm{Beta}(\\beta, \\beta) - 1`
    with :math:`\\beta` starting at :math:`\\eta + (k - 1)/2` and decreasing
    by 1/2 per tree (Lewandowski, Kurowicka & Joe 2009, section 2.4). For
    ``k = 2`` this is :math:`r = 2\\,\\mathrm{Beta}(\\eta, \\eta) - 1`.
    """
    beta = eta + (k - 1) / 2
    partial = np.zeros((k, k))
    corr = np.eye(k)
    for i in range(k - 1):
        beta -= 0.5
        for j in range(i + 1, k):
            partial[i, j] = 2 * rng.beta(beta, beta) - 1
            value = partial[i, j]
            for m in range(i - 1, -1, -1):
                value = value * np.sqrt((1 - partial[m, i] ** 2) * (1 - partial[m, j] ** 2))
                value += partial[m, i] * partial[m, j]
            corr[i, j] = corr[j, i] = value
    return corr


def _block_correlation(
    spec: ModelSpec, factor: FactorSpec, block: BlockSpec, rng: np.random.Generator
) -> np.ndarray:
    """One prior draw of a correlated block's correlation matrix.

    An unstructured block draws it from LKJ (:func:`lkj_correlation`); a
    ``cs`` or ``ar1`` block draws its :math:`\\rho` uniformly within both the
    prior's range and the structure's bounds and builds the matrix from its
    closed-form Cholesky factor (:func:`bayeslme.blocks.structured_cholesky_array`).
    """
    width = len(block.effects)
    if block.structure == "us":
        return lkj_correlation(width, spec.priors[factor.cor_key]["eta"], rng)
    prior = spec.priors[factor.rho_key]
    low, high = block.rho_bounds
    rho = rng.uniform(max(prior["lower"], low), min(prior["upper"], high))
    chol = structured_cholesky_array(block.structure, rho, width)
    return chol @ chol.T


def _group_effects(
    factor: FactorSpec, sd: np.ndarray, corrs: list[np.ndarray | None], z: np.ndarray
) -> np.ndarray:
    """Group effects ``levels x effects`` from standard normals ``z``, the SDs and each block's correlation.

    ``u = z C^T diag(sd)`` with ``C`` the block-diagonal correlation Cholesky
    factor (:func:`bayeslme.blocks.block_cholesky` with unit SDs). Every
    correlated block is factorised by LAPACK, ``cs``/``ar1`` ones too, and
    the SDs scale the product rather than ``C``: with the closed-form
    ``cs``/``ar1`` factor, or the SDs folded into ``C``, the effects would
    differ in the last bits (up to 1.4e-15 relative) from the draws of
    earlier versions, and the SBC runs of ``docs/validation.md`` would not
    reproduce bit for bit.
    """
    chols = [None if corr is None else np.linalg.cholesky(corr) for corr in corrs]
    unit = block_cholesky(factor.blocks, np.ones_like(sd), chols)
    return (z @ unit.T) * sd


def draw_parameters(spec: ModelSpec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One draw of every parameter from the spec's priors.

    The random stream is, in order: the slopes, the centred intercept, then
    per factor its SDs, its correlated blocks' correlations and its
    standardised effects, then the family's own parameters.

    Parameters
    ----------
    spec : ModelSpec
        Model whose resolved priors are drawn from (all proper).
    rng : numpy.random.Generator

    Returns
    -------
    dict
        ``"b"`` (fixed effects on the original predictors), ``"<f>__sd"``,
        ``"<f>__cor"`` (pairs of ``factor.pairs()``), ``"<f>__u"`` (levels x
        effects), the family's own parameters (``"sigma"`` of the Gaussian,
        ``"nu"``, ``"alpha"``), and ``"Intercept_centered"``.

    Raises
    ------
    PriorError
        If a prior the draw needs is improper (see :meth:`Prior.sample`).
    """
    params: dict[str, np.ndarray] = {}
    slopes = np.array([spec.coefficient_prior(n).sample(rng) for n in spec.slopes])
    b = dict(zip(spec.slopes, slopes, strict=True))
    if spec.has_intercept:
        centred = spec.priors["Intercept"].sample(rng)
        means = np.array([m for n, m in zip(spec.fixed, spec.x_means, strict=True) if n != "Intercept"])
        b["Intercept"] = centred - float(means @ slopes) if slopes.size else centred
        params[CENTERED_INTERCEPT] = np.array(centred)
    params[COEFFICIENTS] = np.array([b[n] for n in spec.fixed])
    for factor in spec.factors:
        sd = np.zeros(len(factor.effects))
        for key, positions in factor.sd_slots():
            sd[list(positions)] = spec.priors[key].sample(rng)
        corrs: list[np.ndarray | None] = []
        cors: list[float] = []
        for block in factor.blocks:
            corr = _block_correlation(spec, factor, block, rng) if block.correlated else None
            corrs.append(corr)
            if corr is not None:
                rows, cols = np.triu_indices(len(block.effects), k=1)
                cors.extend(corr[rows, cols])
        z = rng.normal(size=(len(factor.levels), len(factor.effects)))
        params[factor.sd_var] = sd
        params[factor.u_var] = _group_effects(factor, sd, corrs, z)
        if cors:
            params[factor.cor_var] = np.array(cors)
    for name in get_family(spec.family).parameters():
        if name == THRESHOLDS and spec.response_levels is not None:
            # iid draws sorted: the prior on the ordered cut points is the iid one restricted to order;
            # it is on the cut points at the column means (see backend.likelihoods), shifted to x = 0
            size = len(spec.response_levels) - 1
            centred = np.sort(np.asarray(spec.priors[name].sample(rng, size), dtype=float))
            params[CENTERED_THRESHOLDS] = centred
            params[name] = centred + float(params[COEFFICIENTS] @ spec.column_means)
        elif name in spec.priors:
            params[name] = np.array(spec.priors[name].sample(rng))
    for dpar in spec.dpars:  # a parameter's formula: its own draws, prefixed (sigma::b, ...)
        params.update({dpar.var_prefix + k: v for k, v in draw_parameters(dpar.spec, rng).items()})
    return params


def _linear_predictor(spec: ModelSpec, design: Design, params: dict[str, np.ndarray]) -> np.ndarray:
    """Fixed part, group effects and offset of ``spec``'s linear predictor on ``design``'s rows."""
    eta = design.X @ params[COEFFICIENTS] if design.X.size else np.zeros(design.n_obs)
    for names, factor in zip(spec.factors, design.factors, strict=True):
        u = params[names.u_var]
        eta = eta + (factor.Z * u[factor.index]).sum(axis=1)
    if design.offset is not None:
        eta = eta + design.offset
    return eta


def _unprefixed(params: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}


def simulate_response(
    model: ModelLike, params: dict[str, np.ndarray], rng: np.random.Generator
) -> np.ndarray:
    """Simulate the response on the model's own design given parameter values.

    The linear predictor (fixed part, group effects and any offset) goes
    through the model's inverse link, and the family's
    :meth:`~bayeslme.families.Family.draw_response` draws the observations,
    so every family and link the package fits can be simulated (binomial
    rows use the design's numbers of trials).

    Parameters
    ----------
    model : GLMM or ModelLike
        Supplies the design (``X``, ``Z``, level indices, trials, offset),
        the family and the link.
    params : dict
        One parameter draw as returned by :func:`draw_parameters`.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        One simulated response per row of the design.
    """
    design = model.design
    eta = _linear_predictor(model.spec, design, params)
    family = get_family(model.spec.family, model.spec.link)
    own = {}
    for name in family.parameters():
        if any(d.name == name for d in model.spec.dpars):  # one value per row, from its formula
            dpar = model.spec.dpar(name)
            part = _linear_predictor(dpar.spec, design.dpars[name], _unprefixed(params, dpar.var_prefix))
            own[name] = inverse_link(dpar.link, part)
        else:
            own[name] = np.asarray(params[name], dtype=float)
    mean = family.location(model.spec.link, eta)
    return np.reshape(
        np.asarray(family.draw_response(mean, own, rng, trials=design.trials), dtype=float), eta.shape
    )


def true_values(spec: ModelSpec, params: dict[str, np.ndarray]) -> dict[str, float]:
    """Population-level parameters of one prior draw, keyed by SBC label."""
    values = dict(zip(spec.coefficient_labels, map(float, params[COEFFICIENTS]), strict=True))
    for factor in spec.factors:
        for label, value in zip(factor.sd_labels(), params[factor.sd_var], strict=True):
            values[label] = float(value)
        for label, value in zip(factor.cor_labels(), params.get(factor.cor_var, ()), strict=True):
            values[label] = float(value)
    for name in get_family(spec.family).parameters():
        if name == THRESHOLDS and name in params and spec.response_levels is not None:
            labels = [threshold_key(label) for label in threshold_labels(spec.response_levels)]
            values.update(zip(labels, map(float, params[name]), strict=True))
        elif name in params:
            values[name] = float(params[name])
    for dpar in spec.dpars:
        part = true_values(dpar.spec, _unprefixed(params, dpar.var_prefix))
        values.update({dpar.label_prefix + label: value for label, value in part.items()})
    return values
