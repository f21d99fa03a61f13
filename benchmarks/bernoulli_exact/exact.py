"""Exact (grid) posterior of the Bernoulli random-intercept SBC model, and exact CDF ranks.

Parameters: a = centred intercept (prior N(0, 2.5)), b = slope (prior N(0, 2.601)),
s = group SD (half-t(3), scale 1), grid on log s with Jacobian.
Group intercepts integrated out by convolution: with c = a + u,
L_j(a, b, s) = int E_j(c, b) N(c; a, s^2) dc, E_j = exp(group log-lik at intercept c),
E_j piecewise linear on a fine c-grid (step h) and flat beyond it; the Gaussian integral
of each hat function is exact (second difference of the twice-integrated normal), so
any s > 0 (even s << h) is handled.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from scipy import optimize, special, stats

_HERE = __import__("pathlib").Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE.parent))
sys.path.insert(0, str(_HERE.parent.parent))
warnings.simplefilter("ignore")

from sbc import template  # noqa: E402

from bayeslme.validate import draw_parameters, simulate_response, true_values  # noqa: E402

MODEL = template("bernoulli")
SPEC = MODEL.spec
DES = MODEL.design
X = DES.X[:, 1]
XBAR = SPEC.x_means[1]
XC = X - XBAR
GIDX = DES.factors[0].index
NG = len(DES.factors[0].levels)
PA = SPEC.priors["Intercept"]["sigma"]
PB = SPEC.priors["b[x]"]["sigma"]
NU = SPEC.priors["sd[g|Intercept]"]["nu"]
PS = SPEC.priors["sd[g|Intercept]"]["sigma"]
assert SPEC.priors["Intercept"]["mu"] == 0 and SPEC.priors["b[x]"]["mu"] == 0


def datasets(seed, n):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        p = draw_parameters(SPEC, rng)
        y = simulate_response(MODEL, p, rng)
        out.append((y, true_values(SPEC, p), float(p["Intercept_centered"])))
    return out


def log_prior(a, b, logs):
    s = np.exp(logs)
    lp = stats.norm.logpdf(a, 0, PA) + stats.norm.logpdf(b, 0, PB)
    lp = lp + np.log(2) + stats.t.logpdf(s / PS, NU) - np.log(PS) + logs  # Jacobian ds = s dlogs
    return lp


def group_loglik(y, c, b):
    """log E_j(c, b): array (len(c), len(b), NG)."""
    eta = c[:, None, None] + b[None, :, None] * XC[None, None, :]  # (Nc, Nb, n)
    sgn = 2 * y - 1
    ll = -np.logaddexp(0.0, -sgn * eta)
    out = np.zeros((len(c), len(b), NG))
    for j in range(NG):
        out[:, :, j] = ll[:, :, GIDX == j].sum(axis=2)
    return out


def psi(z):
    return z * special.ndtr(z) + np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def hat_weights(a, s, c, h):
    """Weights (Na, Nc): int hat_k(t) N(t; a, s^2) dt, flat extrapolation at both ends."""
    d = c[None, :] - a[:, None]
    z = d / s
    P = s * psi(-np.abs(z))
    w = np.empty_like(P)
    w[:, 1:-1] = (P[:, 2:] - 2 * P[:, 1:-1] + P[:, :-2]) / h + np.maximum(0.0, 1 - np.abs(d[:, 1:-1]) / h)
    F2 = P + np.maximum(d, 0.0)
    w[:, 0] = (F2[:, 1] - F2[:, 0]) / h
    G = P + np.maximum(-d, 0.0)
    w[:, -1] = (G[:, -2] - G[:, -1]) / h
    return np.maximum(w, 0.0)


S_SWITCH = 0.5


def log_post_grid(y, ag, bg, lsg, h=0.05, crange=None, rich=True):
    """Unnormalised log posterior on the grid (Na, Nb, Ns)."""
    if crange is None:
        bmax = np.max(np.abs(bg)) * np.max(np.abs(XC))
        lo = min(ag.min() - 8 * np.exp(lsg.max()), -25) - bmax
        hi = max(ag.max() + 8 * np.exp(lsg.max()), 25) + bmax
        lo, hi = max(lo, -60 - bmax), min(hi, 60 + bmax)
    else:
        lo, hi = crange
    c = np.arange(lo, hi + h / 2, h)
    E = np.exp(group_loglik(y, c, bg)).reshape(len(c), -1)  # (Nc, Nb*NG)
    out = np.empty((len(ag), len(bg), len(lsg)))
    if rich and len(c) % 2 == 0:
        c, E = c[:-1], E[:-1]
    from scipy.interpolate import CubicSpline

    spl = CubicSpline(c, np.log(np.maximum(E, 1e-300)), axis=0)
    tgh, wgh = np.polynomial.hermite.hermgauss(24)
    wgh = wgh / np.sqrt(np.pi)
    for k, ls in enumerate(lsg):
        if np.exp(ls) <= S_SWITCH:  # GH on the spline of log E_j (exact for small s)
            pts = (ag[:, None] + np.sqrt(2) * np.exp(ls) * tgh[None, :]).ravel()
            lE = spl(pts).reshape(len(ag), len(tgh), len(bg), NG)
            m = lE.max(axis=1, keepdims=True)
            Lg = m[:, 0] + np.log(np.einsum("akbj,k->abj", np.exp(lE - m), wgh))
            out[:, :, k] = Lg.sum(axis=2)
            continue
        W = hat_weights(ag, np.exp(ls), c, h)
        L = W @ E  # (Na, Nb*NG)
        if rich:  # Richardson: piecewise-linear interpolation error is O(h^2)
            W2 = hat_weights(ag, np.exp(ls), c[::2], 2 * h)
            L2 = W2 @ E[::2]
            L = np.where(L > 0, (4 * L - L2) / 3, L)
        out[:, :, k] = np.log(np.maximum(L, 1e-300)).reshape(len(ag), len(bg), NG).sum(axis=2)
    A, B, S = np.meshgrid(ag, bg, lsg, indexing="ij")
    return out + log_prior(A, B, S)


# ---- Gauss-Hermite log posterior at single points (for mode finding and checks) -------------------
def log_post_gh(y, a, b, logs, n=40):
    t, wt = np.polynomial.hermite.hermgauss(n)
    s = np.exp(logs)
    u = np.sqrt(2) * s * t
    eta = a + b * XC[:, None] + u[None, :]
    ll = -np.logaddexp(0.0, -(2 * y - 1)[:, None] * eta)
    tot = 0.0
    for j in range(NG):
        lj = ll[GIDX == j].sum(axis=0)
        m = lj.max()
        tot += m + np.log(np.sum(wt * np.exp(lj - m)) / np.sqrt(np.pi))
    return tot + log_prior(a, b, logs)


def log_post_brute(y, a, b, logs, n=40001):
    """Dense trapezoid in u over +-12 s (plus the flat-free likelihood)."""
    s = np.exp(logs)
    u = np.linspace(-12 * s, 12 * s, n)
    du = u[1] - u[0]
    pu = stats.norm.logpdf(u, 0, s)
    tot = 0.0
    for j in range(NG):
        m = GIDX == j
        eta = a + b * XC[m][:, None] + u[None, :]
        lj = (-np.logaddexp(0.0, -(2 * y[m] - 1)[:, None] * eta)).sum(axis=0) + pu
        mx = lj.max()
        tot += mx + np.log(np.trapezoid(np.exp(lj - mx), dx=du))
    return tot + log_prior(a, b, logs)


def mode(y):
    def f(th):
        return -log_post_gh(y, *th, n=30)

    best = None
    for start in ([0, 0, 0], [0, 0, 1.5], [0, 0, -2]):
        r = optimize.minimize(
            f, start, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-6, "maxiter": 2000}
        )
        if best is None or r.fun < best.fun:
            best = r
    th = best.x
    # numeric Hessian
    H = np.zeros((3, 3))
    e = 1e-3
    for i in range(3):
        for k in range(3):
            di = np.eye(3)[i] * e
            dk = np.eye(3)[k] * e
            H[i, k] = (f(th + di + dk) - f(th + di - dk) - f(th - di + dk) + f(th - di - dk)) / (4 * e * e)
    try:
        cov = np.linalg.inv(H)
        sd = np.sqrt(np.clip(np.diag(cov), 1e-6, None))
        if not np.all(np.isfinite(sd)):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        sd = np.array([2.0, 1.0, 1.5])
    return th, sd


def marg_range(lp, grid, axis, thresh):
    """Support of a marginal (density > thresh * max) as index range, and edge ratios."""
    other = tuple(i for i in range(3) if i != axis)
    p = np.exp(lp - lp.max()).sum(axis=other)
    p = p / p.max()
    idx = np.nonzero(p > thresh)[0]
    return grid[max(idx[0] - 1, 0)], grid[min(idx[-1] + 1, len(grid) - 1)], p[0], p[-1]


def adaptive_grid(y, n1=36, n2=64, h=0.05, thresh=1e-9, verbose=False):
    th, sd = mode(y)
    half = 9 * sd
    lo = th - half
    hi = th + half
    lo[2] = min(lo[2], th[2] - 4)  # log s: long left tail (density ~ s near 0)
    lo[2] = max(lo[2], np.log(1e-5))
    hi[2] = min(hi[2], np.log(200))
    for _ in range(8):
        grids = [np.linspace(lo[i], hi[i], n1) for i in range(3)]
        lp = log_post_grid(y, *grids, h=h)
        changed = False
        for ax in range(3):
            g = grids[ax]
            _, _, e0, e1 = marg_range(lp, g, ax, thresh)
            if e0 > thresh and not (ax == 2 and lo[2] <= np.log(1e-5) + 1e-9):
                lo[ax] -= 0.5 * (hi[ax] - lo[ax])
                changed = True
            if e1 > thresh and not (ax == 2 and hi[2] >= np.log(200) - 1e-9):
                hi[ax] += 0.5 * (hi[ax] - lo[ax])
                changed = True
            if ax == 2:
                lo[2] = max(lo[2], np.log(1e-5))
                hi[2] = min(hi[2], np.log(200))
        if not changed:
            break
    # refine to the support
    new = []
    for ax in range(3):
        low, high, _, _ = marg_range(lp, grids[ax], ax, thresh)
        new.append(np.linspace(low, high, n2))
    lp = log_post_grid(y, *new, h=h)
    edges = [marg_range(lp, new[ax], ax, 0)[2:] for ax in range(3)]
    return new, lp, edges


def cum_interp(grid, dens, t):
    """CDF at t of a density given on a uniform grid (trapezoid, piecewise-linear density)."""
    h = grid[1] - grid[0]
    cum = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) * h / 2)])
    tot = cum[-1]
    if t <= grid[0]:
        return 0.0
    if t >= grid[-1]:
        return 1.0
    k = int((t - grid[0]) // h)
    k = min(k, len(grid) - 2)
    x = t - grid[k]
    d0, d1 = dens[k], dens[k + 1]
    part = d0 * x + (d1 - d0) * x * x / (2 * h)
    return (cum[k] + part) / tot


def exact_cdfs(grids, lp, truth):
    ag, bg, lsg = grids
    p = np.exp(lp - lp.max())
    # b[x]
    F_b = cum_interp(bg, p.sum(axis=(0, 2)), truth["b[x]"])
    # sd
    F_s = cum_interp(lsg, p.sum(axis=(0, 1)), np.log(truth["sd[g|Intercept]"]))
    # b[Intercept] = a - XBAR * b: P(a < t + XBAR b) = sum_b P(a < t + XBAR b | b) p(b)
    pab = p.sum(axis=2)  # (Na, Nb)
    pb = np.trapezoid(pab, ag, axis=0)
    cond = np.array([cum_interp(ag, pab[:, k], truth["b[Intercept]"] + XBAR * bg[k]) for k in range(len(bg))])
    F_0 = float(np.trapezoid(cond * pb, bg) / np.trapezoid(pb, bg))
    # means for reference
    pa = pab.sum(axis=1)
    return {
        "b[Intercept]": F_0,
        "b[x]": F_b,
        "sd[g|Intercept]": F_s,
        "post_mean_a": float((ag * pa).sum() / pa.sum()),
        "post_mean_b": float((bg * pb).sum() / pb.sum()),
        "post_mean_s": float((np.exp(lsg) * p.sum(axis=(0, 1))).sum() / p.sum()),
    }
