"""Two-level nested design: classes within schools, a random slope at the school level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.simulate.basic import SimulatedData, draw_sizes

__all__ = ["nested"]


def nested(
    *,
    n_schools: int = 6,
    classes_per_school: int | tuple[int, int] = (3, 4),
    n_per_class: int | tuple[int, int] = (4, 10),
    intercept: float = 10.0,
    slope: float = 1.0,
    sd_school: float = 2.0,
    sd_school_slope: float = 0.5,
    correlation: float = 0.3,
    sd_class: float = 1.0,
    sigma: float = 1.5,
    seed: int = 0,
) -> SimulatedData:
    """Simulate ``y ~ x + (x | school) + (1 | school:class)``.

    Class labels repeat across schools (``c0``, ``c1``, ... in every school),
    as in ``(1 | school/class)``; ``class_id`` is unique across schools.

    Parameters
    ----------
    n_schools : int
        Number of schools.
    classes_per_school, n_per_class : int or (low, high)
        Classes per school and rows per class, or ranges to draw them from.
    intercept, slope : float
        Fixed effects.
    sd_school, sd_school_slope, correlation : float
        SDs and correlation of the schools' intercepts and slopes.
    sd_class : float
        SD of the class intercepts.
    sigma : float
        Residual SD.
    seed : int
        Seed of the generator; same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``y``, ``x`` (standard normal), ``school``, ``class``,
        ``class_id``; ``group_effects`` holds the school effects.
    """
    rng = np.random.default_rng(seed)
    n_classes = draw_sizes(rng, classes_per_school, n_schools)
    parent = np.repeat(np.arange(n_schools), n_classes)
    within = np.concatenate([np.arange(k) for k in n_classes])
    rows = draw_sizes(rng, n_per_class, parent.size)
    klass = np.repeat(np.arange(parent.size), rows)
    school = parent[klass]
    cov_offdiag = correlation * sd_school * sd_school_slope
    cov = np.array([[sd_school**2, cov_offdiag], [cov_offdiag, sd_school_slope**2]])
    u = rng.multivariate_normal(np.zeros(2), cov, size=n_schools)
    v = rng.normal(0.0, sd_class, size=parent.size)
    x = rng.normal(size=klass.size)
    mean = intercept + u[school, 0] + (slope + u[school, 1]) * x + v[klass]
    y = mean + rng.normal(0.0, sigma, size=klass.size)
    data = pd.DataFrame(
        {
            "y": y,
            "x": x,
            "school": [f"s{k:03d}" for k in school],
            "class": [f"c{k}" for k in within[klass]],
            "class_id": [f"k{k:05d}" for k in klass],
        }
    )
    truth = {
        "Intercept": intercept,
        "x": slope,
        "sd_school": sd_school,
        "sd_school_slope": sd_school_slope,
        "correlation": correlation,
        "sd_class": sd_class,
        "sigma": sigma,
    }
    return SimulatedData(data, truth, u)
