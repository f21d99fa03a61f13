"""Create PyMC random variables from :class:`~bayeslme.priors.Prior` objects."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayeslme.priors import Prior, shape_parameters
from bayeslme.spec import part_var, prior_data_var, unit_var

__all__ = ["location_vector", "scalar_probability", "scale_vector", "scalar_scale"]


def location_vector(
    name: str, priors: Sequence[Prior], dims: str | None = None, *, shared: bool = False
) -> pt.TensorVariable:
    """A vector of location parameters, one prior each, grouped by family.

    Coefficients sharing a prior family become one vectorised random variable;
    mixed families are assembled in order. With ``shared=True`` the prior
    parameters enter as ``pm.Data`` (``<name>__prior_mu`` ...), so a compiled
    model can be reused with other prior values.
    """
    groups = _group_by(priors, key=lambda p: p.dist)
    if len(groups) == 1:
        ((dist, indices),) = groups.items()
        return _location_rv(name, dist, [priors[i] for i in indices], dims=dims, shared=shared)
    parts = pt.zeros(len(priors))
    for dist, indices in groups.items():
        rv = _location_rv(
            part_var(name, dist), dist, [priors[i] for i in indices], shape=len(indices), shared=shared
        )
        parts = pt.set_subtensor(parts[np.array(indices)], rv)
    return pm.Deterministic(name, parts, dims=dims)


def scale_vector(
    name: str, priors: Sequence[Prior], dims: str | None = None, *, shared: bool = False
) -> pt.TensorVariable:
    """A vector of positive scales, each written as ``scale * unit`` variable.

    Parametrising each SD as its prior scale times a unit-scale variable gives
    the same prior as the scaled distribution, puts every sampled parameter on
    a comparable scale, and avoids the initial-point failures seen with
    vector-valued ``sd_dist`` arguments. With ``shared=True`` the scales enter
    as ``pm.Data`` named ``<name>__prior_scale``.
    """
    groups = _group_by(priors, key=lambda p: (p.dist, shape_parameters(p)))
    scales = _constant(prior_data_var(name, "scale"), [p.scale for p in priors], shared)
    if len(groups) == 1:
        (((dist, shape), indices),) = groups.items()
        unit = _unit_rv(unit_var(name), dist, shape, dims=dims, size=len(priors))
        return pm.Deterministic(name, unit * scales, dims=dims)
    units = pt.zeros(len(priors))
    for k, ((dist, shape), indices) in enumerate(groups.items()):
        rv = _unit_rv(unit_var(name, k), dist, shape, size=len(indices))
        units = pt.set_subtensor(units[np.array(indices)], rv)
    return pm.Deterministic(name, units * scales, dims=dims)


def scalar_scale(name: str, prior: Prior, *, shared: bool = False) -> pt.TensorVariable:
    """One positive scale parameter stored under ``name``."""
    unit = _unit_rv(unit_var(name), prior.dist, shape_parameters(prior))
    return pm.Deterministic(name, unit * _constant(prior_data_var(name, "scale"), prior.scale, shared))


def scalar_probability(name: str, prior: Prior) -> pt.TensorVariable:
    """One probability stored under ``name``, with a ``uniform(lower, upper)`` prior inside [0, 1]."""
    return pm.Uniform(name, lower=prior["lower"], upper=prior["upper"])


def _constant(name: str, values, shared: bool):
    """Prior parameter values: a numpy constant, or a ``pm.Data`` container when ``shared``."""
    values = np.asarray(values, dtype=float)
    return pm.Data(name, values) if shared else values


def _group_by(priors: Sequence[Prior], key) -> dict:
    groups: dict = {}
    for i, prior in enumerate(priors):
        groups.setdefault(key(prior), []).append(i)
    return groups


def _location_rv(name, dist, priors, dims=None, shape=None, shared=False):
    kwargs = {"dims": dims} if dims is not None else {"shape": shape or len(priors)}
    if dist == "flat":
        return pm.Flat(name, **kwargs)
    mu = _constant(prior_data_var(name, "mu"), [p["mu"] for p in priors], shared)
    sigma = _constant(prior_data_var(name, "sigma"), [p["sigma"] for p in priors], shared)
    if dist == "normal":
        return pm.Normal(name, mu=mu, sigma=sigma, **kwargs)
    nu = _constant(prior_data_var(name, "nu"), [p["nu"] for p in priors], shared)
    return pm.StudentT(name, nu=nu, mu=mu, sigma=sigma, **kwargs)


def _unit_rv(name, dist, shape_params, dims=None, size=None):
    kwargs = {}
    if dims is not None:
        kwargs["dims"] = dims
    elif size is not None:
        kwargs["shape"] = size
    if dist == "halfnormal":
        return pm.HalfNormal(name, sigma=1.0, **kwargs)
    if dist == "halfstudent_t":
        return pm.HalfStudentT(name, nu=shape_params[0], sigma=1.0, **kwargs)
    if dist == "halfcauchy":
        return pm.HalfCauchy(name, beta=1.0, **kwargs)
    if dist == "exponential":
        return pm.Exponential(name, lam=1.0, **kwargs)
    return pm.Gamma(name, alpha=shape_params[0], beta=1.0, **kwargs)
