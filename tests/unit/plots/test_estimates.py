"""Plots of interpretation results: one line and band per series over numeric x, points otherwise."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import bayeslme as bl
from bayeslme.plots.estimates import plot_estimates
from tests.helpers import synthetic_fit
from tests.unit.interpret.conftest import trial_data


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_numeric_x_draws_a_line_and_band_per_series():
    rng = np.random.default_rng(0)
    x = np.array([0.0, 1.0, 2.0])
    draws = {"a": rng.normal(size=(200, 3)), "b": 5 + rng.normal(size=(200, 3))}
    ax = plot_estimates(x, draws, numeric=True, reference=0.0, ylabel="effect")
    lines = [line for line in ax.lines if line.get_label() in ("a", "b")]
    assert len(lines) == 2 and len(ax.collections) == 2
    np.testing.assert_allclose(lines[1].get_ydata(), draws["b"].mean(axis=0))
    assert ax.get_ylabel() == "effect" and ax.get_legend() is not None


def test_categorical_x_draws_points_with_bars_side_by_side():
    rng = np.random.default_rng(1)
    ax = plot_estimates(np.array(["p", "q"]), {"s": rng.normal(size=(100, 2))}, numeric=False)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["p", "q"]
    assert ax.get_legend() is None


@pytest.fixture(scope="module")
def fit():
    return synthetic_fit(bl.LMM("score ~ age + arm * week + (1 + week | patient)", trial_data()), draws=30)


def test_fit_plots_of_comparisons_slopes_and_means(fit):
    ax = fit.plot.comparisons("arm", "week")
    assert {line.get_label() for line in ax.lines} >= {"drug - placebo", "dose2 - placebo"}
    assert ax.get_xlabel() == "week"
    ax = fit.plot.slopes("week", "arm")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["placebo", "drug", "dose2"]
    ax = fit.plot.marginal_means("arm")
    assert ax.get_ylabel() == "marginal mean of score"
    ax = fit.plot.comparisons("arm", "week", values=("placebo", "drug"), group="patient")
    assert len([line for line in ax.lines if line.get_label().startswith("drug - placebo p")]) == 12
