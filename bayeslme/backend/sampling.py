"""Run a sampler on a PyMC model; the one place that knows sampler differences."""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from bayeslme.errors import SamplerError

if TYPE_CHECKING:
    import pymc as pm

__all__ = [
    "SAMPLERS",
    "SamplerSettings",
    "clear_compile_cache",
    "nutpie_seed",
    "run_sampler",
    "sample_nutpie",
]

_log = logging.getLogger("bayeslme")

SAMPLERS = ("auto", "nutpie", "pymc", "numpyro", "blackjax")
_COMPILED: dict[tuple, Any] = {}
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
    target_accept: float = 0.8
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


def run_sampler(
    model: pm.Model, settings: SamplerSettings, *, cache_key: tuple | None = None
) -> tuple[xr.DataTree, dict[str, Any]]:
    """Sample ``model`` with NUTS.

    Parameters
    ----------
    model : pymc.Model
    settings : SamplerSettings
    cache_key : tuple, optional
        For nutpie: compiled models are kept for the session under this key
        plus the name and shape of every ``pm.Data`` container, and a later
        call with the same key only swaps in the new data
        (``CompiledPyMCModel.with_data``) instead of recompiling.

    Returns
    -------
    idata : xarray.DataTree
        Posterior, sample stats, observed and constant data.
    info : dict
        ``sampler``; ``compile_seconds`` (nutpie only; ``None`` for the other
        samplers, whose compilation is inside ``sampling_seconds``);
        ``sampling_seconds``; ``compile_cached`` (whether a compiled model
        kept in this session was reused); ``compile_from_disk`` (whether it
        was rebuilt from an entry an earlier process stored, see
        :mod:`bayeslme.backend.nutpie_entries`).
    """
    sampler = settings.resolved_sampler()
    with warnings.catch_warnings():
        # PyMC's own convergence messages are replaced by ours (diagnostics.py).
        warnings.filterwarnings("ignore", message=".*Reliable r-hat and ESS.*")
        warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*")
        if sampler == "nutpie":
            idata, info = _run_nutpie(model, settings, cache_key)
        else:
            idata, info = _run_pymc(model, settings, sampler)
    _log.info(
        "sampled with %s: compile %s s, sampling %.1f s",
        sampler,
        "n/a" if info["compile_seconds"] is None else f"{info['compile_seconds']:.1f}",
        info["sampling_seconds"],
    )
    return idata, {"sampler": sampler, **info}


def clear_compile_cache() -> None:
    """Forget every compiled model kept by :func:`run_sampler`."""
    _COMPILED.clear()


def _run_pymc(model: pm.Model, settings: SamplerSettings, sampler: str) -> tuple[xr.DataTree, dict]:
    import pymc as pm

    start = time.perf_counter()
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
    return idata, {
        "compile_seconds": None,
        "sampling_seconds": elapsed,
        "compile_cached": False,
        "compile_from_disk": False,
    }


def _run_nutpie(
    model: pm.Model, settings: SamplerSettings, cache_key: tuple | None
) -> tuple[xr.DataTree, dict]:
    # pymc is imported here, not with this module: the kernel's path uses
    # sample_nutpie alone and spares a process pymc's import.
    import pytensor
    from pymc.backends.arviz import patch_nutpie_idata

    from bayeslme.backend.initial_point import JitteredInitialPoint

    data = {var.name: var.get_value() for var in model.data_vars}
    key = None if cache_key is None else (cache_key, tuple((n, np.shape(v)) for n, v in sorted(data.items())))
    start = time.perf_counter()
    cached = key is not None and key in _COMPILED
    from_disk = False
    if cached:
        compiled, compiled_from, layout = _COMPILED[key]
        packed = layout.pack(data)
        # nutpie's initial-point function reads the data of the model it was
        # compiled from (prior locations set the starting point): update both.
        for var in compiled_from.data_vars:
            var.set_value(packed[var.name])
        # Only the containers the compiled functions read (an unused one is not known to nutpie).
        known = {var.name for var in getattr(compiled, "shared_var_keys", {})}
        compiled = compiled.with_data(**{n: v for n, v in packed.items() if n in known})
        start_rule = compiled.initial_point_func
        if isinstance(start_rule, JitteredInitialPoint):
            compiled = dataclasses.replace(compiled, initial_point_func=start_rule.for_new_data())
    else:
        # One data container per dtype: nutpie's numba wrapper compiles in a
        # fraction of the time (see bayeslme.backend.packing). PyTensor
        # records a Python stack trace for every node it creates, for its
        # own error messages; the rewrites create tens of thousands, and
        # walking the stack for each was about 8 % of a sleepstudy compile.
        with pytensor.config.change_flags(traceback__limit=0):
            compiled, packed_model, layout, from_disk = _compile_for_nutpie(model)
        if key is not None:
            _COMPILED[key] = (compiled, packed_model, layout)
    compile_seconds = time.perf_counter() - start
    idata, sampling_seconds = sample_nutpie(compiled, settings)
    patch_nutpie_idata(idata, model, sampling_time=sampling_seconds)
    return idata, {
        "compile_seconds": compile_seconds,
        "sampling_seconds": sampling_seconds,
        "compile_cached": cached,
        "compile_from_disk": from_disk,
    }


def _compile_for_nutpie(model: pm.Model) -> tuple[Any, pm.Model, Any, bool]:
    """Compile ``model`` for nutpie, with callbacks numba caches on disk when possible.

    Packing (:mod:`bayeslme.backend.packing`) and
    :func:`bayeslme.backend.nutpie_compile.compile_model` use PyTensor's and
    nutpie's internals; any failure in them (an import, a moved attribute, a
    changed record layout) falls back to nutpie's public
    ``compile_pymc_model`` of the unpacked model, with the reason logged.
    Returns the compiled model, the model it was compiled from, the packing
    layout (``None`` without packing) and whether it was rebuilt from an
    earlier process's entry.
    """
    import nutpie

    try:
        from bayeslme.backend.nutpie_compile import compile_model
        from bayeslme.backend.packing import pack_data

        packed_model, layout = pack_data(model)
        compiled, from_disk = compile_model(packed_model)
        return compiled, packed_model, layout, from_disk
    except Exception as error:  # noqa: BLE001 - any failure falls back to nutpie's own compile
        _log.info("cached nutpie compile failed (%s); using nutpie.compile_pymc_model", error)
        return nutpie.compile_pymc_model(model, backend="numba"), model, _Unpacked(), False


class _Unpacked:
    """The packing layout's interface for a model compiled without packing: data pass through."""

    def pack(self, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(data)


def sample_nutpie(compiled: Any, settings: SamplerSettings) -> tuple[xr.DataTree, float]:
    """Run nutpie on a compiled model with ``settings``; the draws and the seconds it took."""
    import nutpie

    start = time.perf_counter()
    trace = nutpie.sample(
        compiled,
        draws=settings.draws,
        tune=max(settings.tune, 1),  # nuts-rs needs at least one tuning step
        chains=settings.chains,
        seed=nutpie_seed(settings.random_seed, settings.chains),
        save_warmup=False,
        progress_bar=settings.progressbar,
        target_accept=settings.target_accept,
    )
    return trace, time.perf_counter() - start


def nutpie_seed(random_seed: int | None, chains: int) -> int | None:
    """The integer seed ``pm.sample(nuts_sampler="nutpie")`` would pass for ``random_seed``."""
    if random_seed is None:
        return None
    return int(np.random.default_rng(random_seed).spawn(chains)[0].integers(2**30))
