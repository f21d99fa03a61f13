"""Small multiples: observed points and each level's fitted line with a credible band."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bayeslme.plots._common import interval, new_axes

__all__ = ["plot_trajectories_draws"]


def plot_trajectories_draws(
    grid: np.ndarray,
    lines: np.ndarray,
    labels: Sequence[str],
    *,
    population: np.ndarray | None = None,
    observed: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    prob: float = 0.95,
    xlabel: str = "x",
    ylabel: str = "y",
    axes=None,
    ncols: int = 4,
):
    """One panel per level: its fitted line, credible band, points and the population line.

    Parameters
    ----------
    grid : ndarray, shape (n_grid,)
        Values of the predictor on the x axis.
    lines : ndarray, shape (n_draws, n_levels, n_grid)
        Posterior draws of each level's fitted line.
    labels : sequence of str
        Level names, used as panel titles.
    population : ndarray, shape (n_draws, n_grid) or (n_draws, n_levels, n_grid), optional
        Draws of the population (fixed-effects) line, drawn dashed: one line for
        every panel, or each level's own (e.g. its treatment arm's).
    observed : sequence of (x, y) arrays, optional
        Observed points of each level.
    prob : float
        Probability of the band.
    xlabel, ylabel : str
        Axis labels.
    axes : sequence of matplotlib.axes.Axes, optional
        One axes per level; a new grid by default.
    ncols : int
        Columns of the new grid.

    Returns
    -------
    ndarray of matplotlib.axes.Axes
        Per panel: the level's mean line (solid, ``C0``), the population mean line
        (dashed, when given), one band and the observed points.
    """
    grid = np.asarray(grid, dtype=float)
    lines = np.asarray(lines, dtype=float)
    n_levels = lines.shape[1]
    if axes is None:
        axes = new_axes(n_levels, ncols=min(ncols, n_levels), sharex=True)
    axes = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    pop_mean = None
    if population is not None:
        pop_mean = np.asarray(population, dtype=float).mean(axis=0)
        pop_mean = np.broadcast_to(pop_mean, (n_levels, grid.size))
    for j, ax in enumerate(axes[:n_levels]):
        lower, upper = interval(lines[:, j, :], prob)
        ax.fill_between(grid, lower, upper, color="C0", alpha=0.25, linewidth=0)
        ax.plot(grid, lines[:, j, :].mean(axis=0), color="C0", label=str(labels[j]))
        if pop_mean is not None:
            ax.plot(grid, pop_mean[j], color="0.3", linestyle="--", linewidth=1, label="population")
        if observed is not None:
            x_obs, y_obs = observed[j]
            ax.plot(x_obs, y_obs, "o", color="k", markersize=3)
        ax.set_title(str(labels[j]), fontsize=9)
    for j, ax in enumerate(axes[:n_levels]):
        spec = ax.get_subplotspec()
        cols = spec.get_gridspec().ncols if spec is not None else 1
        if j + cols >= n_levels:  # nothing below this panel: it carries the x axis
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel(xlabel)
        if spec is None or spec.is_first_col():
            ax.set_ylabel(ylabel)
    return axes
