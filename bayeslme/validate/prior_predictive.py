"""Draws from a model's priors and the responses they imply, laid out as a sampler's tree.

The ``prior`` group holds the same variables, names and dims as a fit's
``posterior`` (fixed effects, group-effect SDs, correlations and effects, the
family's parameters), ``prior_predictive`` the simulated responses ``y``
``(chain, draw, obs)`` and ``observed_data`` the response, as PyMC's
``sample_prior_predictive`` lays them out; the draws come from
:func:`~bayeslme.validate.prior_draws.draw_parameters` and
:func:`~bayeslme.validate.prior_draws.simulate_response`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayeslme.errors import BayeslmeError, PriorError
from bayeslme.output import observed_data
from bayeslme.spec.names import (
    CENTERED_THRESHOLDS,
    COEFFICIENTS,
    FIXED_DIM,
    THRESHOLD_DIM,
    THRESHOLDS,
    threshold_labels,
)
from bayeslme.validate.prior_draws import ModelLike, draw_parameters, simulate_response

__all__ = ["prior_predictive_tree"]


def _dims(model: ModelLike) -> tuple[dict[str, tuple[str, ...]], dict[str, list]]:
    dims: dict[str, tuple[str, ...]] = {}
    coords: dict[str, list] = {}
    for p, spec in [("", model.spec)] + [(d.var_prefix, d.spec) for d in model.spec.dpars]:
        dims[p + COEFFICIENTS] = (p + FIXED_DIM,)
        coords[p + FIXED_DIM] = list(spec.fixed)
        for factor in spec.factors:
            coords[p + factor.level_dim] = list(factor.levels)
            coords[p + factor.effect_dim] = list(factor.effects)
            dims[p + factor.sd_var] = (p + factor.effect_dim,)
            dims[p + factor.u_var] = (p + factor.level_dim, p + factor.effect_dim)
            if factor.pairs():
                coords[p + factor.pair_dim] = factor.pair_labels()
                dims[p + factor.cor_var] = (p + factor.pair_dim,)
    if model.spec.response_levels is not None:  # an ordinal model's cut points
        coords[THRESHOLD_DIM] = threshold_labels(model.spec.response_levels)
        dims[THRESHOLDS] = dims[CENTERED_THRESHOLDS] = (THRESHOLD_DIM,)
    return dims, coords


def prior_predictive_tree(model: ModelLike, draws: int, random_seed: int | None = None) -> xr.DataTree:
    """``draws`` parameter sets from the priors of ``model`` and one simulated response each.

    Raises
    ------
    PriorError
        A prior is improper (``flat``), naming its key.
    BayeslmeError
        ``draws`` below 1, or an ``ar()``/``cosy()`` term (its residual
        correlation is not simulated here).
    """
    spec = model.spec
    if not isinstance(draws, int) or draws < 1:
        raise BayeslmeError(f"draws must be a positive integer, got {draws!r}")
    if spec.rescor is not None:
        raise BayeslmeError(
            f"prior_predictive does not simulate the residual correlation of {spec.rescor.kind}(); "
            "drop the term to check the other priors"
        )
    improper = [key for key, prior in spec.priors.items() if prior.dist == "flat"] + [
        d.label_prefix + key
        for d in spec.dpars
        for key, prior in d.spec.priors.items()
        if prior.dist == "flat"
    ]
    if improper:
        raise PriorError(f"prior_predictive needs proper priors; these are flat: {improper}")
    rng = np.random.default_rng(random_seed)
    params, ys = [], []
    for _ in range(draws):
        params.append(draw_parameters(spec, rng))
        ys.append(simulate_response(model, params[-1], rng))
    dims, coords = _dims(model)
    sample = ("chain", "draw")
    variables = {}
    for name in params[0]:  # scalars (the centred intercept, family parameters) have no dims
        variables[name] = (sample + dims.get(name, ()), np.stack([p[name] for p in params])[None])
    base = {"chain": [0], "draw": np.arange(draws)}
    prior = xr.Dataset(variables, coords={**base, **coords})
    replicated = xr.Dataset(
        {"y": (sample + ("obs",), np.stack(ys)[None])}, coords={**base, "obs": np.arange(model.design.n_obs)}
    )
    return xr.DataTree.from_dict(
        {"prior": prior, "prior_predictive": replicated, "observed_data": observed_data(model.design)}
    )
