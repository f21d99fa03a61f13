"""Counts with excess zeros: zero-inflated and hurdle Poisson and negative binomial (brms's ``zi``, ``hu``).

A zero-inflated model mixes a structural zero, with probability ``zi``, and
the count distribution, which can give zeros too:
:math:`P(0) = zi + (1 - zi) f(0)`, :math:`P(y) = (1 - zi) f(y)` for
:math:`y > 0`. A hurdle model gives every zero to the hurdle, probability
``hu``, and draws positive counts from the count distribution truncated at
zero: :math:`P(0) = hu`, :math:`P(y) = (1 - hu) f(y) / (1 - f(0))`. ``mu``
is the count distribution's mean, ``exp`` of the linear predictor; the
expected response is :math:`(1 - zi)\\,\\mu` and
:math:`(1 - hu)\\,\\mu / (1 - f(0))`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from bayeslme.families.base import Family
from bayeslme.families.standard import NegativeBinomial, Poisson
from bayeslme.priors import Prior

__all__ = ["Hurdle", "ZeroInflated"]

_UNIFORM = Prior("uniform", lower=0, upper=1)
"""brms's default for ``zi`` and ``hu``: Beta(1, 1)."""


_COUNTS: dict[str, Family] = {
    "poisson": Poisson("poisson", ("log",)),
    "negativebinomial": NegativeBinomial("negativebinomial", ("log",)),
}


def _log_zero(mu: np.ndarray, params: dict[str, np.ndarray], count: str) -> np.ndarray:
    """:math:`\\log f(0)` of the count distribution."""
    if count == "poisson":
        return -mu
    alpha = params["alpha"]
    return alpha * np.log(alpha / (alpha + mu))


@dataclass(frozen=True)
class _Mixture(Family):
    count: str = "poisson"  # the count distribution: "poisson" or "negativebinomial"
    zero: str = "zi"  # the zero part's parameter

    @property
    def counts(self) -> Family:
        """The count distribution (Poisson or negative binomial)."""
        return _COUNTS[self.count]

    def parameters(self) -> tuple[str, ...]:
        """The count distribution's (``alpha``) and the zero part's (``zi`` or ``hu``)."""
        return (*self.counts.parameters(), self.zero)

    def family_priors(self, y=None, *, y_sd=None) -> dict[str, Prior]:
        """The count distribution's, and Uniform(0, 1) for the zero part, as brms."""
        return {**self.counts.family_priors(y, y_sd=y_sd), self.zero: _UNIFORM}

    @property
    def support(self) -> str:
        """Non-negative integers."""
        return "count"

    @property
    def has_latent_scale(self) -> bool:
        """No: Nakagawa et al. (2017) do not cover zero-inflated or hurdle models."""
        return False


@dataclass(frozen=True)
class ZeroInflated(_Mixture):
    """Zero-inflated Poisson or negative binomial (see the module docstring)."""

    def mean(self, mu, params):
        """:math:`(1 - zi)\\,\\mu`."""
        return (1 - params["zi"]) * mu

    def mean_parameters(self):
        """``zi``."""
        return ("zi",)

    def draw_response(self, mu, params, rng, trials=None):
        """A structural zero with probability ``zi``, else a count."""
        counts = self.counts.draw_response(mu, params, rng)
        return np.where(rng.random(np.shape(counts)) < params["zi"], 0.0, counts)

    def log_likelihood(self, y, mu, params, trials=None):
        """The mixture's log mass."""
        y, zi = np.asarray(y, dtype=float), params["zi"]
        counts = self.counts.log_likelihood(y, mu, params)
        zero = np.logaddexp(np.log(zi), np.log1p(-zi) + _log_zero(mu, params, self.count))
        return np.where(y == 0, zero, np.log1p(-zi) + counts)


@dataclass(frozen=True)
class Hurdle(_Mixture):
    """Hurdle Poisson or negative binomial (see the module docstring)."""

    zero: str = "hu"

    def mean(self, mu, params):
        """:math:`(1 - hu)\\,\\mu / (1 - f(0))`."""
        return (1 - params["hu"]) * mu / -np.expm1(_log_zero(mu, params, self.count))

    def mean_parameters(self):
        """``hu``, and ``alpha`` of a negative binomial count part (its ``f(0)``)."""
        return self.parameters()

    def draw_response(self, mu, params, rng, trials=None):
        """Zero with probability ``hu``, else a count drawn above zero (inverse CDF)."""
        mu = np.broadcast_to(mu, np.broadcast_shapes(np.shape(mu), np.shape(params["hu"])))
        p0 = np.exp(_log_zero(mu, params, self.count))
        u = p0 + (1 - p0) * rng.random(mu.shape)
        if self.count == "poisson":
            positive = stats.poisson.ppf(u, mu)
        else:
            alpha = params["alpha"]
            positive = stats.nbinom.ppf(u, alpha, alpha / (alpha + mu))
        positive = np.maximum(positive, 1.0)  # u = p0 exactly rounds to 0
        return np.where(rng.random(mu.shape) < params["hu"], 0.0, positive)

    def log_likelihood(self, y, mu, params, trials=None):
        """The hurdle's log mass."""
        y, hu = np.asarray(y, dtype=float), params["hu"]
        counts = self.counts.log_likelihood(y, mu, params)
        truncated = counts - np.log(-np.expm1(_log_zero(mu, params, self.count)))
        return np.where(y == 0, np.log(hu) + 0 * mu, np.log1p(-hu) + truncated)
