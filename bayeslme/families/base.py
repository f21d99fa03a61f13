"""The :class:`Family` interface: what every response distribution provides, with shared defaults.

Each family is a subclass overriding the methods whose maths differ. ``mu``
below is always the distribution's location on the response scale, the
inverse link of the linear predictor (the mean for most families; the mean
of the count part for zero-inflated and hurdle families; the median
``exp(mu)`` is not used: lognormal's ``mu`` is the mean of ``log y``).
:meth:`Family.mean` turns it into the expected response.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from bayeslme.errors import FamilyError
from bayeslme.links import inverse_link, link_function
from bayeslme.priors import Prior

__all__ = ["Family", "expected_count", "log_binomial_coefficient"]


def log_binomial_coefficient(trials: np.ndarray, successes: np.ndarray) -> np.ndarray:
    """``log C(trials, successes)``, the log binomial coefficient, elementwise."""
    trials = np.asarray(trials, dtype=float)
    successes = np.asarray(successes, dtype=float)
    return (
        special.gammaln(trials + 1) - special.gammaln(successes + 1) - special.gammaln(trials - successes + 1)
    )


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
        Whether the family has a residual SD ``sigma`` on the scale of the
        linear predictor (Gaussian, Student-t, lognormal).
    link : str, optional
        The model's link, for the families whose maths need it beyond
        :meth:`location` (ordinal); :func:`bayeslme.families.get_family` sets it.
    """

    name: str
    links: tuple[str, ...]
    has_sigma: bool = False
    link: str | None = None

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
    def has_intercept(self) -> bool:
        """Whether the linear predictor keeps the formula's intercept (not for ordinal models)."""
        return True

    def location(self, link: str, eta: np.ndarray) -> np.ndarray:
        """The distribution's location ``mu`` from the linear predictor: the inverse link."""
        return inverse_link(link, eta)

    @property
    def needs_trials(self) -> bool:
        """Whether the likelihood takes a number of trials per row."""
        return False

    def parameters(self) -> tuple[str, ...]:
        """Names of the family's own posterior parameters (besides the linear predictor)."""
        return ()

    def family_priors(self, y: np.ndarray | None = None, *, y_sd: float | None = None) -> dict[str, Prior]:
        """Default priors of the family's own parameters, scaled to ``y`` (or to its SD ``y_sd``)."""
        return {}

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

    @property
    def support(self) -> str:
        """The values the response takes: ``"real"``, ``"binary"``, ``"count"``, ``"positive"`` or ``"unit"``.

        :mod:`bayeslme.formula.response` checks the response against it and
        names the rows that fall outside.
        """
        return "real"

    def gaussian_response(self, y: np.ndarray) -> np.ndarray:
        """The response on the scale where an identity-link family is Gaussian (``log y`` for lognormal)."""
        return np.asarray(y, dtype=float)

    def mean(self, mu: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
        """The expected response given the location ``mu`` (response scale) and the family's parameters."""
        return mu

    def mean_parameters(self) -> tuple[str, ...]:
        """The family parameters :meth:`mean` reads (none: the expected response is ``mu``)."""
        return ()

    def draw_response(
        self,
        mu: np.ndarray,
        params: dict[str, np.ndarray],
        rng: np.random.Generator,
        trials: np.ndarray | None = None,
    ) -> np.ndarray:
        """Draw observations given their location (response scale).

        Parameters
        ----------
        mu : ndarray, shape (draws, n)
            Location per posterior draw and row (see the module docstring);
            the success probability for bernoulli and binomial.
        params : dict
            Family parameters per draw, each shaped (draws, 1).
        rng : numpy.random.Generator
        trials : ndarray, shape (n,), optional
            Number of trials (binomial only).
        """
        raise NotImplementedError(self.name)

    def log_likelihood(
        self,
        y: np.ndarray,
        mu: np.ndarray,
        params: dict[str, np.ndarray],
        trials: np.ndarray | None = None,
    ) -> np.ndarray:
        """Pointwise log density (or mass) of ``y`` given its location.

        Parameters
        ----------
        y : ndarray, shape (n,)
            Observed response (successes for binomial).
        mu : ndarray, shape (..., n)
            Location on the response scale, as in :meth:`draw_response`.
        params : dict
            Family parameters broadcastable against ``mu``.
        trials : ndarray, shape (n,), optional
            Number of trials (binomial only).

        Returns
        -------
        ndarray, shape of ``mu``
            The same normalised densities PyMC uses.
        """
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

        Used by the ICC and Nakagawa's R² (Nakagawa, Johnson & Schielzeth
        2017); the formulas per family are in :mod:`bayeslme.families`.

        Parameters
        ----------
        params : dict
            Family parameters per draw, each shaped like the draws, e.g. (chain, draw).
        eta : ndarray, shape (..., n), optional
            Fixed linear predictor (plus offset) per draw and row; required by
            the log-link count families to compute the expected count.
        link : str, optional
            The model's link; the family's default when omitted.
        random_variance : ndarray or float
            Group-effect variance :math:`V_{\\text{random}}` per draw (log links).

        Raises
        ------
        FamilyError
            A family for which the latent scale is not defined.
        """
        raise FamilyError(
            f"the latent-scale residual variance of family {self.name!r} is not defined "
            "(Nakagawa, Johnson & Schielzeth 2017 cover Gaussian, binomial, Poisson, negative "
            "binomial, gamma and lognormal models), so neither are its ICC and latent-scale R²"
        )

    @property
    def has_latent_scale(self) -> bool:
        """Whether :meth:`latent_residual_variance` is defined (ICC and latent-scale R²)."""
        return True
