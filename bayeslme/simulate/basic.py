"""General-purpose simulators: correlated random slopes (Gaussian) and GLMMs of every family."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bayeslme.families import get_family
from bayeslme.spec.names import THRESHOLDS, threshold_key, threshold_labels

__all__ = ["SimulatedData", "glmm", "random_slopes"]


@dataclass(frozen=True)
class SimulatedData:
    """A simulated data set and the parameter values that generated it."""

    data: pd.DataFrame
    truth: dict[str, float] = field(default_factory=dict)
    group_effects: np.ndarray | None = None


def level_labels(prefix: str, n: int) -> np.ndarray:
    """Zero-padded labels ``prefix00``, ``prefix01``... that sort in numeric order."""
    width = len(str(n - 1))
    return np.array([f"{prefix}{k:0{width}d}" for k in range(n)])


def draw_sizes(rng: np.random.Generator, size: int | tuple[int, int], n: int) -> np.ndarray:
    """``n`` group sizes: all equal to ``size``, or drawn uniformly from the range ``(low, high)``."""
    if isinstance(size, tuple):
        return rng.integers(size[0], size[1] + 1, size=n)
    return np.full(n, size)


def draw_intercept_slope(
    rng: np.random.Generator, n: int, sd_intercept: float, sd_slope: float, correlation: float
) -> np.ndarray:
    """``n`` (intercept, slope) group effects from a zero-mean bivariate normal, shape (n, 2)."""
    cov_01 = correlation * sd_intercept * sd_slope
    cov = np.array([[sd_intercept**2, cov_01], [cov_01, sd_slope**2]])
    return rng.multivariate_normal(np.zeros(2), cov, size=n)


def random_slopes(
    *,
    n_groups: int = 30,
    n_per_group: int | tuple[int, int] = 10,
    intercept: float = 5.0,
    slope: float = 2.0,
    sd_intercept: float = 1.5,
    sd_slope: float = 0.7,
    correlation: float = -0.4,
    sigma: float = 1.0,
    seed: int = 0,
) -> SimulatedData:
    """Simulate ``y ~ x + (x | g)``: correlated random intercepts and slopes.

    Parameters
    ----------
    n_groups : int
        Number of groups.
    n_per_group : int or (low, high)
        Rows per group, or a range to draw unbalanced group sizes from.
    intercept, slope : float
        Fixed effects.
    sd_intercept, sd_slope, correlation : float
        Group-effect SDs and their correlation.
    sigma : float
        Residual SD.
    seed : int
        Seed of the generator; same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``y``, ``x`` (uniform on 0..4) and ``g`` (labels ``g00``...);
        truth keys ``Intercept, x, sd_intercept, sd_slope, correlation, sigma``.
    """
    rng = np.random.default_rng(seed)
    sizes = draw_sizes(rng, n_per_group, n_groups)
    u = draw_intercept_slope(rng, n_groups, sd_intercept, sd_slope, correlation)
    group = np.repeat(np.arange(n_groups), sizes)
    x = rng.uniform(0, 4, size=group.size)
    y = intercept + u[group, 0] + (slope + u[group, 1]) * x + rng.normal(0, sigma, size=group.size)
    data = pd.DataFrame({"y": y, "x": x, "g": level_labels("g", n_groups)[group]})
    truth = {
        "Intercept": intercept,
        "x": slope,
        "sd_intercept": sd_intercept,
        "sd_slope": sd_slope,
        "correlation": correlation,
        "sigma": sigma,
    }
    return SimulatedData(data, truth, u)


def glmm(
    family: str,
    *,
    link: str | None = None,
    n_groups: int = 30,
    n_per_group: int = 20,
    intercept: float = 0.0,
    slope: float = 0.5,
    sd_intercept: float = 0.8,
    trials: int = 10,
    alpha: float = 2.0,
    sigma: float = 1.0,
    nu: float = 4.0,
    shape: float = 4.0,
    phi: float = 10.0,
    zi: float = 0.3,
    hu: float = 0.4,
    thresholds: tuple[float, ...] = (-1.0, 0.5, 2.0),
    seed: int = 0,
) -> SimulatedData:
    """Simulate ``y ~ x + (1 | g)`` from a generalized linear mixed model.

    Parameters
    ----------
    family : str
        Any family of :mod:`bayeslme.families`.
    link : str, optional
        The family's default link when omitted.
    n_groups, n_per_group : int
        Groups and rows per group.
    intercept, slope : float
        Fixed effects on the link scale.
    sd_intercept : float
        SD of the random intercepts (link scale).
    trials : int
        Trials per row (binomial).
    alpha, sigma, nu : float
        Negative-binomial overdispersion, Student-t (or lognormal) scale and
        Student-t degrees of freedom.
    shape, phi, zi, hu : float
        Gamma shape, beta precision, zero-inflation and hurdle probabilities.
    thresholds : tuple of float
        Increasing cut points of an ordinal (``cumulative``) model, whose
        linear predictor has no intercept (``intercept`` is not used).
    seed : int
        Same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``y``, ``x`` (standard normal), ``g``; ``n`` (trials) for
        binomial; ``exposure`` for log links, entering the linear predictor as
        ``offset(log(exposure))``. Truth keys ``Intercept``, ``x``,
        ``sd_intercept`` and the family's own parameters.
    """
    spec = get_family(family)
    link = spec.check_link(link)
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(n_groups), n_per_group)
    u = rng.normal(0.0, sd_intercept, size=n_groups)
    x = rng.normal(size=group.size)
    eta = (0.0 if not spec.has_intercept else intercept) + slope * x + u[group]
    data = {"x": x, "g": level_labels("g", n_groups)[group]}
    if link == "log":
        data["exposure"] = rng.uniform(0.5, 2.0, size=group.size)
        eta = eta + np.log(data["exposure"])
    params = {"alpha": alpha, "sigma": sigma, "nu": nu, "shape": shape, "phi": phi, "zi": zi, "hu": hu}
    params["thresholds"] = np.asarray(thresholds, dtype=float)[None, None, :]
    n = np.full(group.size, trials) if family == "binomial" else None
    if n is not None:
        data["n"] = n
    spec = get_family(family, link)
    y = np.reshape(spec.draw_response(spec.location(link, eta), params, rng, trials=n), eta.shape)
    truth = {"x": slope, "sd_intercept": sd_intercept}
    truth.update({name: params[name] for name in spec.parameters() if name != THRESHOLDS})
    if spec.has_intercept:
        truth["Intercept"] = intercept
    else:  # categories 1..K, cut points labelled as the fit's table labels them
        labels = threshold_labels(tuple(str(k) for k in range(1, len(thresholds) + 2)))
        truth.update({threshold_key(label): float(t) for label, t in zip(labels, thresholds, strict=True)})
    return SimulatedData(pd.DataFrame({"y": y, **data}), truth, u[:, None])
