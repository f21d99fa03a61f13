"""Seeded simulators of mixed-model data with known truth, for tests and the example gallery.

Each simulator takes a ``seed`` (same seed, same data) and returns a
:class:`SimulatedData` holding the data frame and the true parameter values.
The general-purpose simulators live in :mod:`bayeslme.simulate.basic`; the
gallery's study designs each have their own module.
"""

from bayeslme.simulate.autocorrelated import blood_pressure_ar1
from bayeslme.simulate.basic import SimulatedData, glmm, random_slopes

__all__ = ["SimulatedData", "blood_pressure_ar1", "glmm", "random_slopes"]
