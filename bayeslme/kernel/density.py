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

import ctypes
import math
import threading

import numba
import numpy as np
from numba import types

from bayeslme.backend.nutpie_abi import EXPAND_SIGNATURE, LOGP_SIGNATURE

__all__ = [
    "EXPAND_SIGNATURE",
    "HEADER",
    "LOGP_SIGNATURE",
    "PARTS",
    "cache_directory",
    "compile_part",
    "expand_callback",
    "logp_callback",
    "logp_grad",
    "user_data",
]

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

# exp() of x <= 0 by range reduction x = -k log 2 + r (log 2 in two parts,
# Cody-Waite), a degree-13 Taylor polynomial in |r| <= log(2) / 2 (next term
# below 4e-18) and 2^-k built from the bits of k by selects: arithmetic only, no
# libm call, so LLVM vectorises the row loops that use it (libm's exp is a
# scalar call).
_INV_LN2 = 1.0 / math.log(2.0)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_EXP_FLOOR = -43.0


@_inner
def _digamma(x: float) -> float:
    """Digamma for x > 0: recurrence up to 6, then the asymptotic series (error < 1e-13)."""
    result = 0.0
    while x < 6.0:
        result -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (
        -1.0 / 12
        + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132 + f * (691.0 / 32760)))))
    )
    return result + math.log(x) - 0.5 / x + series


@_inner
def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@_inner
def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@_inner
def _unit_scale(kind: int, x: float, shape: float) -> tuple:
    """Log density of a unit-scale positive prior at ``x`` and its derivative."""
    if kind == 0:  # half-normal(1)
        return 0.5 * (_LOG2 - _LOG_PI) - 0.5 * x * x, -x
    if kind == 1:  # half-Student-t(nu, 1)
        nu = shape
        const = _LOG2 + math.lgamma(0.5 * (nu + 1)) - math.lgamma(0.5 * nu) - 0.5 * math.log(nu * math.pi)
        return const - 0.5 * (nu + 1) * math.log1p(x * x / nu), -(nu + 1) * x / (nu + x * x)
    if kind == 2:  # half-Cauchy(1)
        return _LOG2 - _LOG_PI - math.log1p(x * x), -2.0 * x / (1.0 + x * x)
    if kind == 3:  # exponential(1)
        return -x, -1.0
    # gamma(alpha, 1)
    alpha = shape
    return (alpha - 1) * math.log(x) - x - math.lgamma(alpha), (alpha - 1) / x - 1.0


@_inner
def _location(kind: int, x: float, mu: float, s: float, nu: float) -> tuple:
    """Log density of a location prior at ``x`` and its derivative."""
    if kind == 0:
        t = (x - mu) / s
        return -0.5 * t * t - math.log(s) - 0.5 * _LOG_2PI, -t / s
    if kind == 1:
        t = (x - mu) / s
        const = (
            math.lgamma(0.5 * (nu + 1)) - math.lgamma(0.5 * nu) - 0.5 * math.log(nu * math.pi) - math.log(s)
        )
        return const - 0.5 * (nu + 1) * math.log1p(t * t / nu), -(nu + 1) * t / (s * (nu + t * t))
    return 0.0, 0.0


@_inner
def _lkj_normaliser(eta: float, n: int) -> float:
    total = (n - 1) * math.lgamma(eta + 0.5 * (n - 1))
    for k in range(1, n):
        total -= 0.5 * k * _LOG_PI + math.lgamma(eta + 0.5 * (n - 1 - k))
    return total


@_inner
def _structured(kind: int, rho: float, width: int, C: np.ndarray, dC: np.ndarray, start: int) -> None:
    """``cs`` (kind 2) or ``ar1`` (kind 3) correlation Cholesky factor and its derivative in ``rho``."""
    if kind == 3:
        tail = math.sqrt(1.0 - rho * rho)
        dtail = -rho / tail
        for i in range(width):
            C[start + i, start] = rho**i
            dC[start + i, start] = i * rho ** (i - 1) if i > 0 else 0.0
            for j in range(1, i + 1):
                power = rho ** (i - j)
                dpower = (i - j) * rho ** (i - j - 1) if i > j else 0.0
                C[start + i, start + j] = power * tail
                dC[start + i, start + j] = dpower * tail + power * dtail
        return
    a, da = 0.0, 0.0
    for j in range(width):
        inner = 1.0 - rho * rho * a
        dinner = -2.0 * rho * a - rho * rho * da
        diagonal = math.sqrt(inner)
        ddiagonal = 0.5 * dinner / diagonal
        C[start + j, start + j] = diagonal
        dC[start + j, start + j] = ddiagonal
        num = rho - rho * rho * a
        dnum = 1.0 - 2.0 * rho * a - rho * rho * da
        for i in range(j + 1, width):
            C[start + i, start + j] = num / diagonal
            dC[start + i, start + j] = (dnum * diagonal - num * ddiagonal) / (diagonal * diagonal)
        top = (1.0 - rho * a) ** 2
        dtop = 2.0 * (1.0 - rho * a) * (-a - rho * da)
        a, da = a + top / inner, da + (dtop * inner - top * dinner) / (inner * inner)


@_inner
def _factor_forward(q, F, I, fo, C, dC, W):
    """Fill ``C`` (k x k correlation Cholesky, block diagonal) of the factor at ``fo``; its log prior."""
    k = I[fo + 1]
    n_blocks, bo = I[fo + 6], I[fo + 7]
    lp = 0.0
    for a in range(k):
        C[a, a] = 1.0
    for blk in range(n_blocks):
        r = bo + 7 * blk
        start, width, kind, qc, fc, mo = I[r], I[r + 1], I[r + 2], I[r + 3], I[r + 4], I[r + 5]
        if kind == 1:
            m = width * (width - 1) // 2
            for t in range(m):
                W[start + I[mo + 2 * t], start + I[mo + 2 * t + 1]] = q[qc + t]
            eta = F[fc]
            coef = 2.0 * eta - 1.0 + width
            lp += _lkj_normaliser(eta, width)
            for i in range(width):
                norm2 = 1.0
                for j in range(i):
                    norm2 += W[start + i, start + j] ** 2
                norm = math.sqrt(norm2)
                for j in range(i):
                    C[start + i, start + j] = W[start + i, start + j] / norm
                C[start + i, start + i] = 1.0 / norm
                lp -= 0.5 * coef * math.log(norm2)
        elif kind >= 2:
            lo, hi = F[fc], F[fc + 1]
            y = q[qc]
            rho = lo + (hi - lo) * _sigmoid(y)
            lp += -2.0 * _softplus(-y) - y  # Uniform(lo, hi) with the interval transform's Jacobian
            _structured(kind, rho, width, C, dC, start)
    return lp


@_inner
def _factor_backward(q, F, I, fo, C, dC, W, gC, grad):
    """Push ``gC`` (gradient of the factor's C) and the LKJ prior's own gradient into ``grad``."""
    n_blocks, bo = I[fo + 6], I[fo + 7]
    for blk in range(n_blocks):
        r = bo + 7 * blk
        start, width, kind, qc, fc, mo = I[r], I[r + 1], I[r + 2], I[r + 3], I[r + 4], I[r + 5]
        if kind == 1:
            eta = F[fc]
            coef = 2.0 * eta - 1.0 + width
            m = width * (width - 1) // 2
            for t in range(m):
                i, j = start + I[mo + 2 * t], start + I[mo + 2 * t + 1]
                norm2 = 1.0
                for l in range(start, i):
                    norm2 += W[i, l] ** 2
                norm = math.sqrt(norm2)
                # C[i, l] = W[i, l] / norm (W[i, i] = 1): d/dW[i, j] of sum_l gC[i, l] C[i, l]
                dot = gC[i, i]
                for l in range(start, i):
                    dot += gC[i, l] * W[i, l]
                g = gC[i, j] / norm - dot * W[i, j] / (norm2 * norm) - coef * W[i, j] / norm2
                grad[qc + t] += g
        elif kind >= 2:
            lo, hi = F[fc], F[fc + 1]
            y = q[qc]
            s = _sigmoid(y)
            g = 0.0
            for i in range(start, start + width):
                for j in range(start, i + 1):
                    g += gC[i, j] * dC[i, j]
            grad[qc] += g * (hi - lo) * s * (1.0 - s) + 1.0 - 2.0 * s


@_inner
def _family_row(family, link, y, eta, sigma, nu, alpha, trials, norm):
    """Row log-likelihood and its derivatives in eta, sigma, nu, alpha.

    For the Bernoulli and binomial families not on a fast path of
    :func:`_family_pass` (which evaluates the Gaussian, Student-t, log
    Poisson, logit Bernoulli and negative binomial itself).
    """
    # bernoulli (n = 1), binomial
    n = 1.0 if family == 2 else trials
    if link == 0:
        # y eta - n softplus(eta) + log C(n, y)
        return y * eta - n * _softplus(eta) + norm, y - n * _sigmoid(eta), 0.0, 0.0, 0.0
    p = 0.5 * math.erfc(-eta / _SQRT2)
    dp = math.exp(-0.5 * eta * eta) / math.sqrt(2.0 * math.pi)
    if p < _PROBIT_FLOOR:
        p, dp = _PROBIT_FLOOR, 0.0
    elif p > 1.0 - _PROBIT_FLOOR:
        p, dp = 1.0 - _PROBIT_FLOOR, 0.0
    value = y * math.log(p) + (n - y) * math.log1p(-p) + norm
    return value, dp * (y / p - (n - y) / (1.0 - p)), 0.0, 0.0, 0.0


@_inner
def _population(q, grad, F, I, scales, Cs, dCs, Ws, Ls):
    """Priors of theta and the scales, the factors' L = diag(sd) C; zeroes ``grad`` first."""
    p, n_factors = I[H_P], I[H_NF]
    for t in range(grad.shape[0]):
        grad[t] = 0.0
    lp = 0.0
    qt, kinds, tp = I[H_QTHETA], I[H_TPRIOR_I], I[H_TPRIOR_F]
    for j in range(p):
        value, d = _location(I[kinds + j], q[qt + j], F[tp + j], F[tp + p + j], F[tp + 2 * p + j])
        lp += value
        grad[qt + j] += d
    # Positive scales: value = scale * exp(q).
    so = I[H_SCALES]
    for r in range(I[H_NSCALE]):
        qi, kind, fo = I[so + 3 * r], I[so + 3 * r + 1], I[so + 3 * r + 2]
        x = math.exp(q[qi])
        value, d = _unit_scale(kind, x, F[fo + 1])
        lp += value + q[qi]
        grad[qi] += d * x + 1.0
        scales[r] = x * F[fo]
    for f in range(n_factors):
        fo = I[I[H_FACTORS] + f]
        k, owner = I[fo + 1], I[fo + 5]
        lp += _factor_forward(q, F, I, fo, Cs[f], dCs[f], Ws[f])
        for a in range(k):
            sd = scales[I[owner + a]]
            for b in range(a + 1):
                Ls[f, a, b] = sd * Cs[f, a, b]
    return lp


@_inner
def _population_backward(q, grad, F, I, scales, g_scales, Cs, dCs, Ws, gLs):
    """Push the gradient in each L and in the scales back to ``grad``."""
    for f in range(I[H_NF]):
        fo = I[I[H_FACTORS] + f]
        k, owner = I[fo + 1], I[fo + 5]
        gC = np.zeros((k, k))
        for a in range(k):
            sd = scales[I[owner + a]]
            g_sd = 0.0
            for b in range(a + 1):
                g_sd += gLs[f, a, b] * Cs[f, a, b]
                gC[a, b] = gLs[f, a, b] * sd
            g_scales[I[owner + a]] += g_sd
        _factor_backward(q, F, I, fo, Cs[f], dCs[f], Ws[f], gC, grad)
    so = I[H_SCALES]
    for r in range(I[H_NSCALE]):
        grad[I[so + 3 * r]] += g_scales[r] * scales[r]


@_inner
def _workspace(I):
    n_factors = I[H_NF]
    k_max = 1
    for f in range(n_factors):
        k_max = max(k_max, I[I[I[H_FACTORS] + f] + 1])
    shape = (n_factors, k_max, k_max)
    return (
        np.empty(I[H_NSCALE]),
        np.zeros(I[H_NSCALE]),
        np.zeros(shape),
        np.zeros(shape),
        np.zeros(shape),
        np.zeros(shape),
        np.zeros(shape),
    )


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


@_inner
def _exp_nonpositive(x):
    """``exp(x)`` for x <= 0 to 3e-16 relative, vectorisable; x below -43 is read as -43.

    exp(-43) = 2e-19: where this is used (the logistic terms, ``log1p(e)``
    next to terms of order one or more, and ``e / (1 + e)``) the clamp
    changes no result by more than that, absolutely.
    """
    x = max(x, _EXP_FLOOR)
    k = int(-x * _INV_LN2 + 0.5)
    r = x + k * _LN2_HI + k * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    # 2^-k from the bits of k (0 <= k <= 62) by selects.
    scale = 1.0
    scale *= 0.5 if k & 1 else 1.0
    scale *= 0.25 if k & 2 else 1.0
    scale *= 0.0625 if k & 4 else 1.0
    scale *= 0.00390625 if k & 8 else 1.0
    scale *= 1.52587890625e-05 if k & 16 else 1.0
    scale *= 2.3283064365386963e-10 if k & 32 else 1.0
    return p * scale


@_inner
def _log1p_unit(e):
    """``log(1 + e)`` for 0 <= e <= 1 to 5e-16 relative: 2 atanh(s), s = e / (2 + e) <= 1/3, by its series."""
    s = e / (2.0 + e)
    t = s * s
    p = 1.0 / 37.0
    p = p * t + 1.0 / 35.0
    p = p * t + 1.0 / 33.0
    p = p * t + 1.0 / 31.0
    p = p * t + 1.0 / 29.0
    p = p * t + 1.0 / 27.0
    p = p * t + 1.0 / 25.0
    p = p * t + 1.0 / 23.0
    p = p * t + 1.0 / 21.0
    p = p * t + 1.0 / 19.0
    p = p * t + 1.0 / 17.0
    p = p * t + 1.0 / 15.0
    p = p * t + 1.0 / 13.0
    p = p * t + 1.0 / 11.0
    p = p * t + 1.0 / 9.0
    p = p * t + 1.0 / 7.0
    p = p * t + 1.0 / 5.0
    p = p * t + 1.0 / 3.0
    p = p * t + 1.0 / 1.0
    return 2.0 * s * p


@_inner
def _sum(a):
    """``sum a_i`` in four interleaved partial sums (see :func:`_dot`)."""
    n = a.shape[0]
    s0, s1, s2, s3 = 0.0, 0.0, 0.0, 0.0
    m = n - n % 4
    for i in range(0, m, 4):
        s0 += a[i]
        s1 += a[i + 1]
        s2 += a[i + 2]
        s3 += a[i + 3]
    for i in range(m, n):
        s0 += a[i]
    return (s0 + s1) + (s2 + s3)


@_inner
def _dot(a, b):
    """``sum a_i b_i`` in four interleaved partial sums, added pairwise at the end.

    One running sum waits for each addition to finish (about 4 cycles); four
    independent ones keep the adder busy, and the order of the additions is
    fixed by this code, not by the compiler or the CPU, so the result is the
    same on every machine.
    """
    n = a.shape[0]
    s0, s1, s2, s3 = 0.0, 0.0, 0.0, 0.0
    m = n - n % 4
    for i in range(0, m, 4):
        s0 += a[i] * b[i]
        s1 += a[i + 1] * b[i + 1]
        s2 += a[i + 2] * b[i + 2]
        s3 += a[i + 3] * b[i + 3]
    for i in range(m, n):
        s0 += a[i] * b[i]
    return (s0 + s1) + (s2 + s3)


@_inner
def _family_pass(family, link, y, eta, d_eta, trials, norm, sigma, nu, alpha):
    """Sum of row log-likelihoods; writes d/d eta per row; returns the sums of d/d sigma, nu, alpha."""
    n = y.shape[0]
    lp, g_sigma, g_nu, g_alpha = 0.0, 0.0, 0.0, 0.0
    if family == 0:
        inv = 1.0 / sigma
        const = -math.log(sigma) - 0.5 * _LOG_2PI
        for i in range(n):
            d_eta[i] = (y[i] - eta[i]) * inv
        ss = _dot(d_eta, d_eta)
        for i in range(n):
            d_eta[i] *= inv
        return n * const - 0.5 * ss, (ss - n) * inv, 0.0, 0.0
    if family == 1:
        # Student-t: the lgamma and digamma terms depend on nu only, once per evaluation.
        inv, inv_nu = 1.0 / sigma, 1.0 / nu
        const = math.lgamma(0.5 * (nu + 1)) - math.lgamma(0.5 * nu) - 0.5 * math.log(nu * math.pi)
        const -= math.log(sigma)
        nu_const = 0.5 * _digamma(0.5 * (nu + 1)) - 0.5 * _digamma(0.5 * nu) - 0.5 * inv_nu
        logs, weighted, ratio = 0.0, 0.0, 0.0
        for i in range(n):
            t = (y[i] - eta[i]) * inv
            tt = t * t
            a = nu + tt
            logs += math.log1p(tt * inv_nu)
            w = (nu + 1) / a
            d_eta[i] = w * t * inv
            weighted += w * tt
            ratio += tt / a
        lp = n * const - 0.5 * (nu + 1) * logs
        g_sigma = -n * inv + weighted * inv
        g_nu = n * nu_const - 0.5 * logs + 0.5 * (nu + 1) * inv_nu * ratio
        return lp, g_sigma, g_nu, 0.0
    # The logistic fast paths write each row's term to ``terms`` and sum it
    # afterwards (:func:`_sum`): a running sum in the loop would keep LLVM from
    # vectorising it; :func:`_exp_nonpositive` and :func:`_log1p_unit` are
    # arithmetic only.
    if family == 4 and link == 0:
        for i in range(n):
            mu = math.exp(eta[i])
            lp += y[i] * eta[i] - mu + norm[i]
            d_eta[i] = y[i] - mu
        return lp, 0.0, 0.0, 0.0
    if (family == 2 or family == 3) and link == 0:
        terms = np.empty(n)
        if family == 2:
            for i in range(n):
                # -softplus((1 - 2y) eta) with one exponential
                sign = 1.0 - 2.0 * y[i]
                x = sign * eta[i]
                ax = abs(x)
                e = _exp_nonpositive(-ax)
                terms[i] = 0.5 * (x + ax) + _log1p_unit(e)
                # sigmoid(x) = 1 / (1 + e) for x >= 0, e / (1 + e) below: one select, no branch
                d_eta[i] = -sign * (1.0 if x >= 0 else e) / (1.0 + e)
            return -_sum(terms), 0.0, 0.0, 0.0
        for i in range(n):
            # y eta - n softplus(eta) + log C(n, y); softplus(eta) = max(eta, 0) + log1p(exp(-|eta|))
            x = eta[i]
            ax = abs(x)
            e = _exp_nonpositive(-ax)
            terms[i] = y[i] * x - trials[i] * (0.5 * (x + ax) + _log1p_unit(e)) + norm[i]
            d_eta[i] = y[i] - trials[i] * (1.0 if x >= 0 else e) / (1.0 + e)
        return _sum(terms), 0.0, 0.0, 0.0
    if family == 5:
        # Negative binomial: lgamma(y + alpha) - lgamma(alpha) and the digamma
        # difference are sums over k < y of log(alpha + k) and 1 / (alpha + k)
        # for small counts (no lgamma or digamma per row); -log(y!) is data.
        lg_alpha, dg_alpha, log_alpha = math.lgamma(alpha), _digamma(alpha), math.log(alpha)
        for i in range(n):
            yi = y[i]
            if yi < 16.0:
                lg, dg = 0.0, 0.0
                for k in range(int(yi)):
                    lg += math.log(alpha + k)
                    dg += 1.0 / (alpha + k)
            else:
                lg, dg = math.lgamma(yi + alpha) - lg_alpha, _digamma(yi + alpha) - dg_alpha
            mu = math.exp(eta[i])
            total = mu + alpha
            log_total = math.log(total)
            lp += lg + norm[i] + alpha * (log_alpha - log_total) + yi * (eta[i] - log_total)
            d_eta[i] = yi - (yi + alpha) * mu / total
            g_alpha += dg + log_alpha + 1.0 - log_total - (yi + alpha) / total
        return lp, 0.0, 0.0, g_alpha
    for i in range(n):
        value, de, ds, dn, da = _family_row(family, link, y[i], eta[i], sigma, nu, alpha, trials[i], norm[i])
        lp += value
        d_eta[i] = de
        g_sigma += ds
        g_nu += dn
        g_alpha += da
    return lp, g_sigma, g_nu, g_alpha


@_inner
def _noncentered(q, grad, F, I, theta, Ls, gLs, sigma, nu, alpha, g_scales):
    """Non-centered log-likelihood and the z prior (or a centered factor's u prior), with gradient.

    A factor flagged 2 (method "marginal", Gaussian only) has no ``z``: its
    effects are integrated out of the likelihood given the others
    (:func:`_marginal_pass`).

    Column by column: eta gathers each fixed column and each factor's effect
    (``X`` and ``Z`` are stored column-major, group effects effect-major, and
    a column of ones is not read), the family is evaluated in one pass, and
    d/d eta is reduced into theta and scattered into the group effects column
    by column. Simple loops over contiguous columns are what LLVM vectorises;
    group indices are read as unsigned so that numba adds no negative-index
    wraparound to the gathers.
    """
    family, link = I[H_FAMILY], I[H_LINK]
    n, p, n_factors = I[H_N], I[H_P], I[H_NF]
    Xo = I[H_X]
    y = F[I[H_Y] : I[H_Y] + n]
    lp = 0.0
    if I[H_OFFSET] >= 0:
        eta = F[I[H_OFFSET] : I[H_OFFSET] + n].copy()
    else:
        eta = np.zeros(n)
    for j in range(p):
        column = F[Xo + j * n : Xo + (j + 1) * n]
        t = theta[j]
        for i in range(n):
            eta[i] += column[i] * t
    marginal = -1
    for f in range(n_factors):
        fo = I[I[H_FACTORS] + f]
        G, k, qz = I[fo], I[fo + 1], I[fo + 2]
        if I[fo + 9] == 2:  # integrated out by _marginal_pass
            marginal = f
            continue
        if I[fo + 9] == 3:  # integrated out with the factor nested in it
            continue
        centered = I[fo + 9] == 1
        index = I[I[fo + 3] : I[fo + 3] + n]
        u = np.zeros(G)
        for a in range(k):
            if centered:  # q holds u itself
                for g in range(G):
                    u[g] = q[qz + g * k + a]
            else:  # u[:, a] = sum_b L[a, b] z[:, b]
                for g in range(G):
                    acc = 0.0
                    for b in range(a + 1):
                        acc += Ls[f, a, b] * q[qz + g * k + b]
                    u[g] = acc
            if I[I[fo + 8] + a] == 1:
                for i in range(n):
                    eta[i] += u[np.uint64(index[i])]
            else:
                Z = F[I[fo + 4] + a * n : I[fo + 4] + (a + 1) * n]
                for i in range(n):
                    eta[i] += Z[i] * u[np.uint64(index[i])]
        if centered:
            lp += _centered_prior(q, grad, qz, G, k, Ls[f], gLs[f])
        else:
            for t in range(qz, qz + G * k):
                lp -= 0.5 * q[t] * q[t]
                grad[t] -= q[t]
            lp -= 0.5 * _LOG_2PI * G * k
    d_eta = np.empty(n)
    trials = F[I[H_TRIALS] : I[H_TRIALS] + n]
    norm = F[I[H_NORM] : I[H_NORM] + n]
    if marginal >= 0:
        mfo = I[I[H_FACTORS] + marginal]
        outer = I[mfo + 11] if I[mfo + 11] >= 0 else marginal
        value, g_sigma = _marginal_pass(
            F, I, mfo, y, eta, d_eta, Ls[marginal], gLs[marginal], Ls[outer], gLs[outer], sigma
        )
        g_nu, g_alpha = 0.0, 0.0
    else:
        value, g_sigma, g_nu, g_alpha = _family_pass(
            family, link, y, eta, d_eta, trials, norm, sigma, nu, alpha
        )
    lp += value
    qt = I[H_QTHETA]
    for j in range(p):
        grad[qt + j] += _dot(d_eta, F[Xo + j * n : Xo + (j + 1) * n])
    if I[H_SIGMA] >= 0:
        g_scales[I[H_SIGMA]] += g_sigma
    if I[H_NU] >= 0:
        g_scales[I[H_NU]] += g_nu
    if I[H_ALPHA] >= 0:
        g_scales[I[H_ALPHA]] += g_alpha
    for f in range(n_factors):
        fo = I[I[H_FACTORS] + f]
        G, k, qz = I[fo], I[fo + 1], I[fo + 2]
        if f == marginal or I[fo + 9] == 3:
            continue
        index = I[I[fo + 3] : I[fo + 3] + n]
        gu = np.zeros(G)
        for a in range(k):
            gu[:] = 0.0
            if I[I[fo + 8] + a] == 1:
                for i in range(n):
                    gu[np.uint64(index[i])] += d_eta[i]
            else:
                Z = F[I[fo + 4] + a * n : I[fo + 4] + (a + 1) * n]
                for i in range(n):
                    gu[np.uint64(index[i])] += d_eta[i] * Z[i]
            if I[fo + 9] == 1:
                for g in range(G):
                    grad[qz + g * k + a] += gu[g]
                continue
            # Back through u[:, a] = sum_b L[a, b] z[:, b].
            for g in range(G):
                for b in range(a + 1):
                    gLs[f, a, b] += gu[g] * q[qz + g * k + b]
                    grad[qz + g * k + b] += Ls[f, a, b] * gu[g]
    return lp


@_inner
def _centered_prior(q, grad, qz, G, k, L, gL):
    """The log density N(u_g | 0, L L') summed over the levels of a centered factor, with gradient.

    With ``w = L^-1 u_g`` and ``v = L^-T w``: d/du_g = -v and d/dL = v w'
    (lower triangle), plus -G / L_aa on the diagonal from log det L.
    """
    w = np.empty(k)
    v = np.empty(k)
    lp = 0.0
    for g in range(G):
        for a in range(k):
            acc = q[qz + g * k + a]
            for b in range(a):
                acc -= L[a, b] * w[b]
            w[a] = acc / L[a, a]
        for a in range(k - 1, -1, -1):
            acc = w[a]
            for b in range(a + 1, k):
                acc -= L[b, a] * v[b]
            v[a] = acc / L[a, a]
        for a in range(k):
            lp -= 0.5 * w[a] * w[a]
            grad[qz + g * k + a] -= v[a]
            for b in range(a + 1):
                gL[a, b] += v[a] * w[b]
    for a in range(k):
        lp -= G * math.log(L[a, a])
        gL[a, a] -= G / L[a, a]
    return lp - 0.5 * _LOG_2PI * G * k


@_inner
def _woodbury(F, ZZo, G, k, c, L, gL, s2, gc):
    """The per-level sums of a Gaussian factor integrated out, from ``A_g = Z_g'Z_g`` and ``c_g = Z_g'r_g``.

    With ``w = L'c_g`` and ``M = s2 I + L'A_g L`` per level (``A`` read from
    ``F[ZZo:]``, ``(G, k, k)``; ``c`` and ``gc`` are ``(G * k)``, level-major):
    returns ``sum log|M|``, ``sum w'M^-1 w`` and the derivative in ``s2`` of
    ``-1/2 (sum log|M| - sum w'M^-1 w / s2)`` through ``M``; adds that
    term's gradient in ``L`` to ``gL`` and writes its gradient in ``c`` (``L
    M^-1 w / s2``) to ``gc``. k = 1 and k = 2 are written out (the general
    k x k loops cost about twice as much per level there).
    """
    logdet, quad, g_s2 = 0.0, 0.0, 0.0
    if k == 1:
        l = L[0, 0]
        g_l = 0.0
        for g in range(G):
            a = F[ZZo + g]
            w = l * c[g]
            M = s2 + l * l * a
            logdet += math.log(M)
            av = w / M
            quad += w * av
            GM = -0.5 * (1.0 / M + av * av / s2)
            g_s2 += GM
            g_l += 2.0 * a * l * GM + c[g] * av / s2
            gc[g] = l * av / s2
        gL[0, 0] += g_l
        return logdet, quad, g_s2
    if k == 2:
        l00, l10, l11 = L[0, 0], L[1, 0], L[1, 1]
        g00, g10, g11 = 0.0, 0.0, 0.0
        for g in range(G):
            base = 4 * g
            a00, a01, a11 = F[ZZo + base], F[ZZo + base + 1], F[ZZo + base + 3]
            c0, c1 = c[2 * g], c[2 * g + 1]
            w0 = l00 * c0 + l10 * c1
            w1 = l11 * c1
            AL00 = a00 * l00 + a01 * l10
            AL01 = a01 * l11
            AL10 = a01 * l00 + a11 * l10
            AL11 = a11 * l11
            M00 = s2 + l00 * AL00 + l10 * AL10
            M01 = l00 * AL01 + l10 * AL11
            M11 = s2 + l11 * AL11
            det = M00 * M11 - M01 * M01
            logdet += math.log(det)
            i00, i01, i11 = M11 / det, -M01 / det, M00 / det
            av0 = i00 * w0 + i01 * w1
            av1 = i01 * w0 + i11 * w1
            quad += w0 * av0 + w1 * av1
            G00 = -0.5 * (i00 + av0 * av0 / s2)
            G01 = -0.5 * (i01 + av0 * av1 / s2)
            G11 = -0.5 * (i11 + av1 * av1 / s2)
            g_s2 += G00 + G11
            g00 += 2.0 * (AL00 * G00 + AL01 * G01) + c0 * av0 / s2
            g10 += 2.0 * (AL10 * G00 + AL11 * G01) + c1 * av0 / s2
            g11 += 2.0 * (AL10 * G01 + AL11 * G11) + c1 * av1 / s2
            gc[2 * g] = l00 * av0 / s2
            gc[2 * g + 1] = (l10 * av0 + l11 * av1) / s2
        gL[0, 0] += g00
        gL[1, 0] += g10
        gL[1, 1] += g11
        return logdet, quad, g_s2
    AL = np.empty((k, k))
    M = np.empty((k, k))
    Ch = np.empty((k, k))
    Minv = np.empty((k, k))
    w = np.empty(k)
    a_vec = np.empty(k)
    tmp = np.empty(k)
    GM = np.empty((k, k))
    for g in range(G):
        Ao = ZZo + g * k * k
        for a in range(k):
            acc = 0.0
            for b in range(a, k):
                acc += L[b, a] * c[g * k + b]
            w[a] = acc
        # M = s2 I + L' A L
        for a in range(k):
            for b in range(k):
                acc = 0.0
                for m in range(b, k):
                    acc += F[Ao + a * k + m] * L[m, b]
                AL[a, b] = acc
        for a in range(k):
            for b in range(k):
                acc = s2 if a == b else 0.0
                for m in range(a, k):
                    acc += L[m, a] * AL[m, b]
                M[a, b] = acc
        # Cholesky M = Ch Ch'
        for j in range(k):
            diag = M[j, j]
            for m in range(j):
                diag -= Ch[j, m] * Ch[j, m]
            Ch[j, j] = math.sqrt(diag)
            for i in range(j + 1, k):
                off = M[i, j]
                for m in range(j):
                    off -= Ch[i, m] * Ch[j, m]
                Ch[i, j] = off / Ch[j, j]
            for i in range(j):
                Ch[i, j] = 0.0
        for j in range(k):
            logdet += 2.0 * math.log(Ch[j, j])
        # Minv from Ch: solve column by column.
        for col in range(k):
            for i in range(k):
                acc = 1.0 if i == col else 0.0
                for m in range(i):
                    acc -= Ch[i, m] * tmp[m]
                tmp[i] = acc / Ch[i, i]
            for i in range(k - 1, -1, -1):
                acc = tmp[i]
                for m in range(i + 1, k):
                    acc -= Ch[m, i] * Minv[m, col]
                Minv[i, col] = acc / Ch[i, i]
        for a in range(k):
            acc = 0.0
            for b in range(k):
                acc += Minv[a, b] * w[b]
            a_vec[a] = acc
        for a in range(k):
            quad += w[a] * a_vec[a]
        # Gradient of -1/2 [log|M| - w'M^-1 w / s2] in M is GM, in w is a / s2.
        for a in range(k):
            for b in range(k):
                GM[a, b] = -0.5 * (Minv[a, b] + a_vec[a] * a_vec[b] / s2)
        for a in range(k):
            g_s2 += GM[a, a]
        # dM = dL' A L + L' A dL -> gL += 2 A L GM ; w = L' c -> gL[b, a] += c[b] a[a] / s2
        for m in range(k):
            for b in range(m + 1):
                acc = 0.0
                for a in range(k):
                    acc += AL[m, a] * GM[a, b]
                gL[m, b] += 2.0 * acc + c[g * k + m] * a_vec[b] / s2
        for m in range(k):
            acc = 0.0
            for b in range(m + 1):
                acc += L[m, b] * a_vec[b]
            gc[g * k + m] = acc / s2
    return logdet, quad, g_s2


@_inner
def _collapsed(q, grad, F, I, theta, L, gL, sigma, g_scales):
    """Marginal Gaussian log-likelihood of one factor (bayeslme.backend.collapsed), with gradient."""
    p = I[H_P]
    fo = I[I[H_FACTORS]]
    G, k = I[fo], I[fo + 1]
    st = I[H_STATS]
    ZZo, ZXo, Zyo, XXo, Xyo, yyo, No = I[st], I[st + 1], I[st + 2], I[st + 3], I[st + 4], I[st + 5], I[st + 6]
    N = F[No]
    s2 = sigma * sigma
    # r'r = y'y - 2 theta'X'y + theta'X'X theta
    rr = F[yyo]
    g_theta = np.zeros(p)
    for j in range(p):
        rr -= 2.0 * theta[j] * F[Xyo + j]
        g_theta[j] -= 2.0 * F[Xyo + j]
        for l in range(p):
            rr += theta[j] * F[XXo + j * p + l] * theta[l]
            g_theta[j] += 2.0 * F[XXo + j * p + l] * theta[l]
    # g_theta holds d(rr)/d theta for now. c_g = Z_g'y_g - Z_g'X_g theta.
    c = np.empty(G * k)
    for t in range(G * k):
        acc = F[Zyo + t]
        for j in range(p):
            acc -= F[ZXo + t * p + j] * theta[j]
        c[t] = acc
    gc = np.empty(G * k)
    logdet, quad, g_s2 = _woodbury(F, ZZo, G, k, c, L, gL, s2, gc)
    value = -0.5 * (N * _LOG_2PI + (N - G * k) * math.log(s2) + logdet + (rr - quad) / s2)
    g_s2 += -0.5 * ((N - G * k) / s2 - (rr - quad) / (s2 * s2))
    qt = I[H_QTHETA]
    for j in range(p):
        acc = -0.5 * g_theta[j] / s2
        for t in range(G * k):
            acc -= F[ZXo + t * p + j] * gc[t]
        grad[qt + j] += acc
    g_scales[I[H_SIGMA]] += 2.0 * sigma * g_s2
    return value


@_inner
def _marginal_pass(F, I, fo, y, eta, d_eta, L, gL, Lo, gLo, sigma):
    """Gaussian log-likelihood with the factor at ``fo`` integrated out, given ``eta`` without it.

    The residual ``r = y - eta`` is ``N(0, s2 I + Z L L' Z')`` level by
    level: its sums ``r'r`` and ``c_g = Z_g'r_g`` feed :func:`_woodbury`, and
    d/d eta of row i is ``r_i / s2 - Z_i gc_g``. Returns the log-likelihood
    and its derivative in sigma; writes d/d eta per row. When the record
    names an outer factor (both group intercepts, SDs ``L`` and ``Lo``), it
    is integrated out too (:func:`_outer_intercepts`).
    """
    n = y.shape[0]
    G, k = I[fo], I[fo + 1]
    index = I[I[fo + 3] : I[fo + 3] + n]
    s2 = sigma * sigma
    c = np.zeros(G * k)
    ones = I[I[fo + 8]] == 1
    if k == 1 and ones:  # a group intercept: one fused pass
        for i in range(n):
            r = y[i] - eta[i]
            d_eta[i] = r
            c[np.uint64(index[i])] += r
    else:
        for i in range(n):
            d_eta[i] = y[i] - eta[i]
    rr = _dot(d_eta, d_eta)
    if not (k == 1 and ones):
        for a in range(k):
            if I[I[fo + 8] + a] == 1:
                for i in range(n):
                    c[np.uint64(index[i] * k + a)] += d_eta[i]
            else:
                Z = F[I[fo + 4] + a * n : I[fo + 4] + (a + 1) * n]
                for i in range(n):
                    c[np.uint64(index[i] * k + a)] += Z[i] * d_eta[i]
    gc = np.empty(G * k)
    logdet, quad, g_s2 = _woodbury(F, I[fo + 10], G, k, c, L, gL, s2, gc)
    value = -0.5 * (n * _LOG_2PI + (n - G * k) * math.log(s2) + logdet + (rr - quad) / s2)
    g_s2 += -0.5 * ((n - G * k) / s2 - (rr - quad) / (s2 * s2))
    if I[fo + 11] >= 0:
        outer_value, outer_g_s2 = _outer_intercepts(F, I, fo, c, gc, L, gL, Lo, gLo, s2)
        value += outer_value
        g_s2 += outer_g_s2
    inv = 1.0 / s2
    if k == 1 and ones:
        for i in range(n):
            d_eta[i] = d_eta[i] * inv - gc[np.uint64(index[i])]
    else:
        for i in range(n):
            d_eta[i] *= inv
        for a in range(k):
            if I[I[fo + 8] + a] == 1:
                for i in range(n):
                    d_eta[i] -= gc[np.uint64(index[i] * k + a)]
            else:
                Z = F[I[fo + 4] + a * n : I[fo + 4] + (a + 1) * n]
                for i in range(n):
                    d_eta[i] -= Z[i] * gc[np.uint64(index[i] * k + a)]
    return value, 2.0 * sigma * g_s2


@_inner
def _outer_intercepts(F, I, fo, c, gc, L, gL, Lo, gLo, s2):
    """The outer factor's term when it is integrated out with the inner one (both group intercepts).

    Within outer level h the residual is ``N(0, V_h)`` with ``V_h = W_h +
    t2 11'``, ``W_h = s2 I + l^2 sum_g 1_g 1_g'`` over its inner levels g
    (the part :func:`_woodbury` handled: ``M_g = s2 + l^2 n_g``). With
    ``a_h = sum_g n_g / M_g = 1'W^-1 1`` and ``b_h = sum_g c_g / M_g =
    1'W^-1 r``, the matrix determinant lemma and Sherman-Morrison give the
    extra term ``T = -1/2 sum_h [log D_h - t2 b_h^2 / D_h]``, ``D_h = 1 + t2
    a_h``. Returns ``T`` and dT/ds2; adds dT/dl to ``gL``, dT/dt to ``gLo``
    and dT/dc_g = beta_h / M_g to ``gc`` (``beta_h = t2 b_h / D_h``), so that
    the rows' d/d eta stays ``r_i / s2 - gc_g``.
    """
    G = I[fo]
    ZZo = I[fo + 10]
    ofo = I[I[H_FACTORS] + I[fo + 11]]
    H = I[ofo]
    parent = I[I[fo + 12] : I[fo + 12] + G]
    l, t = L[0, 0], Lo[0, 0]
    l2, t2 = l * l, t * t
    a = np.zeros(H)
    b = np.zeros(H)
    for g in range(G):
        M = s2 + l2 * F[ZZo + g]
        h = np.uint64(parent[g])
        a[h] += F[ZZo + g] / M
        b[h] += c[g] / M
    value, g_t2 = 0.0, 0.0
    for h in range(H):
        D = 1.0 + t2 * a[h]
        beta = t2 * b[h] / D
        value -= 0.5 * (math.log(D) - beta * b[h])
        g_t2 -= 0.5 * (a[h] / D - b[h] * b[h] / (D * D))
        a[h] = -0.5 * (t2 / D + beta * beta)  # now dT/da_h
        b[h] = beta  # now dT/db_h
    g_s2, g_l2 = 0.0, 0.0
    for g in range(G):
        n_g = F[ZZo + g]
        M = s2 + l2 * n_g
        h = np.uint64(parent[g])
        dM = -(a[h] * n_g + b[h] * c[g]) / (M * M)
        g_s2 += dM
        g_l2 += dM * n_g
        gc[g] += b[h] / M
    gL[0, 0] += 2.0 * l * g_l2
    gLo[0, 0] += 2.0 * t * g_t2
    return value, g_s2


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
