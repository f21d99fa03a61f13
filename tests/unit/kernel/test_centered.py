"""Centered factors: the same posterior as the non-centered model, moved by u = L z."""

from __future__ import annotations

import numpy as np
import pytest

from bayeslme.kernel.callbacks import logp_grad
from bayeslme.kernel.draws import factor_choleskys, posterior_dataset
from bayeslme.kernel.layout import build_layout
from tests.unit.kernel.cases import (
    CASES,
    assert_gradient_matches_differences,
    case_data,
    case_id,
    case_model,
    case_points,
)
from tests.unit.kernel.test_density import REFERENCE

NONCENTERED = [case for case in CASES if case[3] == "noncentered"]


@pytest.fixture(scope="module")
def data():
    return case_data()


def _layouts(case, data, centered):
    model = case_model(case, data)
    plain = build_layout(model.spec, model.design, "noncentered")
    moved = build_layout(model.spec, model.design, "noncentered", centered=centered)
    return model, plain, moved


def _move(q, plain, spec):
    """q of the centered layout at the same point, and sum over factors of G log det L."""
    Ls = factor_choleskys(q[None, None], plain, spec)
    moved, log_det = q.copy(), 0.0
    for factor, L in zip(spec.factors, Ls, strict=True):
        var = plain.value_var(factor.z_var)
        z = q[var.start : var.start + var.size].reshape(var.shape)
        moved[var.start : var.start + var.size] = (z @ L[0, 0].T).ravel()
        log_det += var.shape[0] * np.log(np.diag(L[0, 0])).sum()
    return moved, log_det


@pytest.mark.parametrize("case", NONCENTERED, ids=case_id)
def test_centered_density_is_the_noncentered_one_times_the_jacobian(case, data):
    # u_g = L z_g for every level: p_centered(u) = p_noncentered(z) / |det L|^G.
    # The non-centered values are PyMC's (tests/data/kernel); both sides sum
    # O(1e3) terms, so 1e-9 relative is rounding.
    model = case_model(case, data)
    centered = (True,) * len(model.spec.factors)
    model, plain, moved = _layouts(case, data, centered)
    for record in REFERENCE[case_id(case)]:
        q, log_det = _move(np.array(record["q"]), plain, model.spec)
        value = logp_grad(q, np.zeros(moved.n_q), moved.F, moved.I)
        assert value == pytest.approx(record["logp"] - log_det, rel=1e-9)


@pytest.mark.parametrize("case", NONCENTERED, ids=case_id)
def test_centered_gradient_equals_finite_differences(case, data):
    model = case_model(case, data)
    n_factors = len(model.spec.factors)
    # With two factors, one centered and one not (each path next to the other).
    centered = (True,) if n_factors == 1 else (True, False)
    _, plain, layout = _layouts(case, data, centered)
    q, _ = _move(case_points(plain, 1)[0], plain, model.spec)
    assert_gradient_matches_differences(layout, q)


def test_centered_draws_give_the_same_posterior_variables(data):
    # The same point through either layout: identical u, z and population variables.
    case = ("Reaction ~ Days * site + (Days + x | Subject)", "gaussian", None, "noncentered")
    model, plain, moved = _layouts(case, data, (True,))
    q = case_points(plain, 2)
    shifted = np.stack([_move(point, plain, model.spec)[0] for point in q])
    a = posterior_dataset(q[None], plain, model.spec, model.spec.column_means)
    b = posterior_dataset(shifted[None], moved, model.spec, model.spec.column_means)
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_allclose(b[name].values, a[name].values, rtol=1e-10, atol=1e-12, err_msg=name)
    factor = model.spec.factors[0]
    assert moved.value_var(factor.u_var).start == plain.value_var(factor.z_var).start


def test_collapsed_refuses_centered_factors(data):
    case = ("Reaction ~ Days + (Days | Subject)", "gaussian", None, "collapsed")
    model = case_model(case, data)
    with pytest.raises(ValueError, match="centered"):
        build_layout(model.spec, model.design, "collapsed", centered=(True,))
