"""Response families: names, links, default priors of their own parameters.

This module holds the family *descriptions* (no PyMC). The likelihoods live
in :mod:`bayeslme.backend.likelihoods`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeslme.errors import FamilyError
from bayeslme.priors import Prior

__all__ = ["FAMILIES", "Family", "get_family", "inverse_link"]


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
        Whether the family has a residual SD ``sigma``.
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

    def family_priors(self, y: np.ndarray) -> dict[str, Prior]:
        """Default priors of the family's own parameters, scaled to ``y``."""
        if self.has_sigma:
            scale = float(np.std(y)) or 1.0
            return {"sigma": Prior("halfstudent_t", nu=3, sigma=scale)}
        return {}

    def parameters(self) -> tuple[str, ...]:
        """Names of the family's own posterior parameters (besides the linear predictor)."""
        return ("sigma",) if self.has_sigma else ()

    def draw_response(
        self, mean: np.ndarray, params: dict[str, np.ndarray], rng: np.random.Generator
    ) -> np.ndarray:
        """Draw observations given their expected values (response scale).

        Parameters
        ----------
        mean : ndarray, shape (draws, n)
            Expected response per posterior draw and row.
        params : dict
            Family parameters per draw, each shaped (draws, 1).
        rng : numpy.random.Generator
        """
        if self.name == "gaussian":
            return rng.normal(mean, params["sigma"])
        raise NotImplementedError(self.name)

    def log_likelihood(self, y: np.ndarray, mean: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
        """Pointwise log density of observations ``y`` given their expected values.

        Parameters
        ----------
        y : ndarray, shape (n,)
            Observed response.
        mean : ndarray, shape (draws, n)
            Expected response per posterior draw and row (response scale).
        params : dict
            Family parameters per draw, each shaped (draws, 1).

        Returns
        -------
        ndarray, shape (draws, n)
        """
        if self.name == "gaussian":
            sigma = params["sigma"]
            return -0.5 * np.log(2 * np.pi) - np.log(sigma) - 0.5 * ((y - mean) / sigma) ** 2
        raise NotImplementedError(self.name)

    def latent_residual_variance(
        self, params: dict[str, np.ndarray], eta: np.ndarray | None = None
    ) -> np.ndarray:
        """Residual (distribution-specific) variance on the latent scale, per draw.

        For the Gaussian family this is :math:`\\sigma^2`. Used by the ICC and
        Nakagawa's R² (Nakagawa, Johnson & Schielzeth 2017).
        """
        if self.name == "gaussian":
            return params["sigma"] ** 2
        raise NotImplementedError(self.name)


def inverse_link(link: str, eta: np.ndarray) -> np.ndarray:
    """Map the linear predictor to the response scale."""
    if link == "identity":
        return eta
    raise FamilyError(f"unknown link {link!r}")


FAMILIES: dict[str, Family] = {
    "gaussian": Family("gaussian", ("identity",), has_sigma=True),
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
