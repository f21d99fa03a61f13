"""Repeated daily measurements with autocorrelated residuals (gallery example 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.simulate.basic import SimulatedData, level_labels

__all__ = ["blood_pressure_ar1"]


def blood_pressure_ar1(
    *,
    n_patients: int = 40,
    n_days: int = 21,
    intercept: float = 135.0,
    treatment: float = -6.0,
    day_slope: float = -0.3,
    sd_intercept: float = 8.0,
    sigma: float = 6.0,
    ar: float = 0.6,
    missing: float = 0.1,
    seed: int = 0,
) -> SimulatedData:
    """Simulate home blood-pressure diaries: ``bp ~ treated + day + (1 | patient) + ar(day, patient)``.

    Each patient measures systolic blood pressure once a day for ``n_days``
    days; half of the patients (at random) take a treatment. Day-to-day
    deviations from a patient's own line follow a stationary AR(1) process
    with autocorrelation ``ar`` and marginal SD ``sigma``; then a fraction
    ``missing`` of the days is dropped at random (missed measurements, so the
    series have gaps, which an ``ar()`` term ignores: neighbours are
    consecutive recorded days). The AR process runs over all days including
    the missed ones, so across a gap the true correlation is ``ar**2`` or
    less: the fitted ``ar`` is slightly diluted by gaps.

    Parameters
    ----------
    n_patients, n_days : int
        Patients and days per patient (before missed days are removed).
    intercept : float
        Mean blood pressure (mmHg) of untreated patients on day 0.
    treatment : float
        Shift of treated patients (mmHg).
    day_slope : float
        Common change per day (mmHg).
    sd_intercept : float
        SD of patients' own levels.
    sigma : float
        Marginal SD of the daily residuals.
    ar : float
        Lag-one autocorrelation of the daily residuals, in (-1, 1).
    missing : float
        Probability that a day is missed, in [0, 1).
    seed : int
        Same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``patient`` (``p00``...), ``day`` (0..n_days-1), ``treated``
        (0/1), ``bp``; truth keys ``Intercept, treated, day, sd_patient,
        sigma, ar``; ``group_effects`` the patients' intercept deviations.
    """
    rng = np.random.default_rng(seed)
    u = rng.normal(0.0, sd_intercept, size=n_patients)
    treated = rng.permutation(np.arange(n_patients) % 2)
    e = np.empty((n_patients, n_days))
    e[:, 0] = rng.normal(size=n_patients)
    for t in range(1, n_days):
        e[:, t] = ar * e[:, t - 1] + np.sqrt(1.0 - ar**2) * rng.normal(size=n_patients)
    day = np.arange(n_days)
    mean = intercept + u[:, None] + treatment * treated[:, None] + day_slope * day[None, :]
    bp = mean + sigma * e
    data = pd.DataFrame(
        {
            "patient": np.repeat(level_labels("p", n_patients), n_days),
            "day": np.tile(day, n_patients),
            "treated": np.repeat(treated, n_days),
            "bp": bp.reshape(-1),
        }
    )
    keep = rng.uniform(size=len(data)) >= missing
    truth = {
        "Intercept": intercept,
        "treated": treatment,
        "day": day_slope,
        "sd_patient": sd_intercept,
        "sigma": sigma,
        "ar": ar,
    }
    return SimulatedData(data.loc[keep].reset_index(drop=True), truth, u)
