"""The C signatures of nutpie's numba-model callbacks, defined once for both compile paths.

nutpie calls a log-density callback ``int64(n_dim, x*, grad*, logp*, user_data*)``
and an expansion ``int64(n_dim, n_expanded, x*, out*, user_data*)``; a nonzero
return reports an error. Used by the precompiled kernel
(:mod:`bayeslme.kernel.density`) and by the cached callbacks of compiled
graphs (:mod:`bayeslme.backend.nutpie_compile`).
"""

from __future__ import annotations

from numba import types

__all__ = ["EXPAND_SIGNATURE", "LOGP_SIGNATURE"]

LOGP_SIGNATURE = types.int64(
    types.uint64,
    types.CPointer(types.double),
    types.CPointer(types.double),
    types.CPointer(types.double),
    types.voidptr,
)
EXPAND_SIGNATURE = types.int64(
    types.uint64,
    types.uint64,
    types.CPointer(types.double),
    types.CPointer(types.double),
    types.voidptr,
)
