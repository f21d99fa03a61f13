"""The kernel's population part: priors of coefficients and scales, correlation factors, workspace."""

from __future__ import annotations

import math

import numpy as np

from bayeslme.kernel.elementary import _sigmoid, _softplus
from bayeslme.kernel.header import (
    _LOG2,
    _LOG_2PI,
    _LOG_PI,
    H_FACTORS,
    H_NF,
    H_NSCALE,
    H_P,
    H_QTHETA,
    H_SCALES,
    H_TPRIOR_F,
    H_TPRIOR_I,
    _inner,
)


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
