"""Hand the kernel's log density to nutpie: the one boundary with nutpie's internals.

The fast path builds nutpie's ``CompiledPyMCModel`` (its numba-model class)
around the two cached C callbacks of :mod:`bayeslme.kernel.callbacks`, so
nutpie's sampler calls the log density without Python in between. That class
is nutpie's own and its fields may change between releases: any failure to
build it falls back to nutpie's public ``from_pyfunc`` model, which calls the
same compiled log density through Python (slower per evaluation, same
draws up to rounding), and the reason is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from bayeslme.kernel.layout import KernelLayout
from bayeslme.spec.names import auto_dim

__all__ = ["DRAWS_NAME", "kernel_nutpie_model"]

_log = logging.getLogger("bayeslme")

DRAWS_NAME = "__q"
"""Name of the stored unconstrained vector in nutpie's draws."""


def kernel_nutpie_model(
    layout: KernelLayout, initial_point: Callable[[int | None], np.ndarray]
) -> tuple[Any, str]:
    """A nutpie model of ``layout`` and which path built it (``"cfunc"`` or ``"pyfunc"``)."""
    try:
        return _cfunc_model(layout, initial_point), "cfunc"
    except Exception as error:  # noqa: BLE001 - any change in nutpie's internals falls back to its public API
        _log.info("nutpie's numba model class could not be built (%s); using nutpie's from_pyfunc", error)
        return _pyfunc_model(layout, initial_point), "pyfunc"


def _cfunc_model(layout: KernelLayout, initial_point: Callable) -> Any:
    from nutpie.compile_pymc import CompiledPyMCModel

    from bayeslme.kernel.callbacks import expand_callback, logp_callback, user_data

    record = user_data(layout.F, layout.I)
    n = layout.n_q
    return CompiledPyMCModel(
        _n_dim=n,
        dims={DRAWS_NAME: (auto_dim(DRAWS_NAME),)},
        _coords={auto_dim(DRAWS_NAME): np.arange(n)},
        _shapes={DRAWS_NAME: (n,)},
        compiled_logp_func=logp_callback(layout.callback),
        compiled_expand_func=expand_callback,
        initial_point_func=initial_point,
        # The callbacks read F and I through the record's addresses: keep both alive with it.
        shared_data={"F": layout.F, "I": layout.I},
        shared_var_keys={},
        user_data=record,
        n_expanded=n,
        shape_info=([DRAWS_NAME], [0], [(n,)]),
        logp_func=None,
        expand_func=None,
    )


def _pyfunc_model(layout: KernelLayout, initial_point: Callable) -> Any:
    from nutpie.compiled_pyfunc import from_pyfunc

    from bayeslme.kernel.callbacks import logp_grad

    F, I, n = layout.F, layout.I, layout.n_q

    def make_logp():
        def logp(x):
            grad = np.empty(n)
            value = logp_grad(np.asarray(x, dtype=np.float64), grad, F, I)
            return value, grad

        return logp

    def make_expand(seed1, seed2, chain):
        def expand(x):
            return {DRAWS_NAME: np.array(x, dtype=np.float64)}

        return expand

    return from_pyfunc(
        n,
        make_logp,
        make_expand,
        [np.dtype("float64")],
        [(n,)],
        [DRAWS_NAME],
        make_initial_point_fn=initial_point,
    )
