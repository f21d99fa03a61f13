"""Interpretation results over one variable: a line and band per series (numeric x), or points and bars."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bayeslme.plots._common import interval, new_axes

__all__ = ["plot_estimates"]


def plot_estimates(
    x: np.ndarray,
    series: Mapping[str, np.ndarray],
    *,
    numeric: bool,
    prob: float = 0.95,
    xlabel: str = "x",
    ylabel: str = "estimate",
    reference: float | None = None,
    ax=None,
):
    """Posterior mean and central interval of each series at each ``x``.

    Parameters
    ----------
    x : ndarray, shape (n_x,)
        Values (numeric) or labels (categorical) along the horizontal axis.
    series : mapping of str to ndarray, shape (n_draws, n_x)
        Draws of the estimate, one entry per line or set of points.
    numeric : bool
        Lines with bands over a numeric ``x``; otherwise points with interval
        bars, side by side per series.
    reference : float, optional
        A horizontal line (0 for differences and slopes, 1 for ratios).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        ax = new_axes(1, size=(4.5, 3.2))[0]
    positions = np.arange(len(x), dtype=float)
    width = 0.6 / max(len(series), 1)
    for i, (name, draws) in enumerate(series.items()):
        draws = np.asarray(draws, dtype=float).reshape(-1, len(x))
        lower, upper = interval(draws, prob)
        mean = draws.mean(axis=0)
        color = f"C{i % 10}"
        if numeric:
            grid = np.asarray(x, dtype=float)
            ax.fill_between(grid, lower, upper, color=color, alpha=0.2, linewidth=0)
            ax.plot(grid, mean, color=color, label=str(name))
        else:
            at = positions + (i - (len(series) - 1) / 2) * width
            ax.errorbar(at, mean, yerr=[mean - lower, upper - mean], fmt="o", color=color, label=str(name))
    if not numeric:
        ax.set_xticks(positions, [str(v) for v in x])
    if reference is not None:
        ax.axhline(reference, color="0.5", linewidth=0.8, linestyle="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(series) > 1:
        ax.legend(fontsize=8)
    return ax
