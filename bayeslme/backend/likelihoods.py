"""Observation models: the likelihood of the response given the linear predictor."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayeslme.backend.prior_vars import scalar_scale
from bayeslme.backend.rescor import add_correlated_normal
from bayeslme.formula.rescor import RescorDesign
from bayeslme.spec import ModelSpec

__all__ = ["RESPONSE_DATA", "add_likelihood"]

RESPONSE_DATA = "y__observed"
"""Name of the ``pm.Data`` container holding the observed response."""


def add_likelihood(
    spec: ModelSpec,
    eta: pt.TensorVariable,
    y: np.ndarray,
    trials: np.ndarray | None = None,
    rescor: RescorDesign | None = None,
) -> None:
    """Add the observed response variable ``y`` to the current model.

    Parameters
    ----------
    spec : ModelSpec
        Family, link and priors of the family's own parameters.
    eta : TensorVariable, shape (n,)
        Linear predictor, offset included.
    y : ndarray, shape (n,)
        Observed response (successes for binomial).
    trials : ndarray, optional
        Number of trials per row (binomial).
    rescor : RescorDesign, optional
        Index arrays of a residual correlation term (Gaussian only; see
        :mod:`bayeslme.backend.rescor`).
    """
    family, link = spec.family, spec.link
    # The response enters as a data container, not a graph constant, so that
    # a refit on a new response of the same shape (SBC, bootstrap, a cached
    # session) reuses the compiled model. PyMC leaves a container used as
    # observed data out of ``constant_data``; the values stay in ``observed_data``.
    y = pm.Data(RESPONSE_DATA, y, dims="obs")
    if family == "gaussian":
        sigma = scalar_scale("sigma", spec.priors["sigma"])
        if spec.rescor is not None and rescor is not None:
            add_correlated_normal(spec.rescor, rescor, eta, sigma, spec.priors[spec.rescor.kind], y)
        else:
            pm.Normal("y", mu=eta, sigma=sigma, observed=y, dims="obs")
    elif family == "student_t":
        sigma = scalar_scale("sigma", spec.priors["sigma"])
        nu = scalar_scale("nu", spec.priors["nu"])
        pm.StudentT("y", nu=nu, mu=eta, sigma=sigma, observed=y, dims="obs")
    elif family in ("bernoulli", "binomial"):
        n = 1 if family == "bernoulli" else pm.Data("trials", np.asarray(trials, dtype=np.int64), dims="obs")
        if link == "logit":
            pm.Binomial("y", n=n, logit_p=eta, observed=y, dims="obs")
        else:
            p = 0.5 * pt.erfc(-eta / np.sqrt(2.0))
            pm.Binomial("y", n=n, p=pt.clip(p, 1e-12, 1 - 1e-12), observed=y, dims="obs")
    elif family == "poisson":
        pm.Poisson("y", mu=pt.exp(eta), observed=y, dims="obs")
    elif family == "negativebinomial":
        alpha = scalar_scale("alpha", spec.priors["alpha"])
        pm.NegativeBinomial("y", mu=pt.exp(eta), alpha=alpha, observed=y, dims="obs")
    else:
        raise NotImplementedError(family)  # families are validated before this point
