"""Ordinal responses: the cumulative model of ordinal::clmm and brms's ``cumulative`` family.

Categories :math:`1, \\dots, K` (the response's levels in order) are cut
from a latent variable :math:`\\eta + \\varepsilon` by thresholds
:math:`\\tau_1 < \\dots < \\tau_{K-1}`:

.. math::

    P(y \\le k) = F(\\tau_k - \\eta), \\qquad
    P(y = k) = F(\\tau_k - \\eta) - F(\\tau_{k-1} - \\eta),

with :math:`F` the logistic (logit link) or standard normal (probit link)
CDF, :math:`\\tau_0 = -\\infty`, :math:`\\tau_K = \\infty`. The linear
predictor has no intercept (the thresholds take its place); a positive
coefficient moves responses up the scale, as in clmm and brms. The response
is coded as the category number :math:`1..K`, so its "mean" is the expected
category number and a drawn response is a category number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from bayeslme.families.base import Family
from bayeslme.priors import Prior

__all__ = ["Cumulative"]


def _cdf(link: str, x: np.ndarray) -> np.ndarray:
    return special.expit(x) if link == "logit" else special.ndtr(x)


@dataclass(frozen=True)
class Cumulative(Family):
    """The cumulative ordinal model (see the module docstring); its own parameter is ``thresholds``."""

    def parameters(self) -> tuple[str, ...]:
        """``thresholds`` (a vector of K - 1)."""
        return ("thresholds",)

    def family_priors(self, y=None, *, y_sd=None) -> dict[str, Prior]:
        """``thresholds`` ~ Student-t(3, 0, 2.5) each, brms's default for them."""
        return {"thresholds": Prior("student_t", nu=3, mu=0, sigma=2.5)}

    @property
    def support(self) -> str:
        """Ordered categories."""
        return "ordinal"

    @property
    def has_intercept(self) -> bool:
        """No: the thresholds take the intercept's place."""
        return False

    def response_scale(self, y, link, trials=None, offset=None):
        """The link scale: centre 0, scale 1 (slopes get Normal(0, 2.5 / sd(x)))."""
        return 0.0, 1.0

    def location(self, link: str, eta: np.ndarray) -> np.ndarray:
        """The linear predictor itself (the link applies to the cumulative probabilities)."""
        return np.asarray(eta, dtype=float)

    def probabilities(self, eta: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
        """:math:`P(y = k)` for every category, shape ``eta.shape + (K,)``.

        ``thresholds`` is shaped ``(..., K - 1)`` broadcastable against ``eta[..., None]``
        (draws of the thresholds: ``(draws, 1, K - 1)`` for ``eta`` of ``(draws, n)``).
        """
        eta = np.asarray(eta, dtype=float)[..., None]
        cumulative = _cdf(self._link(), np.asarray(thresholds, dtype=float) - eta)
        return np.clip(np.diff(cumulative, prepend=0.0, append=1.0, axis=-1), 0.0, 1.0)

    def _link(self) -> str:
        return self.link or self.default_link()

    @staticmethod
    def _thresholds(params: dict[str, np.ndarray]) -> np.ndarray:
        """Thresholds ``(draws, 1, K - 1)`` (also given as ``(draws, K - 1)``), or one set ``(K - 1,)``."""
        values = np.asarray(params["thresholds"], dtype=float)
        return values[:, None, :] if values.ndim == 2 else values  # one set (K - 1,) serves every row

    def mean(self, mu, params):
        """The expected category number :math:`\\sum_k k\\, P(y = k)`."""
        probs = self.probabilities(mu, self._thresholds(params))
        return probs @ np.arange(1.0, probs.shape[-1] + 1)

    def mean_parameters(self):
        """``thresholds``."""
        return ("thresholds",)

    def draw_response(self, mu, params, rng, trials=None):
        """Category numbers drawn from :math:`P(y = k)`."""
        probs = self.probabilities(mu, self._thresholds(params))
        u = rng.random(probs.shape[:-1] + (1,))
        return 1.0 + (np.cumsum(probs, axis=-1)[..., :-1] < u).sum(axis=-1)

    def log_likelihood(self, y, mu, params, trials=None):
        """:math:`\\log P(y = k)` of each row's category number ``y``."""
        probs = self.probabilities(mu, self._thresholds(params))
        index = np.asarray(y, dtype=np.int64) - 1
        picked = np.take_along_axis(probs, np.broadcast_to(index, probs.shape[:-1])[..., None], axis=-1)
        with np.errstate(divide="ignore"):
            return np.log(picked[..., 0])

    def latent_residual_variance(self, params, eta=None, *, link=None, random_variance=0.0):
        """:math:`\\pi^2/3` (logit) or 1 (probit): the latent residual variance, as for binary data."""
        return np.asarray(np.pi**2 / 3 if self.check_link(link or self.link) == "logit" else 1.0)
