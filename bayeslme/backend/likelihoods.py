"""Observation models: the likelihood of the response given the linear predictor."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayeslme.backend.prior_vars import scalar_scale
from bayeslme.spec import ModelSpec

__all__ = ["add_likelihood"]


def add_likelihood(spec: ModelSpec, eta: pt.TensorVariable, y: np.ndarray) -> None:
    """Add the observed response variable ``y`` to the current model."""
    if spec.family == "gaussian":
        sigma = scalar_scale("sigma", spec.priors["sigma"])
        pm.Normal("y", mu=eta, sigma=sigma, observed=y, dims="obs")
        return
    raise NotImplementedError(spec.family)  # families are validated before this point
