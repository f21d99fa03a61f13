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

Two nested factors (an inner factor whose every level lies within one level
of the outer factor, checked on the data) are collapsed with a two-level
Woodbury recursion (:mod:`bayeslme.backend.collapsed_nested`). Crossed
factors and three or more factors are not collapsed (see
:func:`supports_collapsed`): they take the marginal method, which integrates
one factor out given the others (:mod:`bayeslme.kernel.density`), or the
non-centered parametrisation (:func:`bayeslme.backend.build.resolve_method`).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from bayeslme.backend.collapsed_algebra import (
    fixed_residual_norm,
    unrolled_cholesky,
    unrolled_forward_solve,
    woodbury_matrix,
)
from bayeslme.backend.collapsed_nested import nested_loglik
from bayeslme.backend.components import (
    factor_scales,
    fixed_coefficients,
    scaled_cholesky,
)
from bayeslme.backend.nested_stats import (
    NestedStats,
    Nesting,
    nested_conditional_effects,
    nested_stats,
    spec_nesting,
)
from bayeslme.backend.prior_vars import scalar_scale
from bayeslme.backend.pymc_model import model_coords
from bayeslme.backend.suffstats import GroupStats, conditional_effects, group_stats
from bayeslme.bigdata.design import StreamedDesign, streamed_nesting, streamed_stats
from bayeslme.formula.design import Design
from bayeslme.output import constant_data, group_effect_arrays, observed_data
from bayeslme.posterior_arrays import centred_theta, cholesky_draws
from bayeslme.spec import ModelSpec

__all__ = [
    "add_group_effects",
    "build_collapsed_model",
    "collapsed_loglik",
    "collapsed_nesting",
    "design_stats",
    "supports_collapsed",
]


def supports_collapsed(spec: ModelSpec, design: Design) -> bool:
    """Whether the collapsed path applies.

    Gaussian family, identity link, independent residuals (no ``ar()`` /
    ``cosy()`` term), and either one grouping factor or two factors of which
    one is nested in the other (:attr:`ModelSpec.nested`).
    """
    if spec.family != "gaussian" or spec.link != "identity" or spec.rescor is not None:
        return False
    return len(spec.factors) == 1 or collapsed_nesting(spec, design) is not None


def collapsed_nesting(spec: ModelSpec, design: Design) -> Nesting | None:
    """The nesting of a two-factor model, ``None`` for one factor or crossed factors."""
    if isinstance(design, StreamedDesign):  # the map of levels comes from the sums
        return streamed_nesting(design)
    return spec_nesting(spec, design)


def design_stats(spec: ModelSpec, design: Design) -> GroupStats | NestedStats:
    """Sufficient statistics of ``design`` on the sampled (centred) fixed-effects scale.

    A design held as statistics (Parquet files, :mod:`bayeslme.bigdata`) gives its own.
    """
    streamed = streamed_stats(spec, design)
    if streamed is not None:
        return streamed
    X = spec.centered_X(design.X)
    nesting = collapsed_nesting(spec, design)
    if nesting is not None:
        outer, inner = design.factors[nesting.outer], design.factors[nesting.inner]
        return nested_stats(design.y, X, outer, inner, nesting.parent)
    factor = design.factors[0]
    return group_stats(design.y, X, factor.Z, factor.index, len(factor.levels))


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
    nesting = collapsed_nesting(spec, design)
    with pm.Model(coords=model_coords(spec, design.n_obs)) as model:
        data = {name: pm.Data(name, value) for name, value in stats.arrays().items()}
        theta = fixed_coefficients(spec, shared=True)
        if theta is None:
            theta = pt.zeros(0)
        chol = []
        for factor_spec in spec.factors:
            sd, chols = factor_scales(spec, factor_spec, shared=True)
            chol.append(scaled_cholesky(factor_spec, sd, chols))
        sigma = scalar_scale("sigma", spec.priors["sigma"], shared=True)
        if nesting is None:
            k = len(spec.factors[0].effects)
            loglik = collapsed_loglik(data, theta, chol[0], sigma, k=k)
        else:
            loglik = nested_loglik(
                data,
                theta,
                chol[nesting.outer],
                chol[nesting.inner],
                sigma,
                k_outer=len(spec.factors[nesting.outer].effects),
                k_inner=len(spec.factors[nesting.inner].effects),
            )
        pm.Potential("y_marginal", loglik)
    return model


def collapsed_loglik(
    data: dict[str, pt.TensorVariable],
    theta: pt.TensorVariable,
    L: pt.TensorVariable,
    sigma: pt.TensorVariable,
    *,
    k: int,
) -> pt.TensorVariable:
    """Marginal log-likelihood of the data given :math:`\\theta`, :math:`L`, :math:`s` (module docs).

    ``data`` holds tensors named as :meth:`GroupStats.arrays`.
    """
    ZZ, ZX, Zy = data["stats_ZZ"], data["stats_ZX"], data["stats_Zy"]
    n_groups = ZZ.shape[0]
    n_obs = data["stats_n"]
    s2 = sigma**2
    w = pt.dot(Zy - pt.tensordot(ZX, theta, axes=[[2], [0]]), L)  # (G, k)
    chol = unrolled_cholesky(woodbury_matrix(ZZ, L, s2, k), k)
    v = unrolled_forward_solve(chol, [w[:, a] for a in range(k)], k)
    logdet = sum(2 * pt.log(chol[a][a]) for a in range(k))
    quad = sum(v[a] ** 2 for a in range(k))
    return -0.5 * (
        n_obs * np.log(2 * np.pi)
        + (n_obs - n_groups * k) * pt.log(s2)
        + pt.sum(logdet)
        + (fixed_residual_norm(data, theta) - pt.sum(quad)) / s2
    )


def add_group_effects(
    idata: xr.DataTree, spec: ModelSpec, design: Design, random_seed: int | None
) -> xr.DataTree:
    """Add ``<f>__u`` and ``<f>__z`` drawn from their conditional posterior to ``idata``.

    For nested factors the outer effects are drawn first (inner ones
    integrated out), then the inner effects given them. Also replaces the
    ``stats_*`` constant data by the design's ``X``, ``<f>__index`` and
    ``<f>__Z`` (shared, not copied) and adds the observed response, so the
    tree has the groups and names of a non-centered fit.
    """
    if streamed_stats(spec, design) is not None:
        # A model of Parquet files draws them on demand (bayeslme.bigdata.effects): 100,000
        # levels x 4,000 draws would not fit in memory.
        if "constant_data" in idata.children:  # the PyMC path's statistics
            del idata["constant_data"]
        return idata
    posterior = idata["posterior"].to_dataset()
    n_chains, n_draws = posterior.sizes["chain"], posterior.sizes["draw"]
    theta = centred_theta(spec, posterior)
    L = [cholesky_draws(factor, posterior) for factor in spec.factors]
    sigma = posterior["sigma"].values.reshape(-1)
    rng = np.random.default_rng(None if random_seed is None else [random_seed, 5])
    stats = design_stats(spec, design)
    nesting = collapsed_nesting(spec, design)
    if nesting is None:
        drawn = {0: conditional_effects(stats, theta, L[0], sigma, rng)}
    else:
        ua, za, ub, zb = nested_conditional_effects(
            stats, theta, L[nesting.outer], L[nesting.inner], sigma, rng
        )
        drawn = {nesting.outer: (ua, za), nesting.inner: (ub, zb)}
    for position, (u, z) in sorted(drawn.items()):
        posterior = posterior.assign(group_effect_arrays(spec.factors[position], u, z, n_chains, n_draws))
    idata["posterior"] = xr.DataTree(posterior)
    idata["constant_data"] = xr.DataTree(constant_data(spec, design))
    idata["observed_data"] = xr.DataTree(observed_data(design))
    return idata
