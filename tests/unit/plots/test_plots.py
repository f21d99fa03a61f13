"""Plot functions on synthetic draws: content (lines, points, panels, labels), no MCMC."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bayeslme.plots.ppc import plot_ppc_draws
from bayeslme.plots.predictions import plot_predictions_draws
from bayeslme.plots.r2 import plot_r2_draws
from bayeslme.plots.random_effects import plot_caterpillar_draws
from bayeslme.plots.trajectories import plot_trajectories_draws
from bayeslme.plots.variance_components import _density, plot_densities_draws

RNG = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_density_integrates_to_one_and_peaks_at_mean():
    values = RNG.normal(2.0, 1.0, size=4000)
    grid = np.linspace(-4, 8, 2001)
    density = _density(values, grid)
    # Trapezoid integral of a KDE over +-6 sd is 1 up to the grid error (~1e-6).
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-3)
    # Peak within ~3 Monte Carlo sd (bandwidth ~0.2) of the true mode.
    assert grid[np.argmax(density)] == pytest.approx(2.0, abs=0.3)


def test_caterpillar_sorted_by_mean_with_one_bar_per_level():
    means = np.array([3.0, -1.0, 0.5, 2.0])
    draws = means + RNG.normal(0, 0.1, size=(500, 4))
    ax = plot_caterpillar_draws(draws, ["a", "b", "c", "d"], xlabel="Intercept | g")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["b", "c", "d", "a"]  # ascending means bottom to top
    points = ax.lines[0]
    assert len(points.get_xdata()) == 4
    assert np.all(np.diff(points.get_xdata()) > 0)
    assert len(ax.collections[0].get_segments()) == 4
    assert ax.get_xlabel() == "Intercept | g"


def test_caterpillar_intervals_widen_with_prob():
    draws = RNG.normal(size=(2000, 3))
    ax50 = plot_caterpillar_draws(draws, list("abc"), prob=0.5)
    ax95 = plot_caterpillar_draws(draws, list("abc"), prob=0.95)
    width = [np.ptp(np.asarray(s)[:, 0]) for s in ax50.collections[0].get_segments()]
    wider = [np.ptp(np.asarray(s)[:, 0]) for s in ax95.collections[0].get_segments()]
    assert np.all(np.array(wider) > np.array(width))


def test_densities_one_panel_per_quantity_correlation_within_bounds():
    draws = {"sd[g|Intercept]": np.abs(RNG.normal(size=300)), "cor[g|Intercept, x]": RNG.uniform(-1, 1, 300)}
    axes = plot_densities_draws(draws)
    assert [ax.get_title() for ax in axes] == list(draws)
    assert all(len(ax.lines) == 1 for ax in axes)
    cor_x = axes[1].lines[0].get_xdata()
    assert cor_x.min() >= -1 and cor_x.max() <= 1


def test_trajectories_panels_lines_points_and_band():
    grid = np.linspace(0, 9, 20)
    intercepts = np.array([1.0, 2.0, 3.0])
    lines = intercepts[None, :, None] + grid[None, None, :] + RNG.normal(0, 0.1, size=(100, 3, 20))
    observed = [(np.arange(10.0), np.arange(10.0) + i) for i in intercepts]
    axes = plot_trajectories_draws(
        grid,
        lines,
        ["s1", "s2", "s3"],
        population=lines.mean(axis=1),
        observed=observed,
        xlabel="Days",
        ylabel="Reaction",
    )
    assert len(axes) == 3
    for ax, level, (x_obs, _) in zip(axes, ["s1", "s2", "s3"], observed, strict=True):
        assert ax.get_title() == level
        assert len(ax.lines) == 3  # level mean, population, points
        assert len(ax.lines[2].get_xdata()) == len(x_obs)
        assert ax.lines[1].get_linestyle() == "--"
        assert len(ax.collections) == 1  # the band
    # The level mean line follows the level's own intercept.
    assert axes[2].lines[0].get_ydata()[0] == pytest.approx(3.0, abs=0.1)
    assert axes[0].get_ylabel() == "Reaction"
    assert axes[-1].get_xlabel() == "Days"


def test_trajectories_population_line_per_level():
    grid = np.linspace(0, 1, 5)
    lines = np.zeros((10, 2, 5))
    population = np.stack([np.zeros((10, 5)), np.ones((10, 5))], axis=1)  # e.g. two treatment arms
    axes = plot_trajectories_draws(grid, lines, ["a", "b"], population=population)
    assert axes[0].lines[1].get_ydata().tolist() == [0.0] * 5
    assert axes[1].lines[1].get_ydata().tolist() == [1.0] * 5


def test_r2_two_labelled_densities_on_unit_interval():
    ax = plot_r2_draws(RNG.beta(2, 8, 400), RNG.beta(8, 2, 400))
    assert [line.get_label() for line in ax.lines] == ["marginal", "conditional"]
    peaks = [line.get_xdata()[np.argmax(line.get_ydata())] for line in ax.lines]
    assert peaks[0] < 0.3 < 0.7 < peaks[1]  # Beta(2,8) mode 0.125, Beta(8,2) mode 0.875
    assert ax.get_xlim() == (0, 1)
    assert ax.get_xlabel() == "R²"


def test_ppc_draws_requested_number_of_replicates_plus_observed():
    observed = RNG.normal(size=50)
    replicated = RNG.normal(size=(200, 50))
    ax = plot_ppc_draws(observed, replicated, n_lines=30)
    assert len(ax.lines) == 31
    assert ax.lines[-1].get_label() == "observed"
    ax = plot_ppc_draws(observed, replicated[:5], n_lines=30)
    assert len(ax.lines) == 6


def test_predictions_one_line_and_band_per_series():
    grid = np.linspace(0, 1, 10)
    series = {"a": RNG.normal(size=(100, 10)), "b": 5 + RNG.normal(size=(100, 10))}
    fig, ax = plt.subplots()
    out = plot_predictions_draws(grid, series, xlabel="Days", ylabel="Reaction", ax=ax)
    assert out is ax
    assert [line.get_label() for line in ax.lines] == ["a", "b"]
    assert len(ax.collections) == 2
    assert ax.get_legend() is not None
    assert ax.get_xlabel() == "Days"
