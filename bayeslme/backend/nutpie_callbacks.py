"""nutpie's C callbacks: compiled from generated source through PyTensor's numba cache, pointed at, checked.

The one module on the PyMC-graph path that uses PyTensor's numba cache
internals (``pytensor.link.numba``); :mod:`bayeslme.backend.nutpie_compile`
builds the callbacks here, and any failure falls back to nutpie's own compile.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numba.core import cgutils, types

from bayeslme.backend.nutpie_abi import EXPAND_SIGNATURE, LOGP_SIGNATURE
from bayeslme.backend.nutpie_entries import CompileEntry
from bayeslme.backend.nutpie_source import _callback_name, _Slot

__all__ = [
    "NOT_IN_CACHE",
    "CCallback",
    "_c_callback",
    "_check_against_entry",
    "_check_against_pytensor",
    "_evaluate",
    "build_callback",
    "inner_cache_key",
]
_CTYPES = {
    types.uint64: ctypes.c_uint64,
    types.CPointer(types.double): ctypes.POINTER(ctypes.c_double),
    types.voidptr: ctypes.c_void_p,
}
_SIGNATURES = {"logp": LOGP_SIGNATURE, "expand": EXPAND_SIGNATURE}
# Stands in for the inner PyTensor function when a callback is loaded from
# numba's cache (where it is compiled in); numba cannot type it, so a cache
# miss fails instead of compiling something else.
NOT_IN_CACHE = object()


@numba.extending.intrinsic
def _as_voidptr(typingctx, address):
    """Numba intrinsic: the integer ``address`` as a ``void*``."""
    signature = types.voidptr(address)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], cgutils.voidptr_t)

    return signature, codegen


def build_callback(kind: str, source: str, key: str, slots: list[_Slot], inner: Any) -> CCallback:
    """The ``kind`` callback compiled from ``source`` (or loaded from numba's cache under ``key``).

    Parameters
    ----------
    kind : {"logp", "expand"}
        Which of nutpie's two callbacks.
    source : str
        Its generated source (:mod:`bayeslme.backend.nutpie_source`).
    key : str
        Its numba cache key.
    slots : list of _Slot
        Where the shared arrays it reads sit in the user-data record.
    inner : PyTensor's numba function, or NOT_IN_CACHE
        The compiled graph it calls; :data:`NOT_IN_CACHE` to load it from the
        cache only.
    """
    return _c_callback(_dispatcher_factory(kind, source, key, slots, inner), _SIGNATURES[kind])


def inner_cache_key(jit_fn: Any) -> str:
    """PyTensor's numba cache key of a compiled function graph."""
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    key = CACHED_SRC_FUNCTIONS.get(getattr(jit_fn, "py_func", None))
    if key is None:
        raise RuntimeError("PyTensor function has no numba cache key")
    return key


def _dispatcher_factory(
    kind: str, source: str, key: str, slots: list[_Slot], inner: Any
) -> Callable[[], Any]:
    """A factory of numba dispatchers for the callback, cached on disk under ``key``."""
    from pytensor.link.numba.cache import compile_numba_function_src
    from pytensor.link.numba.dispatch.basic import numba_njit

    name = _callback_name(kind)
    global_env = {
        # numba rebuilds a cached function's environment from this module
        "__name__": __name__,
        "np": np,
        "carray": numba.carray,
        "as_voidptr": _as_voidptr,
        "inner": inner,
        **{f"dtype{i}": slot.dtype.type for i, slot in enumerate(slots)},
    }

    def dispatcher() -> Any:
        function = compile_numba_function_src(source, name, global_env, cache_key=key)
        # The C wrapper (no_cfunc_wrapper=False) is what nutpie calls.
        return numba_njit(
            function,
            cache=True,
            fastmath=False,
            final_function=True,
            no_cpython_wrapper=True,
            no_cfunc_wrapper=False,
        )

    return dispatcher


def _c_callback(make_dispatcher: Callable[[], Any], signature: Any) -> CCallback:
    """Compile (or load from the disk cache) the callback for ``signature`` and point at its C wrapper."""
    dispatcher = make_dispatcher()
    dispatcher.compile(signature.args)
    overload = dispatcher.overloads[signature.args]
    if overload.signature.return_type != signature.return_type:
        raise RuntimeError(
            f"callback returns {overload.signature.return_type}, expected {signature.return_type}"
        )
    address = overload.library.get_pointer_to_function(overload.fndesc.llvm_cfunc_wrapper_name)
    prototype = ctypes.CFUNCTYPE(ctypes.c_int64, *(_CTYPES[arg] for arg in signature.args))
    return CCallback(address=address, ctypes=prototype(address), dispatcher=dispatcher)


@dataclass(frozen=True)
class CCallback:
    """A C function pointer to one compiled overload of a numba dispatcher.

    nutpie reads only ``address`` of the callbacks it is given; numba builds
    the C-ABI wrapper behind it together with the overload (and caches it
    with it), so no ``numba.cfunc`` has to be compiled in the process.

    Attributes
    ----------
    address : int
        Address of the C-ABI entry point.
    ctypes : ctypes function
        The entry point callable from Python (for tests and debugging).
    dispatcher : numba dispatcher
        Holds the compiled code alive as long as the callback.
    """

    address: int
    ctypes: Any
    dispatcher: Any


def _check_against_entry(callbacks: dict, entry: CompileEntry, user_data: np.ndarray, digest: str) -> None:
    """Raise unless the callbacks run, and the log density matches the entry's reference on the same data."""
    x = np.asarray(entry.reference_x, dtype=np.float64)
    status, logp, grad = _evaluate(callbacks["logp"], x, entry.n_dim, user_data)
    if status != 0 or not np.isfinite(logp) or not np.all(np.isfinite(grad)):
        raise RuntimeError(f"the loaded log density fails at the reference point (status {status})")
    if digest == entry.data_digest and not (
        np.allclose(logp, entry.reference_logp, rtol=1e-9)
        and np.allclose(grad, entry.reference_grad, rtol=1e-9, atol=1e-12)
    ):
        raise RuntimeError("the log density loaded for this model disagrees with the entry's reference")
    expanded = np.zeros(entry.n_expanded)
    doubles = ctypes.POINTER(ctypes.c_double)
    status = callbacks["expand"].ctypes(
        entry.n_dim,
        entry.n_expanded,
        x.ctypes.data_as(doubles),
        expanded.ctypes.data_as(doubles),
        ctypes.c_void_p(user_data.ctypes.data),
    )
    if status != 0:
        raise RuntimeError(f"the expansion loaded for this model fails (status {status})")


def _evaluate(
    callback: CCallback, x: np.ndarray, n_dim: int, user_data: np.ndarray
) -> tuple[int, float, np.ndarray]:
    """Status, log density and gradient of a logp callback at ``x``."""
    grad, logp = np.zeros(n_dim), np.zeros(1)
    doubles = ctypes.POINTER(ctypes.c_double)
    status = callback.ctypes(
        n_dim,
        x.ctypes.data_as(doubles),
        grad.ctypes.data_as(doubles),
        logp.ctypes.data_as(doubles),
        ctypes.c_void_p(user_data.ctypes.data),
    )
    return status, float(logp[0]), grad


def _check_against_pytensor(
    callback: CCallback, logp_fn_pt: Any, initial_point_fn: Callable, n_dim: int, user_data: np.ndarray
) -> tuple[np.ndarray, float, np.ndarray]:
    """The callback's point, log density and gradient at a start, checked against PyTensor's function.

    The callbacks read nutpie's record layout and call PyTensor's function
    directly; this one evaluation guards against a nutpie or numba version
    whose internals moved (the caller then falls back to nutpie's compile).

    Raises
    ------
    RuntimeError
        If the callback fails or disagrees with PyTensor's function.
    """
    x = np.ascontiguousarray(initial_point_fn(0), dtype=np.float64)
    status, logp, grad = _evaluate(callback, x, n_dim, user_data)
    logp_ref, grad_ref = logp_fn_pt(x)
    agrees = np.allclose(logp, logp_ref, rtol=1e-9) and np.allclose(grad, grad_ref, rtol=1e-9)
    if status != 0 or not agrees:
        raise RuntimeError("cached nutpie callback disagrees with the PyTensor log density")
    return x, logp, grad
