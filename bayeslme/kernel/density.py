"""Log density and gradient of bayeslme's mixed models, written once in numba.

One function, :func:`logp_grad`, evaluates every model this module supports:
its structure (family, link, factors, blocks, priors) and every size are read
from two flat arrays at run time (``F``, float64 data; ``I``, int64 layout and
indices; built by :mod:`bayeslme.kernel.layout`), so it is compiled once per
machine and cached by numba on disk: a new formula compiles nothing.

The density is that of the PyMC models of :mod:`bayeslme.backend` on the same
unconstrained scale, normalising constants included (tested against PyMC's
``model.compile_logp`` and ``compile_dlogp`` at random points):

* fixed effects ``theta`` (centred predictors, as sampled) with normal,
  Student-t or flat priors;
* positive scales (group SDs, ``sigma``, ``nu``, ``alpha``) as
  ``scale * exp(q)`` with a unit half-normal, half-Student-t, half-Cauchy,
  exponential or gamma prior on ``exp(q)`` and the log transform's Jacobian;
* per grouping factor, block-diagonal ``L = diag(sd) C``: ``C`` from PyMC's
  LKJ Cholesky-correlation transform (``us`` blocks), from one correlation
  ``rho`` under PyMC's interval transform (``cs`` and ``ar1`` blocks), or the
  identity;
* non-centered: standard-normal ``z``, ``u = z L'`` (or, for a factor
  sampled centered, ``u`` itself with prior ``N(0, L L')``) and
  ``eta = (X - m) theta + sum_f Z_f u_f[index_f] + offset`` with a Gaussian,
  Student-t, logit or probit Bernoulli and binomial, log Poisson or negative
  binomial likelihood;
* collapsed (one factor, Gaussian): the Woodbury form of
  :mod:`bayeslme.backend.collapsed` from per-group sufficient statistics;
* marginal (Gaussian, several factors): the non-centered model with one
  factor's effects integrated out given the others, by the same per-level
  Woodbury algebra on the residual ``y - eta`` (O(rows) per evaluation).

The gradient is written out by hand (reverse mode, term by term).
nutpie calls :func:`logp_callback` and :func:`expand_callback`, C functions
whose user-data pointer points to four int64 numbers: the address and length
of ``F`` and of ``I`` (:func:`user_data`). The expansion stores the
unconstrained point itself; :mod:`bayeslme.kernel.draws` computes the
posterior variables from it afterwards.
"""

from __future__ import annotations

import hashlib
import os

import numba
import numpy as np
from numba import types

from bayeslme.kernel.header import H_ALPHA, H_NQ, H_NU, H_P, H_QTHETA, H_SIGMA, _inner
from bayeslme.kernel.population import _population, _population_backward, _workspace
from bayeslme.kernel.rows import _noncentered
from bayeslme.kernel.woodbury import _collapsed

__all__ = ["PARTS", "SOURCE_DIGEST", "cache_directory", "compile_part", "inlined_digest", "source_files"]


# numba's disk cache of a function is keyed by its own file only, yet the
# callbacks below (in this file) hold the compiled code of every function they
# call from the kernel's other modules. So any edit of those modules must come
# with an edit of this file, which renews the callbacks' cache: this digest of
# their text is that edit. ``logp_callback`` refuses to run when it is out of
# date (a test checks it too); ``python -m bayeslme.kernel.density`` prints
# the current value.
_INLINED_MODULES = ("header", "elementary", "population", "rows", "woodbury", "marginal")
# Every module with numba-compiled code: the compile marker keys on all of them.
_COMPILED_MODULES = (*_INLINED_MODULES, "density", "callbacks")
SOURCE_DIGEST = "fd95e631dd8e4be7"


# C callbacks for nutpie. They live in this file because numba's disk cache of a
# function is keyed by its own file: a callback in another file would keep
# calling an outdated density after this file changed.


@numba.extending.intrinsic
def _int64_pointer(typingctx, pointer):
    """A ``void*`` as an ``int64*``."""
    signature = types.CPointer(types.int64)(pointer)

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(sig.return_type))

    return signature, codegen


@numba.extending.intrinsic
def _float64_address(typingctx, address):
    """An integer address as a ``double*``."""
    signature = types.CPointer(types.float64)(address)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

    return signature, codegen


@numba.extending.intrinsic
def _int64_address(typingctx, address):
    """An integer address as an ``int64*``."""
    signature = types.CPointer(types.int64)(address)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

    return signature, codegen


@_inner
def _record(data_pointer):
    """``F`` and ``I`` from the callbacks' user data: their addresses and lengths."""
    record = numba.carray(_int64_pointer(data_pointer), (4,))
    F = numba.carray(_float64_address(record[0]), (record[1],))
    I = numba.carray(_int64_address(record[2]), (record[3],))
    return F, I


# Each callback holds its model's whole evaluation, and Python reaches the
# same code through ctypes (logp_grad): one compiled copy per model kind. (The
# first compile took the same 9-11 s whether a callback called an njit entry
# point or held the body, measured on this machine; it does not decide this.)
def _logp_collapsed_c(dim, x_pointer, grad_pointer, logp_pointer, data_pointer):
    F, I = _record(data_pointer)
    if dim != I[H_NQ]:
        return -1
    q = numba.carray(x_pointer, (dim,))
    grad = numba.carray(grad_pointer, (dim,))
    scales, g_scales, Cs, dCs, Ws, Ls, gLs = _workspace(I)
    lp = _population(q, grad, F, I, scales, Cs, dCs, Ws, Ls)
    theta = q[I[H_QTHETA] : I[H_QTHETA] + I[H_P]]
    lp += _collapsed(q, grad, F, I, theta, Ls[0], gLs[0], scales[I[H_SIGMA]], g_scales)
    _population_backward(q, grad, F, I, scales, g_scales, Cs, dCs, Ws, gLs)
    logp_pointer[0] = lp
    return _status(lp, grad)


def _logp_noncentered_c(dim, x_pointer, grad_pointer, logp_pointer, data_pointer):
    F, I = _record(data_pointer)
    if dim != I[H_NQ]:
        return -1
    q = numba.carray(x_pointer, (dim,))
    grad = numba.carray(grad_pointer, (dim,))
    scales, g_scales, Cs, dCs, Ws, Ls, gLs = _workspace(I)
    lp = _population(q, grad, F, I, scales, Cs, dCs, Ws, Ls)
    theta = q[I[H_QTHETA] : I[H_QTHETA] + I[H_P]]
    sigma = scales[I[H_SIGMA]] if I[H_SIGMA] >= 0 else 1.0
    nu = scales[I[H_NU]] if I[H_NU] >= 0 else 1.0
    alpha = scales[I[H_ALPHA]] if I[H_ALPHA] >= 0 else 1.0
    lp += _noncentered(q, grad, F, I, theta, Ls, gLs, sigma, nu, alpha, g_scales)
    _population_backward(q, grad, F, I, scales, g_scales, Cs, dCs, Ws, gLs)
    logp_pointer[0] = lp
    return _status(lp, grad)


@_inner
def _status(value, grad):
    """Nutpie's codes: 3 for a non-finite gradient, 4 for a non-finite log density."""
    for t in range(grad.shape[0]):
        if not np.isfinite(grad[t]):
            return 3
    if not np.isfinite(value):
        return 4
    return 0


# The callbacks' costly inner functions, with the argument types the callbacks
# pass: compiling them ahead (into numba's disk cache) leaves a callback only
# its own small body to compile. bayeslme.kernel.warm compiles the shares in
# two processes at once on a machine's first fit; a test checks that these
# are the signatures the callbacks use.
_A1 = types.Array(types.float64, 1, "C")
_A2 = types.Array(types.float64, 2, "C")
_A3 = types.Array(types.float64, 3, "C")
_I1 = types.Array(types.int64, 1, "C")
PARTS = {
    "shared": (
        (_record, (types.voidptr,)),
        (_workspace, (_I1,)),
        (_population, (_A1, _A1, _A1, _I1, _A1, _A3, _A3, _A3, _A3)),
        (_population_backward, (_A1, _A1, _A1, _I1, _A1, _A1, _A3, _A3, _A3, _A3)),
        (_status, (types.float64, _A1)),
    ),
    "collapsed": ((_collapsed, (_A1, _A1, _A1, _I1, _A1, _A2, _A2, types.float64, _A1)),),
    "noncentered": (
        (_noncentered, (_A1, _A1, _A1, _I1, _A1, _A3, _A3, types.float64, types.float64, types.float64, _A1)),
    ),
}
"""Shares of the callbacks' compile: ``"shared"`` (priors, workspace) and one per model kind."""


def compile_part(part: str) -> None:
    """Compile (or load from numba's disk cache) the inner functions of ``part`` of :data:`PARTS`."""
    for function, signature in PARTS[part]:
        function.compile(signature)


def cache_directory() -> str:
    """The directory of this module's numba disk cache."""
    return _population.stats.cache_path


def source_files() -> tuple[str, ...]:
    """Paths of the kernel's modules whose code numba compiles (the compile marker keys on them)."""
    folder = os.path.dirname(os.path.abspath(__file__))
    return tuple(os.path.join(folder, f"{name}.py") for name in _COMPILED_MODULES)


def inlined_digest() -> str:
    """SHA-256 (16 hex digits) of the text of the modules whose code the callbacks inline."""
    folder = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    for name in _INLINED_MODULES:
        with open(os.path.join(folder, f"{name}.py"), "rb") as handle:
            digest.update(name.encode() + b"\0" + handle.read() + b"\0")
    return digest.hexdigest()[:16]


if __name__ == "__main__":
    print(inlined_digest())
