"""Sample a model with the precompiled kernel and nutpie (no PyMC graph is built or compiled)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import numpy as np
import xarray as xr

from bayeslme.formula.design import Design
from bayeslme.kernel.layout import KernelLayout, build_layout, unsupported_reason
from bayeslme.spec import ModelSpec

__all__ = ["ENV_SWITCH", "kernel_reason", "sample_with_kernel"]

ENV_SWITCH = "BAYESLME_KERNEL"
"""Set to ``0`` to sample through the PyMC model's compiled graph instead (debugging, comparisons)."""


def kernel_reason(spec: ModelSpec, design: Design, method: str, sampler: str) -> str | None:
    """Why this fit does not use the kernel (``None`` when it does)."""
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return f"{ENV_SWITCH}=0"
    if sampler != "nutpie":
        return f"sampler {sampler!r}"
    return unsupported_reason(spec, design, method)


class _Start:
    """``seed -> start + Uniform(-jitter, jitter)``: a chain's start (:attr:`KernelLayout.jitter`)."""

    def __init__(self, base: np.ndarray, jitter: np.ndarray) -> None:
        self._base = base
        self._jitter = jitter
        self._lock = threading.Lock()

    def __call__(self, seed: int | None = None) -> np.ndarray:
        with self._lock:
            unit = np.random.default_rng(seed).uniform(-1.0, 1.0, size=self._base.shape)
            return self._base + self._jitter * unit


def sample_with_kernel(
    spec: ModelSpec, design: Design, method: str, settings: Any, centered: tuple[bool, ...] | None = None
) -> tuple[xr.DataTree, dict[str, Any]]:
    """Sample ``spec`` on ``design`` with nutpie and the kernel's log density.

    Returns the tree (posterior with the PyMC model's variables, nutpie's
    sample statistics, and for the non-centered and marginal models the
    observed and constant data; the marginal model's integrated effects are
    drawn from their exact conditional) and timing information as
    :func:`bayeslme.backend.sampling.run_sampler`.
    """
    from bayeslme.backend.sampling import sample_nutpie
    from bayeslme.kernel.nutpie_model import kernel_nutpie_model

    start = time.perf_counter()
    layout = build_layout(spec, design, method, centered)
    model, path = kernel_nutpie_model(layout, _Start(layout.start, layout.jitter))
    compile_seconds = time.perf_counter() - start
    trace, sampling_seconds = sample_nutpie(model, settings)
    idata = _tree(trace, layout, spec, design, settings.random_seed)
    idata["posterior"].attrs.update(
        {
            "sampling_time": sampling_seconds,
            "tuning_steps": settings.tune,
            "log_density": f"bayeslme kernel ({path})",
        }
    )
    return idata, {
        "compile_seconds": compile_seconds,
        "sampling_seconds": sampling_seconds,
        # Nothing is compiled for a model: the kernel serves every formula.
        "compile_cached": True,
        "compile_from_disk": _loaded_from_disk(layout.callback),
        "kernel": path,
    }


def _loaded_from_disk(callback: str) -> bool:
    """Whether this process loaded the kernel's callback from numba's disk cache."""
    from bayeslme.kernel.callbacks import logp_callback

    return bool(getattr(logp_callback(callback), "cache_hits", 0))


def _tree(
    trace: xr.DataTree, layout: KernelLayout, spec: ModelSpec, design: Design, random_seed: int | None
) -> xr.DataTree:
    from bayeslme.kernel.draws import marginal_effects, posterior_dataset
    from bayeslme.kernel.nutpie_model import DRAWS_NAME
    from bayeslme.output import constant_data, observed_data

    q = np.asarray(trace["posterior"][DRAWS_NAME].values, dtype=np.float64)
    posterior = posterior_dataset(q, layout, spec, spec.column_means)
    if layout.marginal >= 0:
        # The same stream offset as the collapsed path's conditional draws.
        rng = np.random.default_rng(None if random_seed is None else [random_seed, 5])
        posterior = marginal_effects(posterior, q, layout, spec, design, rng)
    posterior.attrs.update(trace["posterior"].attrs)
    groups = {"posterior": posterior, "sample_stats": trace["sample_stats"].to_dataset()}
    if layout.method != "collapsed":
        groups["observed_data"] = observed_data(design)
        groups["constant_data"] = constant_data(spec, design)
    return xr.DataTree.from_dict(groups)
