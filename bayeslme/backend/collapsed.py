"""Collapsed Gaussian model: group effects integrated out of the likelihood.

For a Gaussian model with one grouping factor, group :math:`i`'s rows are
jointly

.. math::

    y_i \\sim N\\!\\left(X_i\\theta,\\; Z_i \\Sigma Z_i^\\top + s^2 I_{n_i}\\right),
    \\qquad \\Sigma = L L^\\top .

With :math:`M_i = s^2 I_k + L^\\top Z_i^\\top Z_i L`, :math:`r_i = y_i - X_i\\theta`
and :math:`w_i = L^\\top Z_i^\\top r_i`, the Woodbury identity and the matrix
determinant lemma give

.. math::

    \\log p(y) = -\\tfrac12 \\Big[ N \\log 2\\pi + 2 (N - G k) \\log s
        + \\sum_i \\log |M_i|
        + s^{-2} \\big( r^\\top r - \\textstyle\\sum_i w_i^\\top M_i^{-1} w_i \\big) \\Big],

which needs only the per-group sufficient statistics of
:mod:`bayeslme.backend.suffstats`. Writing :math:`\\Sigma` through its
Cholesky factor keeps :math:`M_i` positive definite even when an SD is near
zero, and :math:`\\Sigma^{-1}` is never formed. The :math:`k \\times k`
Cholesky factorisations and solves are unrolled into elementwise operations on
length-:math:`G` vectors (``k`` is small and known when the graph is built),
which keeps the gradient cheap.

The population variables (``b``, ``<f>__sd``, ``<f>__L<k>``, ``<f>__cor``,
``sigma``) are built by the same code, with the same priors, as the
non-centered model (:mod:`bayeslme.backend.components`), so both target the
same posterior. After sampling, :func:`add_group_effects` draws the group
effects from their exact conditional distribution for every draw.

Crossed or nested grouping factors are not collapsed: the model falls back to
the non-centered parametrisation (see :func:`supports_collapsed`).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from bayeslme.backend.components import (
    centered_X,
    column_means,
    factor_scales,
    fixed_coefficients,
    scaled_cholesky,
)
from bayeslme.backend.prior_vars import scalar_scale
from bayeslme.backend.pymc_model import model_coords
from bayeslme.backend.suffstats import GroupStats, conditional_effects, group_stats
from bayeslme.formula.design import Design
from bayeslme.spec import FactorSpec, ModelSpec

__all__ = [
    "add_group_effects",
    "build_collapsed_model",
    "collapsed_loglik",
    "design_stats",
    "supports_collapsed",
]


def supports_collapsed(spec: ModelSpec) -> bool:
    """Whether ``spec`` can use the collapsed path.

    It needs a Gaussian family, identity link, one factor and independent
    residuals (no ``ar()`` / ``cosy()`` term).
    """
    return (
        spec.family == "gaussian"
        and spec.link == "identity"
        and len(spec.factors) == 1
        and spec.rescor is None
    )


def design_stats(spec: ModelSpec, design: Design) -> GroupStats:
    """Sufficient statistics of ``design`` on the sampled (centred) fixed-effects scale."""
    factor = design.factors[0]
    return group_stats(design.y, centered_X(spec, design.X), factor.Z, factor.index, len(factor.levels))


def build_collapsed_model(spec: ModelSpec, design: Design) -> pm.Model:
    """Build the collapsed PyMC model of ``spec`` on ``design``'s data.

    Parameters
    ----------
    spec : ModelSpec
        A spec for which :func:`supports_collapsed` is true.
    design : Design
        Design evaluated on the fitting data.

    Returns
    -------
    pymc.Model
        Same population variables as the non-centered model; the likelihood is
        a ``pm.Potential`` named ``y_marginal``. Sufficient statistics, prior
        parameters and centring means enter as ``pm.Data`` containers, so
        the compiled model can be reused for new data (see
        :func:`bayeslme.backend.build.build_model`).
    """
    stats = design_stats(spec, design)
    factor_spec = spec.factors[0]
    with pm.Model(coords=model_coords(spec, design.n_obs)) as model:
        data = {name: pm.Data(name, value) for name, value in stats.arrays().items()}
        theta = fixed_coefficients(spec, shared=True)
        if theta is None:
            theta = pt.zeros(0)
        sd, chols = factor_scales(spec, factor_spec, shared=True)
        L = scaled_cholesky(factor_spec, sd, chols)
        sigma = scalar_scale("sigma", spec.priors["sigma"], shared=True)
        loglik = collapsed_loglik(data, theta, L, sigma, n_obs=stats.n_obs, k=len(factor_spec.effects))
        pm.Potential("y_marginal", loglik)
    return model


def collapsed_loglik(
    data: dict[str, pt.TensorVariable],
    theta: pt.TensorVariable,
    L: pt.TensorVariable,
    sigma: pt.TensorVariable,
    *,
    n_obs: int,
    k: int,
) -> pt.TensorVariable:
    """Marginal log-likelihood of the data given :math:`\\theta`, :math:`L`, :math:`s` (module docs).

    ``data`` holds tensors named as :meth:`GroupStats.arrays`.
    """
    ZZ, ZX, Zy = data["stats_ZZ"], data["stats_ZX"], data["stats_Zy"]
    n_groups = ZZ.shape[0]
    s2 = sigma**2
    rr = (
        data["stats_yy"]
        - 2 * pt.dot(data["stats_Xy"], theta)
        + pt.dot(theta, pt.dot(data["stats_XX"], theta))
    )
    w = pt.dot(Zy - pt.tensordot(ZX, theta, axes=[[2], [0]]), L)  # (G, k)
    LZZL = pt.tensordot(pt.tensordot(ZZ, L, axes=[[2], [0]]), L, axes=[[1], [0]])  # (G, k, k)
    M = [[LZZL[:, a, b] + (s2 if a == b else 0.0) for b in range(k)] for a in range(k)]
    chol = _unrolled_cholesky(M, k)
    v = _unrolled_forward_solve(chol, [w[:, a] for a in range(k)], k)
    logdet = sum(2 * pt.log(chol[a][a]) for a in range(k))
    quad = sum(v[a] ** 2 for a in range(k))
    return -0.5 * (
        n_obs * np.log(2 * np.pi)
        + (n_obs - n_groups * k) * pt.log(s2)
        + pt.sum(logdet)
        + (rr - pt.sum(quad)) / s2
    )


def _unrolled_cholesky(M: list[list], k: int) -> list[list]:
    """Cholesky factor of a batch of k x k matrices given entry-wise as length-G vectors."""
    C: list[list] = [[None] * k for _ in range(k)]
    for j in range(k):
        diag = M[j][j] - sum(C[j][m] ** 2 for m in range(j)) if j else M[j][j]
        C[j][j] = pt.sqrt(diag)
        for i in range(j + 1, k):
            off = M[i][j] - sum(C[i][m] * C[j][m] for m in range(j)) if j else M[i][j]
            C[i][j] = off / C[j][j]
    return C


def _unrolled_forward_solve(C: list[list], w: list, k: int) -> list:
    """Solve ``C v = w`` for lower-triangular ``C`` entry-wise."""
    v: list = []
    for i in range(k):
        rest = w[i] - sum(C[i][m] * v[m] for m in range(i)) if i else w[i]
        v.append(rest / C[i][i])
    return v


def add_group_effects(
    idata: xr.DataTree, spec: ModelSpec, design: Design, random_seed: int | None
) -> xr.DataTree:
    """Add ``<f>__u`` and ``<f>__z`` drawn from their conditional posterior to ``idata``.

    Also replaces the ``stats_*`` constant data by the design's ``X``,
    ``<f>__index`` and ``<f>__Z`` (shared, not copied) and adds the observed
    response, so the tree has the groups and names of a non-centered fit.
    """
    factor = spec.factors[0]
    posterior = idata["posterior"].to_dataset()
    n_chains, n_draws = posterior.sizes["chain"], posterior.sizes["draw"]
    theta = _centred_theta(spec, posterior)
    L = _cholesky_draws(factor, posterior)
    sigma = posterior["sigma"].values.reshape(-1)
    rng = np.random.default_rng(None if random_seed is None else [random_seed, 5])
    u, z = conditional_effects(design_stats(spec, design), theta, L, sigma, rng)
    dims = ("chain", "draw", factor.name, f"{factor.name}__effect")
    shape = (n_chains, n_draws, len(factor.levels), len(factor.effects))
    coords = {factor.name: list(factor.levels), f"{factor.name}__effect": list(factor.effects)}
    posterior = posterior.assign(
        {
            f"{factor.name}__z": xr.DataArray(z.reshape(shape), dims=dims, coords=coords),
            f"{factor.name}__u": xr.DataArray(u.reshape(shape), dims=dims, coords=coords),
        }
    )
    idata["posterior"] = xr.DataTree(posterior)
    idata["constant_data"] = xr.DataTree(_constant_data(design))
    idata["observed_data"] = xr.DataTree(
        xr.Dataset({"y": ("obs", design.y)}, coords={"obs": np.arange(design.n_obs)})
    )
    return idata


def _centred_theta(spec: ModelSpec, posterior: xr.Dataset) -> np.ndarray:
    if not spec.fixed:
        return np.zeros((posterior.sizes["chain"] * posterior.sizes["draw"], 0))
    b = posterior["b"].values.reshape(-1, len(spec.fixed))
    theta = b.copy()
    if spec.has_intercept:
        theta[:, spec.fixed.index("Intercept")] += b @ column_means(spec)
    return theta


def _cholesky_draws(factor: FactorSpec, posterior: xr.Dataset) -> np.ndarray:
    sd = posterior[f"{factor.name}__sd"].values.reshape(-1, len(factor.effects))
    L = np.zeros(sd.shape + (sd.shape[1],))
    start = 0
    for k, block in enumerate(factor.blocks):
        width = len(block.effects)
        idx = slice(start, start + width)
        if block.correlated:
            chol = posterior[f"{factor.name}__L{k}"].values.reshape(-1, width, width)
            L[:, idx, idx] = sd[:, idx, None] * chol
        else:
            L[:, idx, idx] = np.eye(width) * sd[:, idx, None]
        start += width
    return L


def _constant_data(design: Design) -> xr.Dataset:
    factor = design.factors[0]
    coords = {"obs": np.arange(design.n_obs), "fixed": list(design.fixed_names)}
    coords[f"{factor.name}__effect"] = list(factor.effects)
    return xr.Dataset(
        {
            "X": (("obs", "fixed"), design.X),
            f"{factor.name}__index": ("obs", factor.index),
            f"{factor.name}__Z": (("obs", f"{factor.name}__effect"), factor.Z),
        },
        coords=coords,
    )
