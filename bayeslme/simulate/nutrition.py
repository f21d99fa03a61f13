"""Personalized nutrition: glucose responses to meals with a person-specific effect of fiber."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.simulate.basic import SimulatedData, level_labels

__all__ = ["nutrition"]


def nutrition(
    *,
    n_people: int = 40,
    n_meals: int = 12,
    intercept: float = 45.0,
    fiber: float = -1.0,
    sd_intercept: float = 8.0,
    sd_fiber: float = 0.8,
    correlation: float = -0.3,
    sigma: float = 6.0,
    seed: int = 0,
) -> SimulatedData:
    """Simulate ``glucose ~ fiber + (1 + fiber | person)``: each person's own response to fiber.

    Each person eats ``n_meals`` test meals with fiber content drawn uniformly
    between 0 and 15 g; the outcome is the post-meal glucose rise (mg/dL).
    Person :math:`j` has their own intercept and fiber slope,

    .. math::

        \\text{glucose}_{ij} = (\\beta_0 + u_{0j}) + (\\beta_1 + u_{1j})\\,\\text{fiber}_{ij}
        + \\varepsilon_{ij},\\quad (u_{0j}, u_{1j}) \\sim N(0, \\Sigma),\\;
        \\varepsilon_{ij} \\sim N(0, \\sigma^2),

    so with the defaults most people's rise falls with fiber (:math:`\\beta_1 < 0`)
    while a minority do not benefit.

    Parameters
    ----------
    n_people, n_meals : int
        People and meals per person.
    intercept : float
        Mean glucose rise of a fiber-free meal.
    fiber : float
        Mean change of the rise per gram of fiber.
    sd_intercept, sd_fiber, correlation : float
        SDs of the person effects and their correlation.
    sigma : float
        Meal-to-meal residual SD.
    seed : int
        Seed of the generator; same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``glucose``, ``fiber``, ``person`` (``p00``...) and ``meal``;
        truth keys ``Intercept``, ``fiber``, ``sd_intercept``, ``sd_fiber``,
        ``correlation``, ``sigma``. ``group_effects`` holds each person's true
        deviations ``(u0, u1)`` in the (sorted) order of their labels, so person
        ``j``'s true slope is ``truth["fiber"] + group_effects[j, 1]``.
    """
    rng = np.random.default_rng(seed)
    cov_01 = correlation * sd_intercept * sd_fiber
    cov = np.array([[sd_intercept**2, cov_01], [cov_01, sd_fiber**2]])
    u = rng.multivariate_normal(np.zeros(2), cov, size=n_people)
    person = np.repeat(np.arange(n_people), n_meals)
    grams = rng.uniform(0.0, 15.0, size=person.size)
    glucose = (
        intercept + u[person, 0] + (fiber + u[person, 1]) * grams + rng.normal(0.0, sigma, size=person.size)
    )
    data = pd.DataFrame(
        {
            "glucose": glucose,
            "fiber": grams,
            "person": level_labels("p", n_people)[person],
            "meal": np.tile(np.arange(1, n_meals + 1), n_people),
        }
    )
    truth = {
        "Intercept": intercept,
        "fiber": fiber,
        "sd_intercept": sd_intercept,
        "sd_fiber": sd_fiber,
        "correlation": correlation,
        "sigma": sigma,
    }
    return SimulatedData(data, truth, u)
