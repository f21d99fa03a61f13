"""Parameters drawn from a model's priors, and responses simulated on its own design."""

from __future__ import annotations

import numpy as np

from bayeslme.blocks import structured_correlation_cholesky
from bayeslme.families import get_family, inverse_link
from bayeslme.model import GLMM
from bayeslme.spec import ModelSpec

__all__ = ["draw_parameters", "lkj_correlation", "simulate_response", "true_values"]


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


def _block_correlation(spec: ModelSpec, factor, block, rng: np.random.Generator) -> np.ndarray:
    """One prior draw of a correlated block's correlation matrix (LKJ, or a cs/ar1 rho)."""
    width = len(block.effects)
    if block.structure == "us":
        return lkj_correlation(width, spec.priors[factor.cor_key]["eta"], rng)
    prior = spec.priors[factor.rho_key]
    low, high = block.rho_bounds
    rho = rng.uniform(max(prior["lower"], low), min(prior["upper"], high))
    chol = np.array(structured_correlation_cholesky(block.structure, rho, width), dtype=float)
    return chol @ chol.T


def draw_parameters(spec: ModelSpec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One draw of every parameter from the spec's priors.

    Returns
    -------
    dict
        ``"b"`` (fixed effects on the original predictors), ``"<f>__sd"``,
        ``"<f>__cor"`` (pairs of ``factor.pairs()``), ``"<f>__u"`` (levels x
        effects), the family's own parameters (``"sigma"`` of the Gaussian,
        ``"nu"``, ``"alpha"``), and ``"Intercept_centered"``.
    """
    params: dict[str, np.ndarray] = {}
    slopes = np.array([spec.coefficient_prior(n).sample(rng) for n in spec.slopes])
    b = dict(zip(spec.slopes, slopes, strict=True))
    if spec.has_intercept:
        centred = spec.priors["Intercept"].sample(rng)
        means = np.array([m for n, m in zip(spec.fixed, spec.x_means, strict=True) if n != "Intercept"])
        b["Intercept"] = centred - float(means @ slopes) if slopes.size else centred
        params["Intercept_centered"] = np.array(centred)
    params["b"] = np.array([b[n] for n in spec.fixed])
    for factor in spec.factors:
        sd = np.zeros(len(factor.effects))
        for key, positions in factor.sd_slots():
            sd[list(positions)] = spec.priors[key].sample(rng)
        corr = np.eye(len(factor.effects))
        cors = []
        start = 0
        for block in factor.blocks:
            width = len(block.effects)
            if block.correlated:
                block_corr = _block_correlation(spec, factor, block, rng)
                corr[start : start + width, start : start + width] = block_corr
                rows, cols = np.triu_indices(width, k=1)
                cors.extend(block_corr[rows, cols])
            start += width
        chol = np.linalg.cholesky(corr)
        z = rng.normal(size=(len(factor.levels), len(factor.effects)))
        params[factor.sd_var] = sd
        params[factor.u_var] = (z @ chol.T) * sd
        if cors:
            params[factor.cor_var] = np.array(cors)
    for name in get_family(spec.family).parameters():
        if name in spec.priors:
            params[name] = np.array(spec.priors[name].sample(rng))
    return params


def simulate_response(model: GLMM, params: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Simulate the response on the model's own design given parameter values.

    The linear predictor (fixed part, group effects and any offset) goes
    through the model's inverse link, and the family's
    :meth:`~bayeslme.families.Family.draw_response` draws the observations,
    so every family and link the package fits can be simulated (binomial
    rows use the design's numbers of trials).

    Parameters
    ----------
    model : GLMM
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
    eta = design.X @ params["b"] if design.X.size else np.zeros(design.n_obs)
    for names, factor in zip(model.spec.factors, design.factors, strict=True):
        u = params[names.u_var]
        eta = eta + (factor.Z * u[factor.index]).sum(axis=1)
    if design.offset is not None:
        eta = eta + design.offset
    family = get_family(model.spec.family)
    own = {name: np.asarray(params[name], dtype=float) for name in family.parameters()}
    mean = inverse_link(model.spec.link, eta)
    return np.asarray(family.draw_response(mean, own, rng, trials=design.trials), dtype=float)


def true_values(spec: ModelSpec, params: dict[str, np.ndarray]) -> dict[str, float]:
    """Population-level parameters of one prior draw, keyed by SBC label."""
    values = dict(zip(spec.coefficient_labels, map(float, params["b"]), strict=True))
    for factor in spec.factors:
        for label, value in zip(factor.sd_labels(), params[factor.sd_var], strict=True):
            values[label] = float(value)
        for label, value in zip(factor.cor_labels(), params.get(factor.cor_var, ()), strict=True):
            values[label] = float(value)
    for name in get_family(spec.family).parameters():
        if name in params:
            values[name] = float(params[name])
    return values
