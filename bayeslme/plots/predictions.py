"""Conditional-effects plot: predictions over one predictor, optionally one line per group."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bayeslme.plots._common import interval, new_axes

__all__ = ["plot_predictions_draws"]


def plot_predictions_draws(
    grid: np.ndarray,
    series: Mapping[str, np.ndarray],
    *,
    prob: float = 0.95,
    xlabel: str = "x",
    ylabel: str = "prediction",
    ax=None,
):
    """Mean prediction and credible band of each series along ``grid``.

    Parameters
    ----------
    grid : ndarray, shape (n_grid,)
    series : mapping of str to ndarray, shape (n_draws, n_grid)
        Draws of the predictions, one entry per line (e.g. per group level).
    prob : float
        Band probability.
    xlabel, ylabel : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One labelled line and one band per series.
    """
    grid = np.asarray(grid, dtype=float)
    if ax is None:
        ax = new_axes(1, size=(4.5, 3.2))[0]
    for i, (name, draws) in enumerate(series.items()):
        draws = np.asarray(draws, dtype=float).reshape(-1, grid.size)
        lower, upper = interval(draws, prob)
        ax.fill_between(grid, lower, upper, color=f"C{i % 10}", alpha=0.2, linewidth=0)
        ax.plot(grid, draws.mean(axis=0), color=f"C{i % 10}", label=str(name))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(series) > 1:
        ax.legend(fontsize=8)
    return ax
