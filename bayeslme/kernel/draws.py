"""Posterior variables of the PyMC model from the kernel's unconstrained draws.

nutpie stores the unconstrained vector ``q`` of every draw; this module
computes, vectorised over draws, the same variables with the same names and
dims as a fit of the PyMC model (:mod:`bayeslme.backend.pymc_model` and
:mod:`bayeslme.backend.collapsed`): the free variables on their constrained
scale (``Intercept_centered``, ``b_slopes``, ``<f>__sd_unit``,
``<f>__L<k>``, ``<f>__rho<k>``, ``<f>__z``, ``sigma_unit`` ...) and the
deterministics (``b``, ``<f>__sd``, ``<f>__cor``, ``<f>__u``, ``sigma`` ...).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayeslme.blocks import structured_cholesky_array
from bayeslme.families import get_family
from bayeslme.formula.design import Design
from bayeslme.kernel.layout import KernelLayout
from bayeslme.kernel.records import lkj_positions
from bayeslme.output import group_effect_arrays
from bayeslme.spec import FactorSpec, ModelSpec, unit_var, value_var
from bayeslme.spec.names import CENTERED_INTERCEPT, COEFFICIENTS, FIXED_DIM, SLOPES, auto_dim

__all__ = ["factor_choleskys", "marginal_effects", "posterior_dataset"]


def posterior_dataset(q: np.ndarray, layout: KernelLayout, spec: ModelSpec, means: np.ndarray) -> xr.Dataset:
    """The posterior variables for draws ``q`` of shape ``(chains, draws, n_q)``.

    ``means`` are the centring means of the fixed-effect columns
    (:attr:`bayeslme.spec.ModelSpec.column_means`).
    """
    chains, draws = q.shape[:2]
    sample = ("chain", "draw")
    out: dict[str, xr.DataArray] = {}
    coords: dict[str, object] = {"chain": np.arange(chains), "draw": np.arange(draws)}

    def put(name: str, values: np.ndarray, dims: tuple[str, ...]) -> None:
        for dim, size in zip(dims, values.shape[2:], strict=True):
            coords.setdefault(dim, np.arange(size))
        out[name] = xr.DataArray(values, dims=sample + dims)

    def value(name: str) -> np.ndarray:
        return _value(q, layout, name)

    p = len(spec.fixed)
    coords[FIXED_DIM] = list(spec.fixed)
    if p:
        if spec.has_intercept:
            position = spec.fixed.index("Intercept")
            intercept = value(CENTERED_INTERCEPT)
            put(CENTERED_INTERCEPT, intercept, (auto_dim(CENTERED_INTERCEPT),))
            b = np.zeros((chains, draws, p))
            b[..., position] = intercept[..., 0]
            slopes = [j for j in range(p) if j != position]
            if slopes:
                beta = value(SLOPES)
                put(SLOPES, beta, (auto_dim(SLOPES),))
                b[..., slopes] = beta
                b[..., position] -= beta @ means[slopes]
            put(COEFFICIENTS, b, (FIXED_DIM,))
        else:
            put(COEFFICIENTS, value(COEFFICIENTS), (FIXED_DIM,))

    sds: list[np.ndarray] = []
    for factor in spec.factors:
        coords[factor.effect_dim] = list(factor.effects)
        coords[factor.level_dim] = list(factor.levels)
        sds.append(_factor_sds(factor, spec, value, put))
    for name in get_family(spec.family).parameters():
        unit = np.exp(value(value_var(unit_var(name), "log")))
        put(unit_var(name), unit, ())
        put(name, unit * spec.priors[name].scale, ())

    for factor, sd in zip(spec.factors, sds, strict=True):
        chol = _factor_correlations(factor, spec, value, put, coords, (chains, draws))
        if factor.z_var in {var.name for var in layout.value_vars} or factor.u_var in {
            var.name for var in layout.value_vars
        }:
            L = sd[..., :, None] * chol
            if factor.u_var in {var.name for var in layout.value_vars}:  # sampled centered
                u = value(factor.u_var)
                z = np.einsum("cdab,cdgb->cdga", np.linalg.inv(L), u)
            else:
                z = value(factor.z_var)
                u = np.einsum("cdgb,cdab->cdga", z, L)
            out.update(group_effect_arrays(factor, u, z, chains, draws))
    return xr.Dataset(out, coords=coords)


def marginal_effects(
    posterior: xr.Dataset,
    q: np.ndarray,
    layout: KernelLayout,
    spec: ModelSpec,
    design: Design,
    rng: np.random.Generator,
) -> xr.Dataset:
    """``posterior`` with the effects of the factors integrated out (method ``"marginal"``) added.

    Given each draw's fixed effects, other factors' effects, SDs and
    correlations, the factor's effects have the exact Gaussian conditional of
    the collapsed path with the residual ``r = y - offset - X b - sum_f Z_f u_f``
    in place of ``y - X b`` (:func:`bayeslme.backend.suffstats.conditional_z`),
    so each draw of the population parameters gets one draw of them; an
    outer factor integrated out with the factor nested in it is drawn with
    it from the nested conditional
    (:func:`bayeslme.backend.nested_stats.nested_conditional_given`).
    ``posterior`` is :func:`posterior_dataset`'s for the unconstrained draws
    ``q``. Only ``Z'r`` per level is needed, and it is linear in the draws:
    ``Z'y - (Z'X) b - sum_f (Z'Z_f) u_f`` with the cross-products computed
    once (sparse for the factors), so no per-row work is repeated per draw.
    """
    from bayeslme.backend.suffstats import conditional_z, segment_sums

    position, outer = layout.marginal, layout.marginal_outer
    integrated = [p for p in (position, outer) if p >= 0]
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    n_draws = chains * draws
    y = np.asarray(design.y, dtype=np.float64)
    if design.offset is not None:
        y = y - np.asarray(design.offset, dtype=np.float64)
    X = np.asarray(design.X, dtype=np.float64)
    b = (
        posterior[COEFFICIENTS].values.reshape(n_draws, -1)
        if COEFFICIENTS in posterior
        else np.zeros((n_draws, 0))
    )
    others = [
        (_effects_matrix(f, len(s.levels)), posterior[s.u_var].values.reshape(n_draws, -1))
        for p, (s, f) in enumerate(zip(spec.factors, design.factors, strict=True))
        if p not in integrated
    ]

    sums = {}
    for p in integrated:
        Zt = _effects_matrix(design.factors[p], len(spec.factors[p].levels)).T.tocsr()  # (G k, rows)
        sums[p] = {"Zy": Zt @ y, "ZX": Zt @ X, "crosses": [Zt @ Zf for Zf, _ in others]}

    def residual_sums(p: int, lo: int, hi: int) -> np.ndarray:
        """``Z_p'r`` of each draw in ``lo:hi``, shape (draws, levels, effects)."""
        Zr = sums[p]["Zy"][:, None] - sums[p]["ZX"] @ b[lo:hi].T  # (G k, draws in chunk)
        for cross, (_, u) in zip(sums[p]["crosses"], others, strict=True):
            Zr -= cross @ u[lo:hi].T
        return Zr.T.reshape(hi - lo, len(spec.factors[p].levels), len(spec.factors[p].effects))

    L = {}
    for p in integrated:
        factor = spec.factors[p]
        k = len(factor.effects)
        sd = posterior[factor.sd_var].values.reshape(n_draws, k)
        chol = _factor_correlations(
            factor, spec, lambda name: _value(q, layout, name), lambda *a: None, {}, q.shape[:2]
        ).reshape(n_draws, k, k)
        L[p] = sd[:, :, None] * chol
    sigma = posterior["sigma"].values.reshape(n_draws)
    shapes = {p: (len(spec.factors[p].levels), len(spec.factors[p].effects)) for p in integrated}
    z = {p: np.empty((n_draws, *shapes[p])) for p in integrated}
    own = design.factors[position]
    G = shapes[position][0]
    if outer >= 0:
        from bayeslme.backend.nested_stats import nested_conditional_given, nested_stats

        stats = nested_stats(y, X[:, :0], design.factors[outer], own, layout.marginal_parent)
    else:
        own_Z = np.asarray(own.Z, dtype=np.float64)
        ZZ = segment_sums(np.asarray(own.index), G, own_Z[:, :, None] * own_Z[:, None, :])
    size = sum(G_p * k_p * k_p for G_p, k_p in shapes.values())
    chunk = max(1, 2_000_000 // max(size, 1))
    for lo in range(0, n_draws, chunk):
        hi = min(lo + chunk, n_draws)
        if outer >= 0:
            drawn = nested_conditional_given(
                stats,
                residual_sums(position, lo, hi),
                residual_sums(outer, lo, hi),
                L[outer][lo:hi],
                L[position][lo:hi],
                sigma[lo:hi],
                rng,
            )
            z[outer][lo:hi], z[position][lo:hi] = drawn[1], drawn[3]
        else:
            Zr = residual_sums(position, lo, hi)
            z[position][lo:hi] = conditional_z(ZZ, Zr, L[position][lo:hi], sigma[lo:hi], rng)
    assigned = {}
    for p in integrated:
        u = np.einsum("dgb,dab->dga", z[p], L[p])
        assigned.update(group_effect_arrays(spec.factors[p], u, z[p], chains, draws))
    return posterior.assign(assigned)


def _effects_matrix(factor, G: int):
    """The sparse rows x (levels x effects) matrix of a factor's effects, level-major columns."""
    import scipy.sparse as sp

    Z = np.asarray(factor.Z, dtype=np.float64)
    n, k = Z.shape
    index = np.asarray(factor.index, dtype=np.int64)
    columns = (index[:, None] * k + np.arange(k)).ravel()
    rows = np.repeat(np.arange(n), k)
    return sp.csr_matrix((Z.ravel(), (rows, columns)), shape=(n, G * k))


def factor_choleskys(q: np.ndarray, layout: KernelLayout, spec: ModelSpec) -> list[np.ndarray]:
    """Each factor's ``L = diag(sd) C`` for draws ``q`` of shape ``(chains, draws, n_q)``."""
    posterior = posterior_dataset(q, layout, spec, spec.column_means)
    out = []
    for factor in spec.factors:
        sd = posterior[factor.sd_var].values
        chol = _factor_correlations(
            factor, spec, lambda name: _value(q, layout, name), lambda *a: None, {}, q.shape[:2]
        )
        out.append(sd[..., :, None] * chol)
    return out


def _value(q: np.ndarray, layout: KernelLayout, name: str) -> np.ndarray:
    var = layout.value_var(name)
    return q[..., var.start : var.start + var.size].reshape(*q.shape[:2], *var.shape)


def _factor_sds(factor: FactorSpec, spec: ModelSpec, value, put) -> np.ndarray:
    slots = factor.sd_slots()
    scales = np.array([spec.priors[key].scale for key, _ in slots])
    if len(slots) == len(factor.effects):
        unit = np.exp(value(value_var(unit_var(factor.sd_var), "log")))
        put(unit_var(factor.sd_var), unit, (factor.effect_dim,))
        sd = unit * scales
        put(factor.sd_var, sd, (factor.effect_dim,))
        return sd
    unit = np.exp(value(value_var(unit_var(factor.sd_free_var), "log")))
    put(unit_var(factor.sd_free_var), unit, (auto_dim(unit_var(factor.sd_free_var)),))
    free = unit * scales
    put(factor.sd_free_var, free, (auto_dim(factor.sd_free_var),))
    owner = np.zeros(len(factor.effects), dtype=np.int64)
    for slot, (_, positions) in enumerate(slots):
        owner[list(positions)] = slot
    sd = free[..., owner]
    put(factor.sd_var, sd, (factor.effect_dim,))
    return sd


def _factor_correlations(factor: FactorSpec, spec: ModelSpec, value, put, coords, shape) -> np.ndarray:
    """The factor's block-diagonal correlation Cholesky factor per draw; registers ``L``/``rho``/``cor``."""
    k = len(factor.effects)
    chol = np.zeros((*shape, k, k))
    chol[..., np.arange(k), np.arange(k)] = 1.0
    correlations = []
    start = 0
    for position, block in enumerate(factor.blocks):
        width = len(block.effects)
        if block.correlated:
            if block.structure == "us":
                name = factor.chol_var(position)
                C = _lkj_cholesky(value(value_var(name, "cholesky_corr")), width)
                put(name, C, (auto_dim(name, 0), auto_dim(name, 1)))
            else:
                prior = spec.priors[factor.rho_key]
                low, high = block.rho_bounds
                lo, hi = max(prior["lower"], low), min(prior["upper"], high)
                rho = lo + (hi - lo) / (1.0 + np.exp(-value(value_var(factor.rho_var(position), "interval"))))
                put(factor.rho_var(position), rho, ())
                C = structured_cholesky_array(block.structure, rho, width)
            chol[..., start : start + width, start : start + width] = C
            rows, cols = np.triu_indices(width, k=1)
            correlations.append(np.einsum("cdij,cdkj->cdik", C, C)[..., rows, cols])
        start += width
    if correlations:
        coords[factor.pair_dim] = factor.pair_labels()
        put(factor.cor_var, np.concatenate(correlations, axis=-1), (factor.pair_dim,))
    return chol


def _lkj_cholesky(y: np.ndarray, width: int) -> np.ndarray:
    """PyMC's ``CholeskyCorrTransform`` backward map, vectorised over draws."""
    rows, cols = lkj_positions(width)
    W = np.zeros(y.shape[:-1] + (width, width))
    W[..., rows, cols] = y
    W[..., np.arange(width), np.arange(width)] = 1.0
    return W / np.linalg.norm(W, axis=-1, keepdims=True)
