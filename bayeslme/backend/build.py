"""Choose and build the PyMC model of a spec: collapsed or non-centered.

``method="auto"`` uses the collapsed Gaussian model
(:mod:`bayeslme.backend.collapsed`) where it applies (Gaussian family,
identity link, a single grouping factor or two nested factors) and the
non-centered model (:mod:`bayeslme.backend.pymc_model`) otherwise, including
for crossed factors and three or more factors.
"""

from __future__ import annotations

import json

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

__all__ = ["METHODS", "build_model", "finish_idata", "resolve_method"]

METHODS = ("auto", "collapsed", "noncentered")


def resolve_method(spec: ModelSpec, method: str, design: Design) -> str:
    """The concrete parametrisation for ``method``.

    Whether two factors are nested is decided on ``design``'s data, not on the
    formula text: ``(1 | school) + (1 | class_id)`` with class ids unique
    across schools is nested.

    Raises
    ------
    SamplerError
        For an unknown method, or ``"collapsed"`` on a model it does not support.
    """
    if method not in METHODS:
        raise SamplerError(f"unknown method {method!r}; choose one of {list(METHODS)}")
    if method == "auto":
        return "collapsed" if supports_collapsed(spec, design) else "noncentered"
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


def build_model(spec: ModelSpec, design: Design, method: str) -> tuple[pm.Model, tuple]:
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
    spec (SBC, a simulation study) reuses the compiled model.
    """
    if method == "collapsed":
        nesting = collapsed_nesting(design)
        outer = None if nesting is None else nesting.outer
        return build_collapsed_model(spec, design), (method, _graph_key(spec), outer)
    spec_json = json.dumps(spec.to_dict(), sort_keys=True)
    return build_pymc_model(spec, design), (method, spec_json)


def _graph_key(spec: ModelSpec) -> str:
    structure = spec.to_dict()
    del structure["x_means"]
    structure["priors"] = {key: graph_constants(prior) for key, prior in spec.priors.items()}
    return json.dumps(structure, sort_keys=True)


def finish_idata(
    idata: xr.DataTree, spec: ModelSpec, design: Design, method: str, random_seed: int | None
) -> xr.DataTree:
    """Give a collapsed fit's tree the group effects and data of a non-centered one."""
    if method == "collapsed":
        return add_group_effects(idata, spec, design, random_seed)
    return idata
