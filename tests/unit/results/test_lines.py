"""Per-level fitted lines from coefficient draws vs a hand calculation (no MCMC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import BayeslmeError
from bayeslme.results.lines import level_grid_frame, level_lines, population_line


@pytest.fixture(scope="module")
def spec():
    return bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy()).spec


def test_lines_are_fixed_plus_group_effects(spec):
    factor = spec.factor("Subject")
    rng = np.random.default_rng(0)
    b = rng.normal(size=(2, 3, 2))  # (chain, draw, [Intercept, Days])
    u = rng.normal(size=(2, 3, len(factor.levels), 2))
    grid = np.array([0.0, 1.0, 5.0])
    lines = level_lines(spec, factor, b, u, "Days", grid)
    assert lines.shape == (6, len(factor.levels), 3)
    # chain 1, draw 2, level 4 at Days = 5: (b0 + u0) + (b1 + u1) * 5
    expected = (b[1, 2, 0] + u[1, 2, 4, 0]) + (b[1, 2, 1] + u[1, 2, 4, 1]) * 5
    assert lines[5, 4, 2] == pytest.approx(expected)
    population = population_line(spec, b, "Days", grid)
    assert population[5, 2] == pytest.approx(b[1, 2, 0] + 5 * b[1, 2, 1])


def test_lines_need_a_coefficient_named_x(spec):
    b = np.zeros((1, 1, 2))
    u = np.zeros((1, 1, 18, 2))
    with pytest.raises(BayeslmeError, match="'Reaction' is not a coefficient"):
        level_lines(spec, spec.factor("Subject"), b, u, "Reaction", np.zeros(2))


def test_level_grid_frame_keeps_each_levels_own_covariates():
    # Trajectory lines are predictions on this frame: a treated subject's line must use
    # treatment = 1 (not the sample mean 0.5), or interaction models plot wrong lines.
    data = pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 4.0, 5.0],
            "months": [0.0, 6.0, 0.0, 3.0, 12.0],
            "treatment": [0, 0, 1, 1, 1],
            "dose": [1.0, 3.0, 2.0, 2.0, 2.0],
            "arm": ["a", "b", "c", "c", "c"],
            "patient": ["p0", "p0", "p1", "p1", "p1"],
        }
    )
    index = np.array([0, 0, 1, 1, 1])
    frame = level_grid_frame(data, index, 2, "months", np.array([0.0, 12.0]))
    assert list(frame.columns) == list(data.columns)
    assert frame["months"].tolist() == [0.0, 12.0, 0.0, 12.0]
    assert frame["patient"].tolist() == ["p0", "p0", "p1", "p1"]
    assert frame["treatment"].tolist() == [0, 0, 1, 1]
    assert frame["dose"].tolist() == [2.0, 2.0, 2.0, 2.0]  # p0 varies: its mean; p1 constant
    assert frame["arm"].tolist() == ["a", "a", "c", "c"]  # varies within p0: its first value
    assert len(level_grid_frame(data, index, 1, "months", np.zeros(3))) == 3
