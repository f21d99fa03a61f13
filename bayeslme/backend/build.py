"""Choose and build the PyMC model of a spec: collapsed or non-centered.

``method="auto"`` uses the collapsed Gaussian model
(:mod:`bayeslme.backend.collapsed`) where it applies (Gaussian family,
identity link, a single grouping factor or two nested factors), the
marginal one for other Gaussian models with several factors (crossed
factors, three or more: the factor with the most effects integrated out
given the others, :mod:`bayeslme.kernel`; sampled by the precompiled
kernel only) when the factors left to sample are intercepts alone, and the
non-centered model (:mod:`bayeslme.backend.pymc_model`) otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pymc as pm
import xarray as xr

from bayeslme.backend.collapsed import (
    add_group_effects,
    build_collapsed_model,
    collapsed_nesting,
    supports_collapsed,
)
from bayeslme.backend.pymc_model import build_pymc_model
from bayeslme.errors import SamplerError
from bayeslme.formula.design import Design
from bayeslme.priors import graph_constants
from bayeslme.spec import ModelSpec

__all__ = ["METHODS", "build_model", "finish_idata", "resolve_method", "supports_marginal"]

METHODS = ("auto", "collapsed", "marginal", "noncentered")


def resolve_method(spec: ModelSpec, method: str, design: Design) -> str:
    """The concrete parametrisation for ``method``.

    Whether two factors are nested is decided on ``design``'s data, not on the
    formula text: ``(1 | school) + (1 | class_id)`` with class ids unique
    across schools is nested.

    Raises
    ------
    SamplerError
        For an unknown method, or ``"collapsed"`` or ``"marginal"`` on a model
        it does not support (``"marginal"`` also needs independent residuals).
    """
    if method not in METHODS:
        raise SamplerError(f"unknown method {method!r}; choose one of {list(METHODS)}")
    if spec.dpars and method in ("collapsed", "marginal"):
        raise SamplerError(
            f"method={method!r} integrates group effects out of a likelihood with one residual SD; "
            f"this model's {[d.name for d in spec.dpars]} vary by row (their formulas). Use "
            "method='noncentered' (or 'auto')"
        )
    if method == "auto":
        if spec.dpars:  # a residual SD per row: neither integration applies
            return "noncentered"
        if supports_collapsed(spec, design):
            return "collapsed"
        return "marginal" if supports_marginal(spec) and _marginal_pays(spec, design) else "noncentered"
    if method == "marginal" and not supports_marginal(spec):
        raise SamplerError(
            "method='marginal' integrates one grouping factor out of a Gaussian likelihood given "
            "the others: it needs the Gaussian family with identity link, independent residuals "
            f"and two or more grouping factors. This model has family {spec.family!r}, link "
            f"{spec.link!r} and factors {[f.name for f in spec.factors]}. Use method='noncentered' "
            "(or 'auto')"
        )
    if method == "collapsed" and spec.rescor is not None:
        raise SamplerError(
            f"method='collapsed' does not support the residual correlation term {spec.rescor} (its "
            "group sums assume independent residuals); use method='noncentered' (or 'auto')"
        )
    if method == "collapsed" and not supports_collapsed(spec, design):
        raise SamplerError(
            "method='collapsed' needs a Gaussian model with identity link and either exactly one "
            "grouping factor or two factors of which one is nested in the other (every level of "
            "the inner factor within one level of the outer, as in (1 | school/class)); crossed "
            "factors and three or more factors are not supported. This model has family "
            f"{spec.family!r} and factors {[f.name for f in spec.factors]}. Use "
            "method='noncentered' (or 'auto')"
        )
    return method


def supports_marginal(spec: ModelSpec) -> bool:
    """Whether method ``"marginal"`` applies: Gaussian, identity link, independent residuals, 2+ factors."""
    return (
        spec.family == "gaussian"
        and spec.link == "identity"
        and spec.rescor is None
        and len(spec.factors) >= 2
    )


def _marginal_pays(spec: ModelSpec, design: Design) -> bool:
    """Whether ``"auto"`` takes the marginal method: every factor left to sample is an intercept alone.

    Measured (docs/performance.md, run 16): with intercept-only factors left,
    which the default ``centered="auto"`` can centre, the marginal method gave
    9.3 x the non-centered model's bulk ESS per second on crossed10k and
    1.5 x on InstEval;
    with a correlated slope left (subjects x items, maximal model) it was
    level with the non-centered model in ESS per second over two seeds and
    had the higher R-hat (1.012 and 1.007 against 1.004 and 1.002).
    """
    from bayeslme.kernel.factor_choice import marginal_factors

    integrated = marginal_factors(spec, design)
    return all(tuple(f.effects) == ("Intercept",) for p, f in enumerate(spec.factors) if p not in integrated)


def build_model(
    spec: ModelSpec,
    design: Design,
    method: str,
    centered: tuple[bool, ...] = (),
    dpar_centered: Mapping[str, tuple[bool, ...]] | None = None,
) -> tuple[pm.Model, tuple]:
    """Build the model and the key under which its compiled form may be cached.

    Values that enter as ``pm.Data`` are not part of the key (the sampler adds
    their names and shapes). In the collapsed model these are the sufficient
    statistics, the prior locations and scales and the centring means, so its
    key holds only the graph's structure: formula, family, fixed and factor
    names, levels and each prior's family and shape parameters. A refit of the
    same formula on new data with the same levels therefore reuses the
    compiled model even though the default priors are rescaled to the new
    response. For nested factors the key also says which factor is the outer
    one (the map of inner to outer levels is data). The non-centered model
    keeps priors as graph constants, so its key holds the full spec; the
    response is a data container there too, so a new response with the same
    spec (SBC, a simulation study) reuses the compiled model. ``centered``
    (per factor, for the non-centered method) samples those factors' effects
    centered instead, and is part of the key; ``dpar_centered`` likewise for
    the factors of the parameters' formulas (by parameter name).
    """
    if method == "collapsed":
        nesting = collapsed_nesting(spec, design)
        outer = None if nesting is None else nesting.outer
        return build_collapsed_model(spec, design), (method, _graph_key(spec), outer)
    spec_json = json.dumps(spec.to_dict(), sort_keys=True)
    flags = tuple(bool(flag) for flag in centered)
    extra = {name: tuple(map(bool, f)) for name, f in (dpar_centered or {}).items() if any(f)}
    model = build_pymc_model(spec, design, flags, extra)
    return model, (
        method,
        spec_json,
        *([flags] if any(flags) else []),
        *([tuple(sorted(extra.items()))] if extra else []),
    )


def _graph_key(spec: ModelSpec) -> str:
    structure = spec.to_dict()
    del structure["x_means"]
    structure["priors"] = {key: graph_constants(prior) for key, prior in spec.priors.items()}
    return json.dumps(structure, sort_keys=True)


def finish_idata(
    idata: xr.DataTree, spec: ModelSpec, design: Design, method: str, random_seed: int | None
) -> xr.DataTree:
    """Complete a sampler's tree: group effects of a collapsed fit, and every fit's log prior.

    A collapsed fit gets the group effects and data of a non-centered one;
    every tree gets its ``log_prior`` group (:mod:`bayeslme.results.log_prior`,
    for ArviZ's prior sensitivity).
    """
    from bayeslme.results.log_prior import LOG_PRIOR_GROUP, log_prior_dataset

    if method == "collapsed":
        idata = add_group_effects(idata, spec, design, random_seed)
    idata[LOG_PRIOR_GROUP] = xr.DataTree(log_prior_dataset(spec, idata["posterior"].to_dataset()))
    return idata
