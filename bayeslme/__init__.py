"""bayeslme: Bayesian linear and generalized linear mixed models with lme4 formulas.

Examples
--------
>>> import bayeslme as bl
>>> model = bl.LMM("Reaction ~ Days + (Days | Subject)", data=bl.datasets.sleepstudy())
>>> fit = model.fit(random_seed=1)  # doctest: +SKIP
>>> fit.variance_components()  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bayeslme import datasets, dyadic, errors, simulate
    from bayeslme.bigdata.parquet import scan_parquet
    from bayeslme.crossval import kfold, reloo
    from bayeslme.interpret import datagrid
    from bayeslme.model import GLMM, LMM
    from bayeslme.priors import Prior
    from bayeslme.results.checks import compare
    from bayeslme.results.fit import Fit, load

__version__ = "0.1.0"

# Imported on first use, so that ``import bayeslme`` is cheap for the
# processes that need only a part of it (the kernel's compile workers, the
# command line's help).
_WHERE = {
    "GLMM": "bayeslme.model",
    "LMM": "bayeslme.model",
    "Fit": "bayeslme.results.fit",
    "Prior": "bayeslme.priors",
    "compare": "bayeslme.results.checks",
    "datagrid": "bayeslme.interpret",
    "kfold": "bayeslme.crossval",
    "reloo": "bayeslme.crossval",
    "scan_parquet": "bayeslme.bigdata.parquet",
    "load": "bayeslme.results.fit",
    "datasets": None,
    "dyadic": None,
    "errors": None,
    "simulate": None,
}

__all__ = [
    "GLMM",
    "LMM",
    "Fit",
    "Prior",
    "__version__",
    "compare",
    "datagrid",
    "datasets",
    "dyadic",
    "errors",
    "kfold",
    "load",
    "reloo",
    "scan_parquet",
    "simulate",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        # Any submodule, as when the eager imports had loaded it (bl.families ...).
        try:
            return importlib.import_module(f"bayeslme.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"bayeslme.{name}":
                raise
            raise AttributeError(f"module 'bayeslme' has no attribute {name!r}") from None
    module = _WHERE[name]
    value = (
        importlib.import_module(f"bayeslme.{name}")
        if module is None
        else getattr(importlib.import_module(module), name)
    )
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
