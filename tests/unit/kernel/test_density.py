"""The kernel's log density and gradient are PyMC's, for every kind of model it evaluates."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from bayeslme.backend.build import build_model
from bayeslme.kernel.callbacks import logp_grad
from bayeslme.kernel.layout import build_layout, unsupported_reason
from bayeslme.kernel.records import lkj_positions
from tests.unit.kernel.cases import (
    CASES,
    assert_gradient_matches_differences,
    case_data,
    case_id,
    case_model,
    case_points,
)

REFERENCE = json.loads(
    (pathlib.Path(__file__).parents[2] / "data" / "kernel" / "pymc_reference.json").read_text()
)


@pytest.fixture(scope="module")
def data():
    return case_data()


def _layout(case, data):
    model = case_model(case, data)
    return model, build_layout(model.spec, model.design, case[3])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_density_and_gradient_equal_pymc(case, data):
    # PyMC's values were computed by tests/data/kernel/make_reference.py on the
    # same data and points. Both sides sum the same terms in another order:
    # agreement to 1e-9 relative is rounding (the values are O(1e3)).
    _, layout = _layout(case, data)
    for record in REFERENCE[case_id(case)]:
        grad = np.zeros(layout.n_q)
        value = logp_grad(np.array(record["q"]), grad, layout.F, layout.I)
        assert value == pytest.approx(record["logp"], rel=1e-9)
        np.testing.assert_allclose(grad, record["grad"], rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gradient_equals_finite_differences(case, data):
    _, layout = _layout(case, data)
    assert_gradient_matches_differences(layout, case_points(layout, 1)[0])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_value_variables_are_pymcs(case, data):
    # Every free variable of the PyMC model has its place in q, with PyMC's name and shape.
    model, layout = _layout(case, data)
    pymc_model, _ = build_model(model.spec, model.design, case[3])
    expected = {v.name: _shape(pymc_model, v) for v in pymc_model.value_vars}
    ours = {v.name: v.shape for v in layout.value_vars}
    assert ours == expected
    covered = np.zeros(layout.n_q, dtype=int)
    for var in layout.value_vars:
        covered[var.start : var.start + var.size] += 1
    assert np.all(covered == 1)


def _shape(pymc_model, value) -> tuple[int, ...]:
    """A value variable's shape: from its random variable's dims, or its static type."""
    dims = pymc_model.named_vars_to_dims.get(pymc_model.values_to_rvs[value].name)
    if dims and all(d is not None for d in dims) and None in value.type.shape:
        return tuple(len(pymc_model.coords[d]) for d in dims)
    return tuple(value.type.shape)


def test_lkj_positions_follow_pymcs_transform():
    # PyMC's backward map of q = (0, 1, ..., m - 1) puts q[t] at W[rows[t], cols[t]].
    import pytensor.tensor as pt
    from pymc.distributions.transforms import CholeskyCorrTransform

    for width in (2, 3, 4, 5):
        m = width * (width - 1) // 2
        q = np.arange(1.0, m + 1.0)
        C = CholeskyCorrTransform(n=width, upper=False).backward(pt.as_tensor(q)).eval()
        W = C / np.diag(C)[:, None]
        rows, cols = lkj_positions(width)
        np.testing.assert_allclose(W[rows, cols], q)


def test_unsupported_models_say_why(data):
    model = case_model(("Reaction ~ Days + (1 | Subject) + (1 | site)", "gaussian", None, "collapsed"), data)
    assert "nested" in unsupported_reason(model.spec, model.design, "collapsed")
    assert unsupported_reason(model.spec, model.design, "noncentered") is None
