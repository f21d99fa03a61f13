"""bayeslme: Bayesian linear and generalized linear mixed models with lme4 formulas.

Examples
--------
>>> import bayeslme as bl
>>> model = bl.LMM("Reaction ~ Days + (Days | Subject)", data=bl.datasets.sleepstudy())
>>> fit = model.fit(random_seed=1)  # doctest: +SKIP
>>> fit.variance_components()  # doctest: +SKIP
"""

from bayeslme import datasets, dyadic, errors, simulate
from bayeslme.io import load
from bayeslme.model import GLMM, LMM
from bayeslme.priors import Prior
from bayeslme.results.checks import compare
from bayeslme.results.fit import Fit

__version__ = "0.1.0"

__all__ = [
    "GLMM",
    "LMM",
    "Fit",
    "Prior",
    "__version__",
    "compare",
    "datasets",
    "dyadic",
    "errors",
    "load",
    "simulate",
]
