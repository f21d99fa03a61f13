"""Run a sampler on a PyMC model; the one place that knows sampler differences."""

from __future__ import annotations

import importlib.util
import logging
import time
import warnings
from dataclasses import dataclass

import pymc as pm
import xarray as xr

from bayeslme.errors import SamplerError

__all__ = ["SAMPLERS", "SamplerSettings", "run_sampler"]

_log = logging.getLogger("bayeslme")

SAMPLERS = ("auto", "nutpie", "pymc", "numpyro", "blackjax")
_EXTRA = {"nutpie": "nutpie", "numpyro": "numpyro", "blackjax": "blackjax"}


@dataclass(frozen=True)
class SamplerSettings:
    """Validated sampler settings.

    Raises
    ------
    SamplerError
        For non-positive draws or chains, negative tune, an unknown sampler or
        a target acceptance outside (0, 1).
    """

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    sampler: str = "auto"
    target_accept: float = 0.9
    random_seed: int | None = None
    progressbar: bool = True

    def __post_init__(self) -> None:
        for name, minimum in (("draws", 1), ("chains", 1), ("tune", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise SamplerError(f"{name} must be an integer >= {minimum}, got {value!r}")
        if self.sampler not in SAMPLERS:
            raise SamplerError(f"unknown sampler {self.sampler!r}; choose one of {list(SAMPLERS)}")
        if not 0 < self.target_accept < 1:
            raise SamplerError(f"target_accept must be in (0, 1), got {self.target_accept!r}")
        if self.random_seed is not None and (not isinstance(self.random_seed, int) or self.random_seed < 0):
            raise SamplerError(f"random_seed must be a non-negative integer, got {self.random_seed!r}")

    def resolved_sampler(self) -> str:
        """The concrete sampler: nutpie when installed for ``"auto"``."""
        if self.sampler == "auto":
            return "nutpie" if importlib.util.find_spec("nutpie") else "pymc"
        extra = _EXTRA.get(self.sampler)
        if extra and importlib.util.find_spec(extra) is None:
            raise SamplerError(
                f"sampler {self.sampler!r} needs the package {extra!r}: pip install 'bayeslme[{extra}]'"
            )
        return self.sampler


def run_sampler(model: pm.Model, settings: SamplerSettings) -> tuple[xr.DataTree, dict[str, float]]:
    """Sample ``model`` with NUTS.

    Returns
    -------
    idata : xarray.DataTree
        Posterior, sample stats, observed and constant data.
    timing : dict
        Wall seconds of the whole call under ``"sampling_wall"``.
    """
    sampler = settings.resolved_sampler()
    start = time.perf_counter()
    with warnings.catch_warnings():
        # PyMC's own convergence messages are replaced by ours (diagnostics.py).
        warnings.filterwarnings("ignore", message=".*Reliable r-hat and ESS.*")
        warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*")
        idata = pm.sample(
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            random_seed=settings.random_seed,
            progressbar=settings.progressbar,
            nuts_sampler=sampler,
            target_accept=settings.target_accept,
            compute_convergence_checks=False,
            model=model,
            quiet=not settings.progressbar,
        )
    elapsed = time.perf_counter() - start
    _log.info("sampled with %s in %.1f s", sampler, elapsed)
    return idata, {"sampling_wall": elapsed, "sampler": sampler}
