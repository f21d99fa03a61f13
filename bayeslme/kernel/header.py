"""Positions in the layout header, shared constants and the numba decorator of inner functions."""

from __future__ import annotations

import math

import numba

# Positions in the header of ``I`` (see bayeslme.kernel.layout).
H_METHOD, H_FAMILY, H_LINK, H_N, H_P, H_NF = 0, 1, 2, 3, 4, 5
H_QTHETA, H_TPRIOR_I, H_TPRIOR_F, H_X = 6, 7, 8, 9
H_Y, H_TRIALS, H_NORM, H_OFFSET = 10, 11, 12, 13
H_SIGMA, H_NU, H_ALPHA, H_NSCALE, H_SCALES = 14, 15, 16, 17, 18
H_FACTORS, H_STATS, H_NQ = 19, 20, 21
HEADER = 22

_LOG_2PI = math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)
_LOG2 = math.log(2.0)
_SQRT2 = math.sqrt(2.0)
_PROBIT_FLOOR = 1e-12

# Helpers called only from compiled code: no CPython wrapper to generate and compile.
_inner = numba.njit(cache=True, error_model="numpy", nogil=True, no_cpython_wrapper=True)
