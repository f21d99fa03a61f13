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
``<f>__u`` (group effects), family parameters such as ``sigma``, ``nu``,
``alpha``. An ``offset`` (``pm.Data``) is added to :math:`\\eta` when the
formula has one; binomial trials enter as ``pm.Data("trials")``.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayeslme.backend.likelihoods import add_likelihood
from bayeslme.backend.prior_vars import location_vector, scale_vector
from bayeslme.formula.design import Design
from bayeslme.spec import FactorSpec, ModelSpec

__all__ = ["build_pymc_model", "model_coords"]


def model_coords(spec: ModelSpec, n_obs: int) -> dict[str, list]:
    """Named coordinates of every dimension the model uses."""
    coords: dict[str, list] = {"obs": list(range(n_obs)), "fixed": list(spec.fixed)}
    for factor in spec.factors:
        coords[factor.name] = list(factor.levels)
        coords[f"{factor.name}__effect"] = list(factor.effects)
        if factor.pairs():
            coords[f"{factor.name}__cor_pair"] = factor.pair_labels()
    return coords


def build_pymc_model(spec: ModelSpec, design: Design) -> pm.Model:
    """Build the PyMC model of ``spec`` on ``design``'s data.

    Parameters
    ----------
    spec : ModelSpec
        Resolved model specification.
    design : Design
        Design evaluated on the fitting data.

    Returns
    -------
    pymc.Model
        With named dims; data enter through ``pm.Data`` containers.
    """
    with pm.Model(coords=model_coords(spec, design.n_obs)) as model:
        eta = _fixed_predictor(spec, design)
        for factor_spec, factor in zip(spec.factors, design.factors, strict=True):
            index = pm.Data(f"{factor.name}__index", factor.index, dims="obs")
            Z = pm.Data(f"{factor.name}__Z", factor.Z, dims=("obs", f"{factor.name}__effect"))
            u = _group_effects(spec, factor_spec)
            eta = eta + (Z * u[index]).sum(axis=1)
        if design.offset is not None:
            eta = eta + pm.Data("offset", design.offset, dims="obs")
        add_likelihood(spec, eta, design.y, design.trials)
    return model


def _fixed_predictor(spec: ModelSpec, design: Design) -> pt.TensorVariable:
    X = pm.Data("X", design.X, dims=("obs", "fixed"))
    if not spec.fixed:
        return pt.zeros(design.n_obs)
    if not spec.has_intercept:
        beta = location_vector("b", [spec.priors[f"b[{n}]"] for n in spec.fixed], dims="fixed")
        return X @ beta
    slopes = [j for j, name in enumerate(spec.fixed) if name != "Intercept"]
    intercept_c = location_vector("Intercept_centered", [spec.priors["Intercept"]])[0]
    if not slopes:
        pm.Deterministic("b", intercept_c[None], dims="fixed")
        return intercept_c + pt.zeros(design.n_obs)
    means = np.array([spec.x_means[j] for j in slopes])
    beta = location_vector("b_slopes", [spec.priors[f"b[{spec.fixed[j]}]"] for j in slopes])
    intercept = intercept_c - pt.dot(means, beta)
    full = pt.zeros(len(spec.fixed))
    full = pt.set_subtensor(full[spec.fixed.index("Intercept")], intercept)
    full = pt.set_subtensor(full[np.array(slopes)], beta)
    pm.Deterministic("b", full, dims="fixed")
    return intercept_c + (X[:, slopes] - means) @ beta


def _group_effects(spec: ModelSpec, factor: FactorSpec) -> pt.TensorVariable:
    name = factor.name
    sd = scale_vector(
        f"{name}__sd",
        [spec.priors[f"sd[{name}|{effect}]"] for effect in factor.effects],
        dims=f"{name}__effect",
    )
    z = pm.Normal(f"{name}__z", 0.0, 1.0, dims=(name, f"{name}__effect"))
    columns = []
    correlations = []
    start = 0
    for k, block in enumerate(factor.blocks):
        width = len(block.effects)
        z_block = z[:, start : start + width]
        if block.correlated:
            eta = spec.priors[f"cor[{name}]"]["eta"]
            chol = pm.LKJCorr(f"{name}__L{k}", n=width, eta=eta)
            z_block = z_block @ chol.T
            corr = chol @ chol.T
            rows, cols = np.triu_indices(width, k=1)
            correlations.append(corr[rows, cols])
        columns.append(z_block)
        start += width
    u = pt.concatenate(columns, axis=1) * sd
    if correlations:
        pm.Deterministic(f"{name}__cor", pt.concatenate(correlations), dims=f"{name}__cor_pair")
    return pm.Deterministic(f"{name}__u", u, dims=(name, f"{name}__effect"))
