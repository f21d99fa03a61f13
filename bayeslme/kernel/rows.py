"""The kernel's row passes: each family's log likelihood and its derivative in the linear predictor."""

from __future__ import annotations

import math

import numpy as np

from bayeslme.kernel.elementary import (
    _digamma,
    _dot,
    _exp_nonpositive,
    _log1p_unit,
    _sigmoid,
    _softplus,
    _sum,
)
from bayeslme.kernel.header import (
    _LOG_2PI,
    _PROBIT_FLOOR,
    _SQRT2,
    H_ALPHA,
    H_FACTORS,
    H_FAMILY,
    H_LINK,
    H_N,
    H_NF,
    H_NORM,
    H_NU,
    H_OFFSET,
    H_P,
    H_QTHETA,
    H_SIGMA,
    H_TRIALS,
    H_X,
    H_Y,
    _inner,
)
from bayeslme.kernel.marginal import _marginal_pass
from bayeslme.kernel.woodbury import _centered_prior


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
