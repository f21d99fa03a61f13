"""Link functions: the linear predictor to the response scale and back, on numpy arrays."""

from __future__ import annotations

import numpy as np
from scipy import special

from bayeslme.errors import FamilyError

__all__ = ["LINKS", "inverse_link", "link_function"]

LINKS = ("identity", "logit", "probit", "log")


def inverse_link(link: str, eta: np.ndarray) -> np.ndarray:
    """Map the linear predictor to the response scale (mean or probability)."""
    eta = np.asarray(eta, dtype=float)
    if link == "identity":
        return eta
    if link == "logit":
        return special.expit(eta)
    if link == "probit":
        return special.ndtr(eta)
    if link == "log":
        return np.exp(eta)
    raise FamilyError(f"unknown link {link!r}")


def link_function(link: str, mu: np.ndarray) -> np.ndarray:
    """Map a mean (or probability) to the link scale; inverse of :func:`inverse_link`."""
    mu = np.asarray(mu, dtype=float)
    if link == "identity":
        return mu
    if link == "logit":
        return special.logit(mu)
    if link == "probit":
        return special.ndtri(mu)
    if link == "log":
        return np.log(mu)
    raise FamilyError(f"unknown link {link!r}")
