"""Response families: names, links, default priors and the numpy maths of each family.

This module holds the family *descriptions* (no PyMC). The likelihoods used
for sampling live in :mod:`bayeslme.backend.likelihoods`; everything here
works on plain numpy arrays of posterior draws.

Families
--------
=====================  ==================  =========================================
family                 links               own parameters
=====================  ==================  =========================================
``gaussian``           identity            ``sigma`` (residual SD)
``student_t``          identity            ``sigma`` (scale), ``nu`` (degrees of freedom)
``bernoulli``          logit, probit       none
``binomial``           logit, probit       none (number of trials from the formula)
``poisson``            log                 none
``negativebinomial``   log                 ``alpha`` (Var = mu + mu^2 / alpha)
=====================  ==================  =========================================

Latent-scale residual variance
------------------------------
:meth:`Family.latent_residual_variance` gives the distribution-specific
variance :math:`\\sigma^2_d` of Nakagawa, Johnson & Schielzeth (2017), used by
the ICC and the latent-scale R²:

* gaussian: :math:`\\sigma^2`; student_t: :math:`\\sigma^2 \\nu / (\\nu - 2)`
  (infinite for :math:`\\nu \\le 2`);
* bernoulli / binomial: :math:`\\pi^2 / 3` (logit), :math:`1` (probit);
* poisson (lognormal approximation): :math:`\\ln(1 + 1/\\lambda)`;
* negativebinomial (lognormal approximation):
  :math:`\\ln(1 + 1/\\lambda + 1/\\alpha)`.

For the log-link families :math:`\\lambda` is the expected count. The paper
uses :math:`\\lambda = \\exp(\\beta_0 + \\sigma^2_\\tau / 2)`; we use its
generalisation to any fixed part, the mean over the observed rows of
:math:`\\exp(\\eta_i + V_{\\text{random}} / 2)`, with :math:`\\eta_i` the fixed
linear predictor (plus offset) and :math:`V_{\\text{random}}` the group-effect
variance. With an intercept-only fixed part the two coincide.
``performance::r2_nakagawa`` instead takes :math:`\\beta_0` from a refitted
null model, so its Poisson values can differ slightly.

References
----------
Nakagawa, S., Johnson, P. C. D., & Schielzeth, H. (2017). The coefficient of
determination R2 and intra-class correlation coefficient from generalized
linear mixed-effects models revisited and expanded. *J. R. Soc. Interface*, 14.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from bayeslme.errors import FamilyError
from bayeslme.links import inverse_link, link_function
from bayeslme.priors import Prior

__all__ = [
    "FAMILIES",
    "Family",
    "expected_count",
    "get_family",
    "inverse_link",
    "link_function",
    "log_binomial_coefficient",
]


def log_binomial_coefficient(trials: np.ndarray, successes: np.ndarray) -> np.ndarray:
    """``log C(trials, successes)``, the log binomial coefficient, elementwise."""
    trials = np.asarray(trials, dtype=float)
    successes = np.asarray(successes, dtype=float)
    return (
        special.gammaln(trials + 1) - special.gammaln(successes + 1) - special.gammaln(trials - successes + 1)
    )


_OWN_PARAMETERS: dict[str, tuple[str, ...]] = {
    "gaussian": ("sigma",),
    "student_t": ("sigma", "nu"),
    "negativebinomial": ("alpha",),
}


@dataclass(frozen=True)
class Family:
    """A response distribution.

    Attributes
    ----------
    name : str
        Family name, e.g. ``"gaussian"``.
    links : tuple of str
        Supported links; the first is the default.
    has_sigma : bool
        Whether the family has a residual SD (or scale) ``sigma``.
    """

    name: str
    links: tuple[str, ...]
    has_sigma: bool

    def default_link(self) -> str:
        """The canonical link."""
        return self.links[0]

    def check_link(self, link: str | None) -> str:
        """Return ``link`` (or the default) if supported, else raise FamilyError."""
        link = link or self.default_link()
        if link not in self.links:
            raise FamilyError(
                f"family {self.name!r} does not support link {link!r}; use one of {list(self.links)}"
            )
        return link

    @property
    def needs_trials(self) -> bool:
        """Whether the likelihood takes a number of trials per row."""
        return self.name == "binomial"

    def family_priors(self, y: np.ndarray | None = None, *, y_sd: float | None = None) -> dict[str, Prior]:
        """Default priors of the family's own parameters, scaled to ``y`` (or to its SD ``y_sd``).

        ``sigma`` ~ half-Student-t(3, 0, sd(y)); ``nu`` ~ Gamma(2, 0.1) (brms's
        default, mean 20); ``alpha`` ~ Exponential(0.1) (mean 10, leaving
        strong overdispersion, alpha < 1, plausible).
        """
        priors: dict[str, Prior] = {}
        if self.has_sigma:
            scale = (float(np.std(y)) if y_sd is None else y_sd) or 1.0
            priors["sigma"] = Prior("halfstudent_t", nu=3, sigma=scale)
        if self.name == "student_t":
            priors["nu"] = Prior("gamma", alpha=2, beta=0.1)
        if self.name == "negativebinomial":
            priors["alpha"] = Prior("exponential", lam=0.1)
        return priors

    def parameters(self) -> tuple[str, ...]:
        """Names of the family's own posterior parameters (besides the linear predictor)."""
        return _OWN_PARAMETERS.get(self.name, ())

    def response_scale(
        self,
        y: np.ndarray,
        link: str,
        trials: np.ndarray | None = None,
        offset: np.ndarray | None = None,
    ) -> tuple[float, float]:
        """Centre and scale that the default priors are scaled to.

        Identity link: mean and SD of ``y``. Other links: the link of the
        overall mean response (proportion of successes, or rate per unit of
        ``exp(offset)``), clipped away from the boundaries, and scale 1 (the
        link scale), so that slopes get Normal(0, 2.5 / sd(x)) as in rstanarm.
        """
        y = np.asarray(y, dtype=float)
        if link == "identity":
            scale = float(np.std(y)) if y.size > 1 else 1.0
            return float(np.mean(y)), scale if scale > 0 else 1.0
        if link in ("logit", "probit"):
            n = np.ones_like(y) if trials is None else np.asarray(trials, dtype=float)
            p = float(np.clip(y.sum() / n.sum(), 0.01, 0.99))
            return float(link_function(link, np.array(p))), 1.0
        exposure = np.ones_like(y) if offset is None else np.exp(offset)
        rate = max(float(y.sum() / exposure.sum()), 0.01)
        return float(np.log(rate)), 1.0

    def draw_response(
        self,
        mean: np.ndarray,
        params: dict[str, np.ndarray],
        rng: np.random.Generator,
        trials: np.ndarray | None = None,
    ) -> np.ndarray:
        """Draw observations given their expected values (response scale).

        Parameters
        ----------
        mean : ndarray, shape (draws, n)
            Expected response per posterior draw and row: the mean for
            gaussian / student_t / poisson / negativebinomial, the success
            probability for bernoulli and binomial.
        params : dict
            Family parameters per draw, each shaped (draws, 1).
        rng : numpy.random.Generator
        trials : ndarray, shape (n,), optional
            Number of trials (binomial only).
        """
        if self.name == "gaussian":
            return rng.normal(mean, params["sigma"])
        if self.name == "student_t":
            return mean + params["sigma"] * rng.standard_t(params["nu"], size=np.shape(mean))
        if self.name == "bernoulli":
            return rng.binomial(1, mean).astype(float)
        if self.name == "binomial":
            return rng.binomial(_trials(trials).astype(np.int64), mean).astype(float)
        if self.name == "poisson":
            return rng.poisson(mean).astype(float)
        if self.name == "negativebinomial":
            alpha = params["alpha"]
            return rng.negative_binomial(alpha, alpha / (alpha + mean)).astype(float)
        raise NotImplementedError(self.name)

    def log_likelihood(
        self,
        y: np.ndarray,
        mean: np.ndarray,
        params: dict[str, np.ndarray],
        trials: np.ndarray | None = None,
    ) -> np.ndarray:
        """Pointwise log density (or mass) of ``y`` given its expected value.

        Parameters
        ----------
        y : ndarray, shape (n,)
            Observed response (successes for binomial).
        mean : ndarray, shape (..., n)
            Expected response on the response scale, as in :meth:`draw_response`.
        params : dict
            Family parameters broadcastable against ``mean``.
        trials : ndarray, shape (n,), optional
            Number of trials (binomial only).

        Returns
        -------
        ndarray, shape of ``mean``
            The same normalised densities PyMC uses (binomial coefficient included).
        """
        y = np.asarray(y, dtype=float)
        mean = np.asarray(mean, dtype=float)
        if self.name == "gaussian":
            sigma = params["sigma"]
            z = (y - mean) / sigma
            return -0.5 * z**2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
        if self.name == "student_t":
            sigma, nu = params["sigma"], params["nu"]
            z = (y - mean) / sigma
            return (
                special.gammaln((nu + 1) / 2)
                - special.gammaln(nu / 2)
                - 0.5 * np.log(nu * np.pi)
                - np.log(sigma)
                - (nu + 1) / 2 * np.log1p(z**2 / nu)
            )
        if self.name in ("bernoulli", "binomial"):
            n = np.ones_like(y) if self.name == "bernoulli" else _trials(trials)
            return log_binomial_coefficient(n, y) + special.xlogy(y, mean) + special.xlog1py(n - y, -mean)
        if self.name == "poisson":
            return special.xlogy(y, mean) - mean - special.gammaln(y + 1)
        if self.name == "negativebinomial":
            alpha = params["alpha"]
            return (
                special.gammaln(y + alpha)
                - special.gammaln(alpha)
                - special.gammaln(y + 1)
                + alpha * np.log(alpha / (alpha + mean))
                + special.xlogy(y, mean / (alpha + mean))
            )
        raise NotImplementedError(self.name)

    def latent_residual_variance(
        self,
        params: dict[str, np.ndarray],
        eta: np.ndarray | None = None,
        *,
        link: str | None = None,
        random_variance: np.ndarray | float = 0.0,
    ) -> np.ndarray:
        """Distribution-specific residual variance on the latent (link) scale, per draw.

        Used by the ICC and Nakagawa's R² (Nakagawa, Johnson & Schielzeth 2017);
        the formulas per family are in the module docstring.

        Parameters
        ----------
        params : dict
            Family parameters per draw (``sigma``, ``nu``, ``alpha``), each
            shaped like the draws, e.g. (chain, draw).
        eta : ndarray, shape (..., n), optional
            Fixed linear predictor (plus offset) per draw and row; required by
            the log-link families to compute the expected count.
        link : str, optional
            The model's link; the family's default when omitted.
        random_variance : ndarray or float
            Group-effect variance :math:`V_{\\text{random}}` per draw (log links).

        Returns
        -------
        ndarray
            One variance per draw (a 0-d array for logit and probit).
        """
        link = self.check_link(link)
        if self.name == "gaussian":
            return np.asarray(params["sigma"]) ** 2
        if self.name == "student_t":
            sigma, nu = np.asarray(params["sigma"]), np.asarray(params["nu"])
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(nu > 2, sigma**2 * nu / (nu - 2), np.inf)
        if self.name in ("bernoulli", "binomial"):
            return np.asarray(np.pi**2 / 3 if link == "logit" else 1.0)
        if eta is None:
            raise FamilyError(f"the latent residual variance of family {self.name!r} needs eta")
        lam = expected_count(eta, random_variance)
        if self.name == "poisson":
            return np.log1p(1.0 / lam)
        if self.name == "negativebinomial":
            return np.log1p(1.0 / lam + 1.0 / np.asarray(params["alpha"]))
        raise NotImplementedError(self.name)


def expected_count(eta: np.ndarray, random_variance: np.ndarray | float = 0.0) -> np.ndarray:
    """Mean over rows of :math:`\\exp(\\eta_i + V_{\\text{random}} / 2)`, per draw.

    Parameters
    ----------
    eta : ndarray, shape (..., n)
    random_variance : ndarray of shape (...) or float
    """
    eta = np.asarray(eta, dtype=float)
    shift = np.asarray(random_variance, dtype=float)[..., None] / 2
    return np.exp(eta + shift).mean(axis=-1)


def _trials(trials: np.ndarray | None) -> np.ndarray:
    if trials is None:
        raise FamilyError("the binomial family needs the number of trials")
    return np.asarray(trials, dtype=float)


FAMILIES: dict[str, Family] = {
    "gaussian": Family("gaussian", ("identity",), has_sigma=True),
    "student_t": Family("student_t", ("identity",), has_sigma=True),
    "bernoulli": Family("bernoulli", ("logit", "probit"), has_sigma=False),
    "binomial": Family("binomial", ("logit", "probit"), has_sigma=False),
    "poisson": Family("poisson", ("log",), has_sigma=False),
    "negativebinomial": Family("negativebinomial", ("log",), has_sigma=False),
}


def get_family(name: str) -> Family:
    """Look up a family by name.

    Raises
    ------
    FamilyError
        For an unknown family, listing the known ones.
    """
    try:
        return FAMILIES[name]
    except KeyError:
        raise FamilyError(f"unknown family {name!r}; choose one of {sorted(FAMILIES)}") from None
