"""A small seeded collapsed fit of nested factors: same tree as non-centered, results work."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import bayeslme as bl
from bayeslme.backend.build import build_model

FORMULA = "y ~ x + (x | school) + (1 | school:class)"
SMALL = {"draws": 200, "tune": 200, "chains": 2, "progressbar": False}


@pytest.fixture(scope="module")
def nested_model():
    return bl.LMM(FORMULA, bl.simulate.nested(seed=1).data)


@pytest.fixture(scope="module")
def nested_fit(nested_model):
    return nested_model.fit(random_seed=4, **SMALL)


def test_auto_collapses_and_tree_has_noncentered_variables(nested_model, nested_fit):
    assert nested_fit.info["method"] == "collapsed"
    noncentered, _ = build_model(nested_model.spec, nested_model.design, "noncentered")
    stored = {name for name in noncentered.named_vars if name in nested_fit.posterior.data_vars}
    for name in ("school__u", "school__z", "school:class__u", "school:class__z", "school__cor"):
        assert name in stored
        assert nested_fit.posterior[name].dims[2:] == noncentered.named_vars_to_dims[name]
    assert set(nested_fit.idata["constant_data"].data_vars) == {
        "X",
        "school__index",
        "school__Z",
        "school:class__index",
        "school:class__Z",
    }


def test_group_effects_are_consistent_and_results_work(nested_fit):
    # The class factor has one effect: u = sd * z exactly.
    u, z, sd = (nested_fit.draws(n) for n in ("school:class__u", "school:class__z", "school:class__sd"))
    assert_allclose(u, z * sd[:, :, None, :])
    assert nested_fit.draws("school__u").shape == (2, 200, 6, 2)
    assert nested_fit.coef("school:class")["mean"].unstack().shape == (21, 2)
    assert np.isfinite(nested_fit.variance_components()["mean"]).all()
    # predictions of fitted rows use the reconstructed effects: mean of X b + sum_f Z_f u_f
    predicted = nested_fit.predict(nested_fit.design.data.head(4))
    design = nested_fit.design
    eta = nested_fit.draws("b").reshape(-1, design.X.shape[1]) @ design.X[:4].T
    for factor in nested_fit.spec.factors:
        u = nested_fit.draws(factor.u_var)
        u = u.reshape((-1,) + u.shape[2:])
        block = design.factor(factor.name)
        eta = eta + (block.Z[:4] * u[:, block.index[:4]]).sum(axis=-1)
    assert_allclose(np.asarray(predicted["mean"]), eta.mean(axis=0))
