"""Within- vs between-patient effects of a dose (the ecological fallacy)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.simulate.basic import SimulatedData

__all__ = ["ecological"]


def ecological(
    *,
    n_patients: int = 30,
    n_visits: int = 8,
    intercept: float = 140.0,
    within: float = -3.0,
    between: float = 4.0,
    dose_mean: float = 5.0,
    sd_dose_between: float = 1.5,
    sd_dose_within: float = 1.0,
    sd_patient: float = 4.0,
    sigma: float = 3.0,
    seed: int = 0,
) -> SimulatedData:
    """Simulate blood pressure that falls with dose within patients but rises with it between them.

    Sicker patients (higher blood pressure) are prescribed higher doses, so
    across patients dose and blood pressure go up together; for any one
    patient, a visit with a higher dose than usual has a lower blood pressure.
    Patient :math:`j` has usual dose :math:`m_j \\sim N(\\mu, s_b^2)`, takes
    :math:`x_{ij} = m_j + N(0, s_w^2)` at visit :math:`i`, and

    .. math::

        \\text{bp}_{ij} = \\beta_0 + \\beta_B (m_j - \\mu) + \\beta_W (x_{ij} - m_j) + u_j
        + \\varepsilon_{ij}, \\quad u_j \\sim N(0, \\sigma_u^2),\\;
        \\varepsilon_{ij} \\sim N(0, \\sigma^2).

    A single pooled regression of bp on dose estimates roughly the
    variance-weighted blend
    :math:`(\\beta_B s_b^2 + \\beta_W s_w^2) / (s_b^2 + s_w^2)`, which with the
    defaults is positive although the dose lowers every patient's pressure.

    Parameters
    ----------
    n_patients, n_visits : int
        Patients and visits per patient.
    intercept : float
        Blood pressure (mmHg) of a patient on the average usual dose, at that dose.
    within : float
        Within-patient effect :math:`\\beta_W` (mmHg per dose unit).
    between : float
        Between-patient association :math:`\\beta_B` of usual dose with blood pressure.
    dose_mean, sd_dose_between, sd_dose_within : float
        :math:`\\mu`, :math:`s_b` and :math:`s_w` of the doses.
    sd_patient : float
        SD :math:`\\sigma_u` of the patients' random intercepts.
    sigma : float
        Visit-to-visit residual SD.
    seed : int
        Seed of the generator; same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``bp``, ``dose``, ``patient`` (``P01``...) and ``visit``; truth
        keys ``within``, ``between``, ``pooled`` (the blend above), ``sd_patient``
        and ``sigma``.
    """
    rng = np.random.default_rng(seed)
    usual = rng.normal(dose_mean, sd_dose_between, size=n_patients)
    u = rng.normal(0.0, sd_patient, size=n_patients)
    patient = np.repeat(np.arange(n_patients), n_visits)
    dose = usual[patient] + rng.normal(0.0, sd_dose_within, size=patient.size)
    bp = (
        intercept
        + between * (usual[patient] - dose_mean)
        + within * (dose - usual[patient])
        + u[patient]
        + rng.normal(0.0, sigma, size=patient.size)
    )
    data = pd.DataFrame(
        {
            "bp": bp,
            "dose": dose,
            "patient": [f"P{k + 1:02d}" for k in patient],
            "visit": np.tile(np.arange(1, n_visits + 1), n_patients),
        }
    )
    var_b, var_w = sd_dose_between**2, sd_dose_within**2
    truth = {
        "within": within,
        "between": between,
        "pooled": (between * var_b + within * var_w) / (var_b + var_w),
        "sd_patient": sd_patient,
        "sigma": sigma,
    }
    return SimulatedData(data, truth, u[:, None])
