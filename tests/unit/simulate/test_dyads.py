"""couples_adherence: reproducible, the documented shape and columns, truth keys matching apim_formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import BayeslmeError
from bayeslme.formula.design import build_design
from bayeslme.formula.parse import parse_formula


def test_same_seed_same_data_other_seed_other_data():
    a = bl.simulate.couples_adherence(n_couples=5, n_days=3, seed=4)
    b = bl.simulate.couples_adherence(n_couples=5, n_days=3, seed=4)
    c = bl.simulate.couples_adherence(n_couples=5, n_days=3, seed=5)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.truth == b.truth
    assert not np.allclose(a.data["adherence"], c.data["adherence"])


@pytest.mark.parametrize("distinguishable", [False, True])
def test_shape_columns_and_design(distinguishable):
    sim = bl.simulate.couples_adherence(n_couples=7, n_days=4, distinguishable=distinguishable, seed=1)
    data = sim.data
    assert data.shape == (7 * 4 * 2, 6)
    assert list(data.columns) == ["dyad", "person", "role", "day", "quality", "adherence"]
    assert data.groupby("dyad")["person"].nunique().eq(2).all()
    assert data.groupby(["person", "day"]).size().eq(1).all()
    assert set(data["role"]) == ({"woman", "man"} if distinguishable else {"A", "B"})
    assert sim.group_effects.shape == (7, 1)
    role = "role" if distinguishable else None
    prepared = bl.dyadic.apim(
        data, dyad="dyad", person="person", predictors="quality", role=role, occasion="day"
    )
    formula = bl.dyadic.apim_formula("adherence", "quality", dyad="dyad", role=role)
    fixed = set(build_design(parse_formula(formula), prepared).fixed_names)
    assert fixed == set(sim.truth) - {"sd_dyad", "sigma", "residual_correlation"}


def test_truth_values_by_role():
    sim = bl.simulate.couples_adherence(
        n_couples=3, n_days=2, actor=(4.0, 3.0), partner=1.5, distinguishable=True, residual_correlation=0.2
    )
    assert sim.truth["role[woman]:quality_actor"] == 4.0 and sim.truth["role[man]:quality_actor"] == 3.0
    assert sim.truth["role[man]:quality_partner"] == 1.5
    assert sim.truth["residual_correlation"] == 0.2


def test_noise_free_outcome_follows_the_equation():
    # with sd_dyad=0 and sigma tiny, adherence is b0 + a*own + p*partner exactly (to 1e-6)
    sim = bl.simulate.couples_adherence(n_couples=4, n_days=3, sd_dyad=0.0, sigma=1e-9, seed=2)
    data = bl.dyadic.apim(sim.data, dyad="dyad", person="person", predictors="quality", occasion="day")
    expected = 40.0 + 4.0 * data["quality_actor"] + 2.0 * data["quality_partner"]
    np.testing.assert_allclose(data["adherence"], expected, atol=1e-6)


def test_residual_correlation_within_day():
    # 4000 couple-days: sampling SD of the correlation ~ (1 - rho^2)/sqrt(n) ~ 0.013; allow 0.06
    sim = bl.simulate.couples_adherence(
        n_couples=400, n_days=10, actor=0.0, partner=0.0, sd_dyad=0.0, residual_correlation=0.5, seed=3
    )
    wide = sim.data.pivot_table(index=["dyad", "day"], columns="role", values="adherence")
    assert abs(np.corrcoef(wide["A"], wide["B"])[0, 1] - 0.5) < 0.06


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"actor": (1.0, 2.0)}, "one value per role"),
        ({"partner": (1.0, 2.0, 3.0), "distinguishable": True}, "one number or a pair"),
        ({"residual_correlation": 1.0}, r"must lie in \(-1, 1\)"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(BayeslmeError, match=message):
        bl.simulate.couples_adherence(n_couples=2, n_days=2, **kwargs)
