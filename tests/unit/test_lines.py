"""Per-level fitted lines from coefficient draws vs a hand calculation (no MCMC)."""

from __future__ import annotations

import numpy as np
import pytest

import bayeslme as bl
from bayeslme.errors import BayeslmeError
from bayeslme.results.lines import level_lines, population_line


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
