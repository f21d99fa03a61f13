"""Clustered study designs for the gallery: a village trial, single-cell donors, EEG trials.

Each design has one level at which something is assigned or measured (village,
donor, subject) and many rows inside it, which is what makes a model that
ignores the clusters over-confident or biased.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.simulate.basic import SimulatedData, draw_sizes, level_labels

__all__ = ["eeg_trials", "single_cell", "village_trial"]


def _arms(rng: np.random.Generator, n_clusters: int) -> np.ndarray:
    """Randomise half of the clusters (rounded down) to treatment, 0/1 per cluster."""
    arm = np.zeros(n_clusters, dtype=int)
    arm[: n_clusters // 2] = 1
    return rng.permutation(arm)


def village_trial(
    *,
    n_villages: int = 30,
    people_per_village: int | tuple[int, int] = (20, 60),
    intercept: float = -0.5,
    treatment: float = -0.7,
    sd_village: float = 1.0,
    seed: int = 0,
) -> SimulatedData:
    """Simulate a cluster-randomised trial: whole villages get the treatment, a binary outcome per person.

    .. math::

        \\operatorname{logit} P(y_{ij} = 1) = \\beta_0 + \\beta_1\\,\\text{treat}_j + u_j,
        \\qquad u_j \\sim \\mathcal{N}(0, \\sigma_v^2)

    Parameters
    ----------
    n_villages : int
        Number of villages; half of them (rounded down), drawn at random, are treated.
    people_per_village : int or (low, high)
        People per village, or a range to draw unequal village sizes from.
    intercept : float
        Log-odds of the outcome in an average untreated village.
    treatment : float
        Treatment effect as a log odds ratio, conditional on the village.
    sd_village : float
        SD of the village effects on the log-odds scale.
    seed : int
        Same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``y`` (0/1), ``treat`` (0/1, constant within a village) and
        ``village`` (labels ``v00``...); truth keys ``Intercept``, ``treat``,
        ``sd_village``; ``group_effects`` holds the village effects.
    """
    rng = np.random.default_rng(seed)
    sizes = draw_sizes(rng, people_per_village, n_villages)
    arm = _arms(rng, n_villages)
    u = rng.normal(0.0, sd_village, size=n_villages)
    village = np.repeat(np.arange(n_villages), sizes)
    eta = intercept + treatment * arm[village] + u[village]
    y = rng.binomial(1, 1.0 / (1.0 + np.exp(-eta)))
    labels = level_labels("v", n_villages)
    data = pd.DataFrame({"y": y, "treat": arm[village], "village": labels[village]})
    truth = {"Intercept": intercept, "treat": treatment, "sd_village": sd_village}
    return SimulatedData(data, truth, u[:, None])


def single_cell(
    *,
    n_donors: int = 8,
    cells_per_donor: int = 500,
    intercept: float = 0.0,
    condition: float = 0.0,
    sd_donor: float = 0.7,
    sigma: float = 1.0,
    seed: int = 0,
) -> SimulatedData:
    """Simulate one gene's expression in many cells from few donors, condition assigned per donor.

    .. math::

        y_{ij} = \\beta_0 + \\beta_1\\,\\text{condition}_j + u_j + \\varepsilon_{ij},
        \\qquad u_j \\sim \\mathcal{N}(0, \\sigma_d^2),\\ \\varepsilon_{ij} \\sim \\mathcal{N}(0, \\sigma^2)

    The default ``condition=0`` has no true effect, the setting in which a
    cell-level test's false positives show (pseudoreplication).

    Parameters
    ----------
    n_donors : int
        Number of donors; half of them (rounded down), drawn at random, are in the condition.
    cells_per_donor : int
        Cells measured per donor (equal, so refits of one formula share a compiled model).
    intercept, condition : float
        Mean expression of a control donor and the condition's effect.
    sd_donor : float
        SD of the donor effects (donor-to-donor variation in mean expression).
    sigma : float
        Cell-to-cell SD within a donor.
    seed : int
        Same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``expression``, ``condition`` (0/1, constant within a donor)
        and ``donor`` (labels ``d0``...); truth keys ``Intercept``,
        ``condition``, ``sd_donor``, ``sigma``; ``group_effects`` holds the
        donor effects.
    """
    rng = np.random.default_rng(seed)
    arm = _arms(rng, n_donors)
    u = rng.normal(0.0, sd_donor, size=n_donors)
    donor = np.repeat(np.arange(n_donors), cells_per_donor)
    y = intercept + condition * arm[donor] + u[donor] + rng.normal(0.0, sigma, size=donor.size)
    labels = level_labels("d", n_donors)
    data = pd.DataFrame({"expression": y, "condition": arm[donor], "donor": labels[donor]})
    truth = {"Intercept": intercept, "condition": condition, "sd_donor": sd_donor, "sigma": sigma}
    return SimulatedData(data, truth, u[:, None])


def eeg_trials(
    *,
    n_subjects: int = 30,
    trials: tuple[int, int] = (20, 150),
    intercept: float = 4.0,
    within: float = -8.0,
    between: float = 6.0,
    sd_intercept: float = 1.5,
    sd_slope: float = 5.0,
    mean_rt: float = 0.5,
    sd_subject_rt: float = 0.1,
    sd_trial_rt: float = 0.15,
    sigma: float = 5.0,
    seed: int = 0,
) -> SimulatedData:
    """Simulate single-trial EEG amplitudes that depend on the trial's reaction time.

    Subjects keep different numbers of trials (after artefact rejection) and
    differ in their typical reaction time. Within a subject, a slower trial
    has a smaller amplitude (``within``); across subjects, slower responders
    have larger amplitudes on average (``between``), so the two effects differ
    and averaging each subject's trials first can only see the second:

    .. math::

        y_{ij} = \\beta_0 + \\beta_B\\,\\bar r_j + (\\beta_W + u_{1j})(r_{ij} - \\bar r_j)
        + u_{0j} + \\varepsilon_{ij},

    with :math:`\\bar r_j` the subject's observed mean reaction time and
    :math:`(u_{0j}, u_{1j})` independent normal subject effects.

    Parameters
    ----------
    n_subjects : int
        Number of subjects.
    trials : (low, high)
        Range of the number of kept trials per subject (drawn uniformly).
    intercept : float
        Amplitude (µV) at a subject-mean reaction time of zero (the model's ``Intercept``).
    within : float
        Within-subject effect of reaction time (µV per second).
    between : float
        Between-subject effect of the subject's mean reaction time (µV per second).
    sd_intercept, sd_slope : float
        SDs of the subject intercepts (µV) and within-subject slopes (µV/s).
    mean_rt, sd_subject_rt, sd_trial_rt : float
        Reaction times (s): population mean, SD of subjects' typical times, SD
        of trials around a subject's typical time.
    sigma : float
        Single-trial noise SD (µV).
    seed : int
        Same seed, same data.

    Returns
    -------
    SimulatedData
        Columns ``amplitude`` (µV), ``rt`` (s), ``subject`` (labels ``s00``...);
        truth keys ``Intercept``, ``within``, ``between``, ``sd_intercept``,
        ``sd_slope``, ``sigma``; ``group_effects`` holds the subject effects
        (intercept, slope).
    """
    rng = np.random.default_rng(seed)
    sizes = draw_sizes(rng, trials, n_subjects)
    subject = np.repeat(np.arange(n_subjects), sizes)
    typical = rng.normal(mean_rt, sd_subject_rt, size=n_subjects)
    rt = np.clip(typical[subject] + rng.normal(0.0, sd_trial_rt, size=subject.size), 0.15, None)
    rt_bar = np.bincount(subject, weights=rt) / sizes
    centred = rt - rt_bar[subject]
    u = rng.normal(0.0, [sd_intercept, sd_slope], size=(n_subjects, 2))
    y = (
        intercept
        + between * rt_bar[subject]
        + (within + u[subject, 1]) * centred
        + u[subject, 0]
        + rng.normal(0.0, sigma, size=subject.size)
    )
    labels = level_labels("s", n_subjects)
    data = pd.DataFrame({"amplitude": y, "rt": rt, "subject": labels[subject]})
    truth = {
        "Intercept": intercept,
        "within": within,
        "between": between,
        "sd_intercept": sd_intercept,
        "sd_slope": sd_slope,
        "sigma": sigma,
    }
    return SimulatedData(data, truth, u)
