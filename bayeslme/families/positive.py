"""Positive and bounded continuous responses: gamma, lognormal and beta (brms's parametrizations)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from bayeslme.families.base import Family
from bayeslme.families.standard import sigma_prior
from bayeslme.priors import Prior

__all__ = ["Beta", "Gamma", "LogNormal"]

_DIFFUSE = Prior("gamma", alpha=0.01, beta=0.01)
"""brms's default for a gamma shape and a beta precision: Gamma(0.01, 0.01)."""


@dataclass(frozen=True)
class Gamma(Family):
    """Positive responses with mean ``mu`` and shape ``shape`` (variance ``mu^2 / shape``)."""

    def parameters(self) -> tuple[str, ...]:
        """``shape``."""
        return ("shape",)

    def family_priors(self, y=None, *, y_sd=None) -> dict[str, Prior]:
        """``shape`` ~ Gamma(0.01, 0.01), as brms."""
        return {"shape": _DIFFUSE}

    @property
    def support(self) -> str:
        """Positive values."""
        return "positive"

    def draw_response(self, mu, params, rng, trials=None):
        """Gamma draws with shape ``shape`` and scale ``mu / shape``."""
        shape = params["shape"]
        return rng.gamma(shape, mu / shape)

    def log_likelihood(self, y, mu, params, trials=None):
        """Gamma log density with rate ``shape / mu``."""
        y, shape = np.asarray(y, dtype=float), params["shape"]
        return shape * np.log(shape / mu) + (shape - 1) * np.log(y) - shape * y / mu - special.gammaln(shape)

    def latent_residual_variance(self, params, eta=None, *, link=None, random_variance=0.0):
        """:math:`\\ln(1 + 1/\\text{shape})` (lognormal approximation; 1/shape is the squared CV)."""
        return np.log1p(1.0 / np.asarray(params["shape"]))


@dataclass(frozen=True)
class LogNormal(Family):
    """``log y`` Gaussian with mean ``mu`` (the linear predictor, identity link) and SD ``sigma``."""

    def parameters(self) -> tuple[str, ...]:
        """``sigma`` (on the log scale)."""
        return ("sigma",)

    def family_priors(self, y=None, *, y_sd=None) -> dict[str, Prior]:
        """``sigma`` ~ half-Student-t(3, 0, sd(log y))."""
        return {"sigma": sigma_prior(None if y is None else np.log(y), y_sd)}

    def response_scale(self, y, link, trials=None, offset=None):
        """Mean and SD of ``log y``, the scale of the linear predictor."""
        return super().response_scale(np.log(np.asarray(y, dtype=float)), link)

    @property
    def support(self) -> str:
        """Positive values."""
        return "positive"

    def gaussian_response(self, y):
        """``log y``."""
        return np.log(np.asarray(y, dtype=float))

    def mean(self, mu, params):
        """:math:`\\exp(\\mu + \\sigma^2/2)`."""
        return np.exp(mu + np.asarray(params["sigma"]) ** 2 / 2)

    def mean_parameters(self):
        """``sigma``."""
        return ("sigma",)

    def draw_response(self, mu, params, rng, trials=None):
        """``exp`` of Normal draws."""
        return np.exp(rng.normal(mu, params["sigma"]))

    def log_likelihood(self, y, mu, params, trials=None):
        """Normal log density of ``log y`` minus ``log y`` (the Jacobian)."""
        log_y, sigma = np.log(np.asarray(y, dtype=float)), params["sigma"]
        z = (log_y - mu) / sigma
        return -0.5 * z**2 - np.log(sigma) - 0.5 * np.log(2 * np.pi) - log_y

    def latent_residual_variance(self, params, eta=None, *, link=None, random_variance=0.0):
        """:math:`\\sigma^2` on the log scale (a Gaussian model of ``log y``)."""
        return np.asarray(params["sigma"]) ** 2


@dataclass(frozen=True)
class Beta(Family):
    """Proportions in (0, 1) with mean ``mu`` and precision ``phi`` (variance ``mu (1 - mu) / (1 + phi)``)."""

    def parameters(self) -> tuple[str, ...]:
        """``phi``."""
        return ("phi",)

    def family_priors(self, y=None, *, y_sd=None) -> dict[str, Prior]:
        """``phi`` ~ Gamma(0.01, 0.01), as brms."""
        return {"phi": _DIFFUSE}

    @property
    def support(self) -> str:
        """Values strictly between 0 and 1."""
        return "unit"

    def draw_response(self, mu, params, rng, trials=None):
        """Beta draws with shapes ``mu phi`` and ``(1 - mu) phi``."""
        phi = params["phi"]
        return rng.beta(mu * phi, (1 - mu) * phi)

    def log_likelihood(self, y, mu, params, trials=None):
        """Beta log density."""
        y, phi = np.asarray(y, dtype=float), params["phi"]
        a, b = mu * phi, (1 - mu) * phi
        return (
            special.gammaln(phi)
            - special.gammaln(a)
            - special.gammaln(b)
            + (a - 1) * np.log(y)
            + (b - 1) * np.log1p(-y)
        )

    @property
    def has_latent_scale(self) -> bool:
        """No: Nakagawa et al. (2017) give no latent residual variance for beta models."""
        return False
