"""Elementary numerics of the kernel: special functions, libm-free exp and log1p, fixed-order sums."""

from __future__ import annotations

import math

from bayeslme.kernel.header import _inner

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
