"""The C callbacks nutpie calls, created on first use from the kernel's compiled density.

:func:`logp_grad` calls the same callback through ctypes, so tests and
nutpie's Python-callback fallback run exactly the code nutpie calls.
"""

from __future__ import annotations

import ctypes
import threading

import numba
import numpy as np

from bayeslme.backend.nutpie_abi import EXPAND_SIGNATURE, LOGP_SIGNATURE
from bayeslme.kernel import density
from bayeslme.kernel.density import _logp_collapsed_c, _logp_noncentered_c
from bayeslme.kernel.header import H_METHOD, H_NQ

__all__ = ["expand_callback", "logp_callback", "logp_grad", "user_data"]

_LOGP_CALLBACKS: dict = {}
_CALLBACK_LOCK = threading.Lock()


def logp_callback(method: str):
    """The C log-density callback of ``method`` ("collapsed" or "noncentered").

    Created on first use, so a process compiles (or loads from numba's disk
    cache) only the model it samples; on a machine's first fit the costly
    part of the compile runs in two processes (:mod:`bayeslme.kernel.warm`).
    """
    from bayeslme.kernel import warm

    with _CALLBACK_LOCK:  # nutpie or the user may sample from several threads
        if method not in _LOGP_CALLBACKS:
            _check_source_digest()
            source = _logp_collapsed_c if method == "collapsed" else _logp_noncentered_c
            warm.ensure(method)
            _LOGP_CALLBACKS[method] = numba.cfunc(
                LOGP_SIGNATURE, cache=True, error_model="numpy", nogil=True
            )(source)
            warm.mark_compiled(method)
        return _LOGP_CALLBACKS[method]


_CTYPES_CALLBACKS: dict = {}


def _ctypes_callback(method: str):
    """:func:`logp_callback` as a ctypes function."""
    if method not in _CTYPES_CALLBACKS:
        pointer = ctypes.POINTER(ctypes.c_double)
        arguments = (ctypes.c_uint64, pointer, pointer, pointer, ctypes.c_void_p)
        prototype = ctypes.CFUNCTYPE(ctypes.c_int64, *arguments)
        _CTYPES_CALLBACKS[method] = prototype(logp_callback(method).address)
    return _CTYPES_CALLBACKS[method]


@numba.cfunc(EXPAND_SIGNATURE, cache=True, nogil=True)
def expand_callback(dim, expanded, x_pointer, out_pointer, data_pointer):
    """Nutpie's expansion: the stored draw is the unconstrained point itself."""
    if dim != expanded:
        return -1
    for t in range(dim):
        out_pointer[t] = x_pointer[t]
    return 0


def user_data(F: np.ndarray, I: np.ndarray) -> np.ndarray:
    """The four numbers the callbacks read: addresses and lengths of ``F`` and ``I``."""
    return np.array([F.ctypes.data, F.size, I.ctypes.data, I.size], dtype=np.int64)


def logp_grad(q: np.ndarray, grad: np.ndarray, F: np.ndarray, I: np.ndarray) -> float:
    """Log density at the unconstrained point ``q``; writes its gradient into ``grad``.

    Calls the model's C callback (:func:`logp_callback`) through ctypes, so
    tests and nutpie's Python-callback fallback run exactly the code nutpie
    calls, and numba compiles it once.
    """
    q = np.ascontiguousarray(q, dtype=np.float64)
    if grad.dtype != np.float64 or not grad.flags.c_contiguous or grad.shape != q.shape:
        raise ValueError("grad must be a C-contiguous float64 array shaped like q")
    callback = _ctypes_callback("noncentered" if I[H_METHOD] == 0 else "collapsed")
    record = user_data(F, I)
    value = np.zeros(1)
    pointer = ctypes.POINTER(ctypes.c_double)
    status = callback(
        q.size,
        q.ctypes.data_as(pointer),
        grad.ctypes.data_as(pointer),
        value.ctypes.data_as(pointer),
        record.ctypes.data,
    )
    if status == -1:
        raise ValueError(f"q has {q.size} entries; the layout has {I[H_NQ]}")
    return float(value[0])


def _check_source_digest() -> None:
    """Refuse a callback whose numba cache could predate an edit of the modules it inlines."""
    current = density.inlined_digest()
    if current != density.SOURCE_DIGEST:
        raise RuntimeError(
            "bayeslme's kernel modules changed without bayeslme/kernel/density.py: set its "
            f"SOURCE_DIGEST to {current!r} so that numba recompiles the callbacks"
        )
