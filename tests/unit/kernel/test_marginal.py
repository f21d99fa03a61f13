"""Method "marginal": one factor integrated out of the non-centered Gaussian density, exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bayeslme as bl
from bayeslme.kernel.density import logp_grad
from bayeslme.kernel.layout import build_layout, marginal_factor
from tests.unit.kernel.cases import assert_gradient_matches_differences, case_data, case_points

FORMULAS = [
    # Subject (18 levels) is integrated out with 1, 2 and 3 effects (closed
    # forms for k = 1, 2 and the general loop), next to a crossed site factor.
    "Reaction ~ Days + (1 | Subject) + (Days | site)",
    "Reaction ~ Days + (Days | Subject) + (1 | site)",
    "Reaction ~ Days * site + (Days + x | Subject) + (0 + x | site)",
    # Uncorrelated blocks and an offset.
    "Reaction ~ Days + offset(x) + (Days || Subject) + (1 | site)",
]


@pytest.fixture(scope="module")
def data():
    return case_data()


def _layouts(formula, data):
    model = bl.LMM(formula, data)
    return (
        model,
        build_layout(model.spec, model.design, "noncentered"),
        build_layout(model.spec, model.design, "marginal"),
    )


def _embed(q, marginal, plain):
    """The non-centered point with the marginal layout's values (the integrated factor's z at 0)."""
    full = np.zeros(plain.n_q)
    for var in marginal.value_vars:
        target = plain.value_var(var.name)
        full[target.start : target.start + target.size] = q[var.start : var.start + var.size]
    return full


@pytest.mark.parametrize("formula", FORMULAS)
def test_marginal_density_integrates_the_noncentered_one(formula, data):
    # The non-centered log density is quadratic in the integrated factor's z
    # (Gaussian likelihood, standard-normal prior), so Laplace's formula is
    # exact: log of the integral over z = logp(z*) + d/2 log 2 pi - 1/2 log|H|,
    # with H the negative Hessian in z (constant; got from two gradients per
    # column, exact up to rounding since the gradient is linear in z) and z*
    # one Newton step from anywhere. This uses only the non-centered density,
    # itself checked against PyMC (test_density.py).
    model, plain, marginal = _layouts(formula, data)
    factor = model.spec.factors[marginal_factor(model.spec)]
    assert factor.name == "Subject"
    zvar = plain.value_var(factor.z_var)
    block = slice(zvar.start, zvar.start + zvar.size)
    for q in case_points(marginal):
        full = _embed(q, marginal, plain)
        g0 = np.zeros(plain.n_q)
        logp_grad(full, g0, plain.F, plain.I)
        H = np.empty((zvar.size, zvar.size))
        for t in range(zvar.size):
            moved = full.copy()
            moved[zvar.start + t] += 1.0
            g1 = np.zeros(plain.n_q)
            logp_grad(moved, g1, plain.F, plain.I)
            H[:, t] = g0[block] - g1[block]
        H = 0.5 * (H + H.T)
        full[block] += np.linalg.solve(H, g0[block])
        peak = logp_grad(full, np.zeros(plain.n_q), plain.F, plain.I)
        expected = peak + 0.5 * zvar.size * math.log(2 * math.pi) - 0.5 * np.linalg.slogdet(H)[1]
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
