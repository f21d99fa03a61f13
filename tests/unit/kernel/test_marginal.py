"""Method "marginal": one factor integrated out of the non-centered Gaussian density, exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bayeslme as bl
from bayeslme.kernel.callbacks import logp_grad
from bayeslme.kernel.factor_choice import marginal_factors
from bayeslme.kernel.layout import build_layout
from tests.unit.kernel.cases import assert_gradient_matches_differences, case_data, case_points

FORMULAS = [
    # Subject (18 levels) is integrated out with 1, 2 and 3 effects (closed
    # forms for k = 1, 2 and the general loop), next to a crossed site factor.
    "Reaction ~ Days + (1 | Subject) + (Days | site)",
    "Reaction ~ Days + (Days | Subject) + (1 | site)",
    # The integrated factor need not come first.
    "Reaction ~ Days + (1 | site) + (Days | Subject)",
    "Reaction ~ Days * site + (Days + x | Subject) + (0 + x | site)",
    # Uncorrelated blocks and an offset.
    "Reaction ~ Days + offset(x) + (Days || Subject) + (1 | site)",
    # Subject intercepts nested in grp: both integrated out (two-level Woodbury).
    "Reaction ~ Days + (1 | Subject) + (1 | grp) + (1 | site)",
    "Reaction ~ Days + (1 | site) + (1 | grp) + (1 | Subject)",
]


@pytest.fixture(scope="module")
def data():
    return case_data()


def _layouts(formula, data, centre_others=False):
    """The model and its non-centered and marginal layouts; ``centre_others`` centres every factor left."""
    model = bl.LMM(formula, data)
    centered = None
    if centre_others:
        integrated = marginal_factors(model.spec, model.design)
        centered = tuple(p not in integrated for p in range(len(model.spec.factors)))
    return (
        model,
        build_layout(model.spec, model.design, "noncentered", centered=centered),
        build_layout(model.spec, model.design, "marginal", centered=centered),
    )


def _embed(q, marginal, plain):
    """The non-centered point with the marginal layout's values (the integrated factor's z at 0)."""
    full = np.zeros(plain.n_q)
    for var in marginal.value_vars:
        target = plain.value_var(var.name)
        full[target.start : target.start + target.size] = q[var.start : var.start + var.size]
    return full


def _integrated_block(model, plain, marginal):
    """The integrated factors (inner first) and their z's positions in the non-centered layout's q."""
    integrated = [model.spec.factors[p] for p in (marginal.marginal, marginal.marginal_outer) if p >= 0]
    zvars = [plain.value_var(f.z_var) for f in integrated]
    return integrated, np.concatenate([np.arange(v.start, v.start + v.size) for v in zvars])


def _gradient_and_hessian(plain, full, block):
    """The non-centered gradient at ``full`` and the negative Hessian in ``block``.

    The gradient is linear in the integrated z (Gaussian likelihood and
    prior), so a unit step per column gives the Hessian exactly up to rounding.
    """
    g0 = np.zeros(plain.n_q)
    logp_grad(full, g0, plain.F, plain.I)
    H = np.empty((block.size, block.size))
    for t in range(block.size):
        moved = full.copy()
        moved[block[t]] += 1.0
        g1 = np.zeros(plain.n_q)
        logp_grad(moved, g1, plain.F, plain.I)
        H[:, t] = g0[block] - g1[block]
    return g0, 0.5 * (H + H.T)


@pytest.mark.parametrize("centre_others", [False, True], ids=["noncentered", "centered"])
@pytest.mark.parametrize("formula", FORMULAS)
def test_marginal_density_integrates_the_noncentered_one(formula, centre_others, data):
    # The non-centered log density is quadratic in the integrated factor's z
    # (Gaussian likelihood, standard-normal prior), so Laplace's formula is
    # exact: log of the integral over z = logp(z*) + d/2 log 2 pi - 1/2 log|H|,
    # with H the negative Hessian in z (constant; got from two gradients per
    # column, exact up to rounding since the gradient is linear in z) and z*
    # one Newton step from anywhere. This uses only the non-centered density,
    # itself checked against PyMC (test_density.py). With the factors left in
    # the centered form both layouts read their u from q alike.
    model, plain, marginal = _layouts(formula, data, centre_others)
    integrated, block = _integrated_block(model, plain, marginal)
    assert [f.name for f in integrated] == (["Subject", "grp"] if "grp" in formula else ["Subject"])
    for q in case_points(marginal):
        full = _embed(q, marginal, plain)
        g0, H = _gradient_and_hessian(plain, full, block)
        full[block] += np.linalg.solve(H, g0[block])
        peak = logp_grad(full, np.zeros(plain.n_q), plain.F, plain.I)
        expected = peak + 0.5 * block.size * math.log(2 * math.pi) - 0.5 * np.linalg.slogdet(H)[1]
        value = logp_grad(q, np.zeros(marginal.n_q), marginal.F, marginal.I)
        # Sums of O(1e3) terms; the Hessian by differences of an exactly linear gradient.
        assert value == pytest.approx(expected, rel=1e-9, abs=1e-7)


@pytest.mark.parametrize("formula", FORMULAS)
def test_marginal_gradient_matches_differences(formula, data):
    _, _, marginal = _layouts(formula, data)
    for q in case_points(marginal, n_points=2):
        assert_gradient_matches_differences(marginal, q)


def test_marginal_layout_drops_the_integrated_factor_from_q(data):
    model, plain, marginal = _layouts("Reaction ~ Days + (Days | Subject) + (1 | site)", data)
    names = {var.name for var in marginal.value_vars}
    assert "Subject__z" not in names and "site__z" in names
    assert plain.n_q - marginal.n_q == 18 * 2
    assert marginal.callback == "noncentered" and marginal.marginal == 0


@pytest.mark.parametrize(
    "formula",
    [
        "Reaction ~ Days + offset(x) + (Days || Subject) + (1 | site)",
        "Reaction ~ Days * site + (Days + x | Subject) + (0 + x | site)",
    ],
)
def test_marginal_effects_use_the_residual_of_every_other_term(formula, data, monkeypatch):
    # The conditional draw of the integrated effects reads Z'r per level with
    # r = y - offset - X b - sum_f Z_f u_f, built from sparse cross-products;
    # here r is formed row by row from the same posterior values instead.
    import bayeslme.backend.suffstats as suffstats
    from bayeslme.kernel.draws import marginal_effects, posterior_dataset

    model, _, marginal = _layouts(formula, data)
    spec, design = model.spec, model.design
    q = case_points(marginal, n_points=4).reshape(2, 2, marginal.n_q)
    posterior = posterior_dataset(q, marginal, spec, spec.column_means)
    seen = {}
    real = suffstats.conditional_z

    def spy(ZZ, Zr, L, sigma, rng):
        seen["Zr"] = Zr.copy()
        return real(ZZ, Zr, L, sigma, rng)

    monkeypatch.setattr(suffstats, "conditional_z", spy)
    out = marginal_effects(posterior, q, marginal, spec, design, np.random.default_rng(0))
    position = marginal.marginal
    own, factor = design.factors[position], spec.factors[position]
    G, k = len(factor.levels), len(factor.effects)
    X = np.asarray(design.X, dtype=np.float64)
    offset = 0.0 if design.offset is None else np.asarray(design.offset, dtype=np.float64)
    b = posterior["b"].values.reshape(4, -1)
    expected = np.zeros((4, G, k))
    for d in range(4):
        r = np.asarray(design.y, dtype=np.float64) - offset - X @ b[d]
        for p, (s, f) in enumerate(zip(spec.factors, design.factors, strict=True)):
            if p != position:
                u = posterior[s.u_var].values.reshape(4, len(s.levels), -1)[d]
                r -= np.einsum("ne,ne->n", np.asarray(f.Z, dtype=np.float64), u[np.asarray(f.index)])
        np.add.at(expected[d], np.asarray(own.index), np.asarray(own.Z, dtype=np.float64) * r[:, None])
    np.testing.assert_allclose(seen["Zr"], expected, rtol=1e-10, atol=1e-8)
    # The effects are the drawn z turned by each draw's Cholesky factor.
    z = out[factor.z_var].values
    assert z.shape == (2, 2, G, k) and np.all(np.isfinite(z))
    assert factor.u_var in out


@pytest.mark.parametrize(
    "formula",
    [
        "Reaction ~ Days + (Days | Subject) + (1 | site)",
        "Reaction ~ Days + (1 | site) + (1 | grp) + (1 | Subject)",
    ],
)
def test_marginal_effects_follow_the_exact_conditional(formula, data):
    # Given every other parameter, the integrated effects z are Gaussian with
    # precision H (the negative Hessian of the non-centered log density in
    # them) and mean one Newton step from anywhere. 20,000 conditional draws
    # at one point: each mean within 5 standard errors (sd / sqrt(20000)) and
    # each variance within 5 % (the SE of a sample variance is var *
    # sqrt(2 / n) = 1 %); a wrong Woodbury term or residual moves them by far more.
    from bayeslme.kernel.draws import marginal_effects, posterior_dataset

    model, plain, marginal = _layouts(formula, data)
    spec = model.spec
    integrated, block = _integrated_block(model, plain, marginal)
    q = case_points(marginal, n_points=1)[0]
    full = _embed(q, marginal, plain)
    g0, H = _gradient_and_hessian(plain, full, block)
    cov = np.linalg.inv(H)
    mean = full[block] + cov @ g0[block]
    n = 20_000
    qs = np.broadcast_to(q, (1, n, marginal.n_q)).copy()
    posterior = posterior_dataset(qs, marginal, spec, spec.column_means)
    out = marginal_effects(posterior, qs, marginal, spec, model.design, np.random.default_rng(3))
    z = np.concatenate([out[f.z_var].values.reshape(n, -1) for f in integrated], axis=1)
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(z.mean(axis=0) - mean) < 5 * sd / math.sqrt(n))
    np.testing.assert_allclose(z.var(axis=0), np.diag(cov), rtol=0.05)


def test_which_factors_are_integrated_out(data):
    def chosen(formula):
        model = bl.LMM(formula, data)
        return [model.spec.factors[p].name for p in marginal_factors(model.spec, model.design) if p >= 0]

    # Crossed only: the factor with the most effects (18 x 2 against 2 x 1).
    assert chosen("Reaction ~ Days + (1 | site) + (Days | Subject)") == ["Subject"]
    # Two nested group intercepts go together, whatever their order in the formula.
    assert chosen("Reaction ~ Days + (1 | grp) + (1 | site) + (1 | Subject)") == ["Subject", "grp"]
    # With a slope the inner factor is no longer a group intercept alone: the largest factor.
    assert chosen("Reaction ~ Days + (Days | Subject) + (1 | grp) + (1 | site)") == ["Subject"]
    # site and grp are crossed, not nested: the largest.
    assert chosen("Reaction ~ Days + (1 | site) + (1 | grp)") == ["grp"]
