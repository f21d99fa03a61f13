"""Seeded simulators of mixed-model data with known truth, for tests and the example gallery.

Each simulator takes a ``seed`` (same seed, same data) and returns a
:class:`SimulatedData` holding the data frame and the true parameter values.
The general-purpose simulators live in :mod:`bayeslme.simulate.basic`; the
gallery's study designs each have their own module.
"""

from bayeslme.simulate.basic import SimulatedData, glmm, random_slopes
from bayeslme.simulate.clinical import anxiety_therapy, clinical_trial, tumor_growth

__all__ = [
    "SimulatedData",
    "glmm",
    "random_slopes",
    "anxiety_therapy",
    "clinical_trial",
    "tumor_growth",
]
