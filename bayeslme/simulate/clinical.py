"""Clinical longitudinal study designs for the gallery: a trial, a therapy course, tumor growth.

Every simulator draws correlated random intercepts and slopes per subject,

.. math::

    y_{ij} = \\beta_0 + \\beta_g g_j + (\\beta_t + \\beta_{tg} g_j)\\,t_{ij}
             + u_{0j} + u_{1j} t_{ij} + \\varepsilon_{ij},
    \\qquad (u_{0j}, u_{1j}) \\sim \\mathcal{N}(0, \\Sigma),
    \\quad \\varepsilon_{ij} \\sim \\mathcal{N}(0, \\sigma^2),

with a study-specific time axis ``t``, group indicator ``g`` and pattern of
missing measurements, and returns the true values under the names used by
:meth:`bayeslme.Fit.fixed_effects` (fixed effects) and plain names for the
variance components.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.simulate.basic import SimulatedData, draw_intercept_slope, level_labels

__all__ = ["anxiety_therapy", "clinical_trial", "tumor_growth"]


def clinical_trial(
    *,
    n_patients: int = 100,
    visits: tuple[float, ...] = (0.0, 3.0, 6.0, 9.0, 12.0),
    jitter: float = 0.5,
    missed: float = 0.2,
    intercept: float = 60.0,
    months: float = -0.2,
    treatment: float = 1.0,
    months_treatment: float = 0.6,
    sd_intercept: float = 8.0,
    sd_slope: float = 0.6,
    correlation: float = -0.3,
    sigma: float = 5.0,
    seed: int = 0,
) -> SimulatedData:
    """Simulate a two-arm trial: quality of life over a year, irregular and missed visits.

    Patients are randomized 1:1 to ``treatment`` 0 (control) or 1 (active).
    Quality of life (0-100 scale) is measured at baseline and at scheduled
    follow-up visits; each follow-up happens up to ``jitter`` months early or
    late (uniform), and is missed entirely with probability ``missed``,
    independently of everything else (missing completely at random). Missed
    visits have no row. The model is ``qol ~ months * treatment + (1 + months | patient)``.

    Parameters
    ----------
    n_patients : int
        Patients; a random half (rounded down) get active treatment, the rest control.
    visits : tuple of float
        Scheduled visit times in months; the first is baseline (always attended, on time).
    jitter : float
        Largest deviation (months) of a follow-up visit from its schedule.
    missed : float
        Probability that a follow-up visit is missed.
    intercept, months : float
        Control arm's mean baseline quality of life and change per month.
    treatment, months_treatment : float
        Active minus control: difference at baseline and difference in monthly change.
    sd_intercept, sd_slope, correlation : float
        Between-patient SDs of baseline and monthly change, and their correlation.
    sigma : float
        Residual (visit-to-visit) SD.
    seed : int
        Seed of the generator; same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``patient``, ``treatment`` (0/1), ``visit`` (index into
        ``visits``), ``months`` (actual visit time) and ``qol``. Truth keys
        ``Intercept, months, treatment, months:treatment, sd_intercept,
        sd_slope, correlation, sigma, missed``. ``group_effects`` holds each
        patient's (intercept, slope) deviation.
    """
    rng = np.random.default_rng(seed)
    u = draw_intercept_slope(rng, n_patients, sd_intercept, sd_slope, correlation)
    arm = np.zeros(n_patients, dtype=int)
    arm[rng.permutation(n_patients)[: n_patients // 2]] = 1
    patient = np.repeat(np.arange(n_patients), len(visits))
    visit = np.tile(np.arange(len(visits)), n_patients)
    scheduled = np.asarray(visits, dtype=float)[visit]
    time = scheduled + np.where(visit > 0, rng.uniform(-jitter, jitter, size=visit.size), 0.0)
    time = np.clip(time, 0.0, None)
    g = arm[patient]
    mean = intercept + treatment * g + (months + months_treatment * g) * time
    qol = mean + u[patient, 0] + u[patient, 1] * time + rng.normal(0.0, sigma, size=visit.size)
    kept = (visit == 0) | (rng.uniform(size=visit.size) >= missed)
    data = pd.DataFrame(
        {
            "patient": level_labels("p", n_patients)[patient],
            "treatment": g,
            "visit": visit,
            "months": time,
            "qol": qol,
        }
    )[kept].reset_index(drop=True)
    truth = {
        "Intercept": intercept,
        "months": months,
        "treatment": treatment,
        "months:treatment": months_treatment,
        "sd_intercept": sd_intercept,
        "sd_slope": sd_slope,
        "correlation": correlation,
        "sigma": sigma,
        "missed": missed,
    }
    return SimulatedData(data, truth, u)


def anxiety_therapy(
    *,
    n_patients: int = 60,
    n_weeks: int = 12,
    intercept: float = 24.0,
    week: float = -0.8,
    sd_intercept: float = 5.0,
    sd_slope: float = 0.4,
    correlation: float = -0.6,
    sigma: float = 2.0,
    seed: int = 0,
) -> SimulatedData:
    """Simulate weekly anxiety scores during a course of therapy.

    Each patient is scored at weeks ``0, 1, ..., n_weeks - 1`` (higher is more
    anxious). Patients differ in their baseline score and in how fast they
    improve; a negative ``correlation`` means that patients who start worse
    improve faster (their slope is more negative). The model is
    ``anxiety ~ week + (1 + week | patient)``.

    Parameters
    ----------
    n_patients, n_weeks : int
        Patients and weekly sessions per patient.
    intercept, week : float
        Mean baseline score and mean change per week.
    sd_intercept, sd_slope, correlation : float
        Between-patient SDs of baseline and weekly change, and their correlation.
    sigma : float
        Residual (week-to-week) SD.
    seed : int
        Seed of the generator; same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``patient``, ``week``, ``anxiety``. Truth keys ``Intercept,
        week, sd_intercept, sd_slope, correlation, covariance, sigma``.
        ``group_effects`` holds each patient's (intercept, slope) deviation.
    """
    rng = np.random.default_rng(seed)
    u = draw_intercept_slope(rng, n_patients, sd_intercept, sd_slope, correlation)
    patient = np.repeat(np.arange(n_patients), n_weeks)
    weeks = np.tile(np.arange(n_weeks), n_patients)
    anxiety = (
        intercept + u[patient, 0] + (week + u[patient, 1]) * weeks + rng.normal(0.0, sigma, size=patient.size)
    )
    data = pd.DataFrame(
        {"patient": level_labels("p", n_patients)[patient], "week": weeks, "anxiety": anxiety}
    )
    truth = {
        "Intercept": intercept,
        "week": week,
        "sd_intercept": sd_intercept,
        "sd_slope": sd_slope,
        "correlation": correlation,
        "covariance": correlation * sd_intercept * sd_slope,
        "sigma": sigma,
    }
    return SimulatedData(data, truth, u)


def tumor_growth(
    *,
    n_mice: int = 24,
    days: tuple[float, ...] = (0, 3, 7, 10, 14, 17, 21, 24, 28),
    intercept: float = 4.6,
    day: float = 0.12,
    treated: float = 0.0,
    day_treated: float = -0.05,
    sd_intercept: float = 0.3,
    sd_slope: float = 0.02,
    correlation: float = -0.3,
    sigma: float = 0.15,
    endpoint: float = 2000.0,
    seed: int = 0,
) -> SimulatedData:
    """Simulate log tumor volume in mice with different starting sizes and growth rates.

    Tumors grow exponentially, so log volume (mm³) is linear in days. Half the
    mice are ``control``, half ``treated``; treatment slows growth by
    ``day_treated`` per day on the log scale. A mouse leaves the study (humane
    endpoint) after the first measurement whose volume exceeds ``endpoint``:
    later measurements have no row. Dropout depends only on observed values
    (missing at random), so a likelihood-based mixed model stays unbiased.
    The model is ``log_volume ~ day * group + (1 + day | mouse)``.

    Parameters
    ----------
    n_mice : int
        Mice; the first half control, the rest treated.
    days : tuple of float
        Measurement days.
    intercept, day : float
        Control group's mean log volume at day 0 and growth rate per day (log scale).
    treated, day_treated : float
        Treated minus control at day 0 and in growth rate.
    sd_intercept, sd_slope, correlation : float
        Between-mouse SDs of starting log volume and growth rate, and their correlation.
    sigma : float
        Residual SD of log volume (measurement error of calipers).
    endpoint : float
        Volume (mm³) after which a mouse is removed.
    seed : int
        Seed of the generator; same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``mouse``, ``group`` (``"control"``/``"treated"``), ``day``,
        ``volume`` and ``log_volume``. Truth keys ``Intercept, day,
        group[treated], day:group[treated], sd_intercept, sd_slope,
        correlation, sigma``. ``group_effects`` holds each mouse's
        (intercept, growth-rate) deviation.
    """
    rng = np.random.default_rng(seed)
    u = draw_intercept_slope(rng, n_mice, sd_intercept, sd_slope, correlation)
    arm = (np.arange(n_mice) >= n_mice // 2).astype(int)
    mouse = np.repeat(np.arange(n_mice), len(days))
    t = np.tile(np.asarray(days, dtype=float), n_mice)
    g = arm[mouse]
    log_volume = (
        intercept
        + treated * g
        + u[mouse, 0]
        + (day + day_treated * g + u[mouse, 1]) * t
        + rng.normal(0.0, sigma, size=t.size)
    )
    over = (
        pd.Series(np.exp(log_volume) > endpoint)
        .groupby(mouse)
        .transform(lambda s: s.cumsum().shift(fill_value=0) > 0)
    )
    data = pd.DataFrame(
        {
            "mouse": level_labels("m", n_mice)[mouse],
            "group": np.where(g == 1, "treated", "control"),
            "day": t,
            "volume": np.exp(log_volume),
            "log_volume": log_volume,
        }
    )[~over.to_numpy()].reset_index(drop=True)
    truth = {
        "Intercept": intercept,
        "day": day,
        "group[treated]": treated,
        "day:group[treated]": day_treated,
        "sd_intercept": sd_intercept,
        "sd_slope": sd_slope,
        "correlation": correlation,
        "sigma": sigma,
    }
    return SimulatedData(data, truth, u)
