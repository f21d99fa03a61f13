"""Group effects integrated out by per-level Woodbury algebra: the centered prior, the collapsed model."""

from __future__ import annotations

import math

import numpy as np

from bayeslme.kernel.header import _LOG_2PI, H_FACTORS, H_P, H_QTHETA, H_SIGMA, H_STATS, _inner


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
