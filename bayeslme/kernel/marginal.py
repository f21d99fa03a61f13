"""The marginal method's passes: one factor (or a nested pair of intercepts) integrated out given the rest."""

from __future__ import annotations

import math

import numpy as np

from bayeslme.kernel.elementary import _dot
from bayeslme.kernel.header import _LOG_2PI, H_FACTORS, _inner
from bayeslme.kernel.woodbury import _woodbury


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
