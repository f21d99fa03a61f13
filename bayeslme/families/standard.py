"""The first six families: Gaussian, Student-t, Bernoulli, binomial, Poisson, negative binomial."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from bayeslme.errors import FamilyError
from bayeslme.families.base import Family, expected_count, log_binomial_coefficient
from bayeslme.priors import Prior

__all__ = ["Bernoulli", "Binomial", "Gaussian", "NegativeBinomial", "Poisson", "StudentT", "sigma_prior"]


def sigma_prior(y: np.ndarray | None, y_sd: float | None) -> Prior:
    """``sigma`` ~ half-Student-t(3, 0, sd(y))."""
    scale = (float(np.std(y)) if y_sd is None else y_sd) or 1.0
    return Prior("halfstudent_t", nu=3, sigma=scale)


def _trials(trials: np.ndarray | None) -> np.ndarray:
    if trials is None:
        raise FamilyError("the binomial family needs the number of trials")
    return np.asarray(trials, dtype=float)


def _log_count_variance(eta: np.ndarray | None, name: str, random_variance) -> np.ndarray:
    if eta is None:
        raise FamilyError(f"the latent residual variance of family {name!r} needs eta")
    return expected_count(eta, random_variance)


@dataclass(frozen=True)
class Gaussian(Family):
    """Normal residuals with SD ``sigma``."""

    def parameters(self) -> tuple[str, ...]:
        """``sigma``."""
        return ("sigma",)

    def family_priors(self, y=None, *, y_sd=None) -> dict[str, Prior]:
        """``sigma`` ~ half-Student-t(3, 0, sd(y))."""
        return {"sigma": sigma_prior(y, y_sd)}

    def draw_response(self, mu, params, rng, trials=None):
        """Normal draws."""
        return rng.normal(mu, params["sigma"])

    def log_likelihood(self, y, mu, params, trials=None):
        """Normal log density."""
        sigma = params["sigma"]
        z = (np.asarray(y, dtype=float) - mu) / sigma
        return -0.5 * z**2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)

    def latent_residual_variance(self, params, eta=None, *, link=None, random_variance=0.0):
        """:math:`\\sigma^2`."""
        return np.asarray(params["sigma"]) ** 2


@dataclass(frozen=True)
class StudentT(Family):
    """Student-t residuals with scale ``sigma`` and degrees of freedom ``nu``."""

    def parameters(self) -> tuple[str, ...]:
        """``sigma``, ``nu``."""
        return ("sigma", "nu")

    def family_priors(self, y=None, *, y_sd=None) -> dict[str, Prior]:
        """``sigma`` as Gaussian's; ``nu`` ~ Gamma(2, 0.1) (brms's default, mean 20)."""
        return {"sigma": sigma_prior(y, y_sd), "nu": Prior("gamma", alpha=2, beta=0.1)}

    def draw_response(self, mu, params, rng, trials=None):
        """Location-scale t draws."""
        return mu + params["sigma"] * rng.standard_t(params["nu"], size=np.shape(mu))

    def log_likelihood(self, y, mu, params, trials=None):
        """Location-scale t log density."""
        sigma, nu = params["sigma"], params["nu"]
        z = (np.asarray(y, dtype=float) - mu) / sigma
        return (
            special.gammaln((nu + 1) / 2)
            - special.gammaln(nu / 2)
            - 0.5 * np.log(nu * np.pi)
            - np.log(sigma)
            - (nu + 1) / 2 * np.log1p(z**2 / nu)
        )

    def latent_residual_variance(self, params, eta=None, *, link=None, random_variance=0.0):
        """:math:`\\sigma^2 \\nu / (\\nu - 2)`, infinite for :math:`\\nu \\le 2`."""
        sigma, nu = np.asarray(params["sigma"]), np.asarray(params["nu"])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(nu > 2, sigma**2 * nu / (nu - 2), np.inf)


@dataclass(frozen=True)
class Bernoulli(Family):
    """0/1 outcomes with success probability ``mu``."""

    @property
    def support(self) -> str:
        """0 and 1 (successes out of trials for binomial)."""
        return "binary"

    def draw_response(self, mu, params, rng, trials=None):
        """0/1 draws."""
        return rng.binomial(1, mu).astype(float)

    def log_likelihood(self, y, mu, params, trials=None):
        """Bernoulli log mass."""
        y = np.asarray(y, dtype=float)
        return special.xlogy(y, mu) + special.xlog1py(1 - y, -mu)

    def latent_residual_variance(self, params, eta=None, *, link=None, random_variance=0.0):
        """:math:`\\pi^2/3` (logit) or 1 (probit)."""
        return np.asarray(np.pi**2 / 3 if self.check_link(link) == "logit" else 1.0)


@dataclass(frozen=True)
class Binomial(Bernoulli):
    """Successes out of a number of trials per row."""

    @property
    def needs_trials(self) -> bool:
        """Yes."""
        return True

    def draw_response(self, mu, params, rng, trials=None):
        """Binomial draws."""
        return rng.binomial(_trials(trials).astype(np.int64), mu).astype(float)

    def log_likelihood(self, y, mu, params, trials=None):
        """Binomial log mass, binomial coefficient included."""
        y, n = np.asarray(y, dtype=float), _trials(trials)
        return log_binomial_coefficient(n, y) + special.xlogy(y, mu) + special.xlog1py(n - y, -mu)


@dataclass(frozen=True)
class Poisson(Family):
    """Counts with mean ``mu``."""

    @property
    def support(self) -> str:
        """Non-negative integers."""
        return "count"

    def draw_response(self, mu, params, rng, trials=None):
        """Poisson draws."""
        return rng.poisson(mu).astype(float)

    def log_likelihood(self, y, mu, params, trials=None):
        """Poisson log mass."""
        y = np.asarray(y, dtype=float)
        return special.xlogy(y, mu) - mu - special.gammaln(y + 1)

    def latent_residual_variance(self, params, eta=None, *, link=None, random_variance=0.0):
        """:math:`\\ln(1 + 1/\\lambda)` (lognormal approximation)."""
        return np.log1p(1.0 / _log_count_variance(eta, self.name, random_variance))


@dataclass(frozen=True)
class NegativeBinomial(Family):
    """Counts with mean ``mu`` and variance ``mu + mu^2 / alpha``."""

    @property
    def support(self) -> str:
        """Non-negative integers."""
        return "count"

    def parameters(self) -> tuple[str, ...]:
        """``alpha``."""
        return ("alpha",)

    def family_priors(self, y=None, *, y_sd=None) -> dict[str, Prior]:
        """``alpha`` ~ Exponential(0.1) (mean 10, leaving strong overdispersion, alpha < 1, plausible)."""
        return {"alpha": Prior("exponential", lam=0.1)}

    def draw_response(self, mu, params, rng, trials=None):
        """Negative binomial draws."""
        alpha = params["alpha"]
        return rng.negative_binomial(alpha, alpha / (alpha + mu)).astype(float)

    def log_likelihood(self, y, mu, params, trials=None):
        """Negative binomial log mass."""
        y, alpha = np.asarray(y, dtype=float), params["alpha"]
        return (
            special.gammaln(y + alpha)
            - special.gammaln(alpha)
            - special.gammaln(y + 1)
            + alpha * np.log(alpha / (alpha + mu))
            + special.xlogy(y, mu / (alpha + mu))
        )

    def latent_residual_variance(self, params, eta=None, *, link=None, random_variance=0.0):
        """:math:`\\ln(1 + 1/\\lambda + 1/\\alpha)` (lognormal approximation)."""
        lam = _log_count_variance(eta, self.name, random_variance)
        return np.log1p(1.0 / lam + 1.0 / np.asarray(params["alpha"]))
