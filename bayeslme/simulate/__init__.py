"""Seeded simulators of mixed-model data with known truth, for tests and the example gallery.

Each simulator takes a ``seed`` (same seed, same data) and returns a
:class:`SimulatedData` holding the data frame and the true parameter values.
The general-purpose simulators live in :mod:`bayeslme.simulate.basic`; the
gallery's study designs each have their own module.
"""

from bayeslme.simulate.autocorrelated import blood_pressure_ar1
from bayeslme.simulate.basic import SimulatedData, glmm, random_slopes
from bayeslme.simulate.chipseq import chipseq
from bayeslme.simulate.clinical import anxiety_therapy, clinical_trial, tumor_growth
from bayeslme.simulate.clusters import eeg_trials, single_cell, village_trial
from bayeslme.simulate.dyads import couples_adherence
from bayeslme.simulate.ecological import ecological
from bayeslme.simulate.nested import nested
from bayeslme.simulate.nutrition import nutrition

__all__ = [
    "SimulatedData",
    "anxiety_therapy",
    "blood_pressure_ar1",
    "chipseq",
    "clinical_trial",
    "couples_adherence",
    "ecological",
    "eeg_trials",
    "glmm",
    "nested",
    "nutrition",
    "random_slopes",
    "single_cell",
    "tumor_growth",
    "village_trial",
]
