"""Seeded simulators of mixed-model data with known truth, for tests and examples."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["SimulatedData", "random_slopes"]


@dataclass(frozen=True)
class SimulatedData:
    """A simulated data set and the parameter values that generated it."""

    data: pd.DataFrame
    truth: dict[str, float] = field(default_factory=dict)
    group_effects: np.ndarray | None = None


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
    if isinstance(n_per_group, tuple):
        sizes = rng.integers(n_per_group[0], n_per_group[1] + 1, size=n_groups)
    else:
        sizes = np.full(n_groups, n_per_group)
    cov = np.array(
        [
            [sd_intercept**2, correlation * sd_intercept * sd_slope],
            [correlation * sd_intercept * sd_slope, sd_slope**2],
        ]
    )
    u = rng.multivariate_normal(np.zeros(2), cov, size=n_groups)
    group = np.repeat(np.arange(n_groups), sizes)
    x = rng.uniform(0, 4, size=group.size)
    y = intercept + u[group, 0] + (slope + u[group, 1]) * x + rng.normal(0, sigma, size=group.size)
    width = len(str(n_groups - 1))
    data = pd.DataFrame({"y": y, "x": x, "g": [f"g{k:0{width}d}" for k in group]})
    truth = {
        "Intercept": intercept,
        "x": slope,
        "sd_intercept": sd_intercept,
        "sd_slope": sd_slope,
        "correlation": correlation,
        "sigma": sigma,
    }
    return SimulatedData(data, truth, u)
