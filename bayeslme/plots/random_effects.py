"""Caterpillar plot of per-level group effects with intervals, sorted by the mean."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bayeslme.plots._common import interval, new_axes

__all__ = ["plot_caterpillar_draws"]


def plot_caterpillar_draws(
    draws: np.ndarray,
    labels: Sequence[str],
    *,
    prob: float = 0.95,
    xlabel: str = "effect",
    ax=None,
):
    """Sorted point-and-interval plot of one effect across levels.

    Parameters
    ----------
    draws : ndarray, shape (n_draws, n_levels)
        Posterior draws of each level's effect.
    labels : sequence of str
        Level names.
    prob : float
        Central interval probability of the bars.
    xlabel : str
        Label of the value axis.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes
        One point per level (a single ``Line2D``) and one horizontal bar per level
        (a ``LineCollection``), lowest mean at the bottom.
    """
    draws = np.asarray(draws, dtype=float)
    if ax is None:
        ax = new_axes(1, size=(4.0, max(2.5, 0.22 * draws.shape[1])))[0]
    mean = draws.mean(axis=0)
    lower, upper = interval(draws, prob)
    order = np.argsort(mean)
    y = np.arange(len(order))
    ax.hlines(y, lower[order], upper[order], color="C0", linewidth=1.5)
    ax.plot(mean[order], y, "o", color="C0", markersize=4)
    ax.axvline(0.0, color="0.5", linestyle="--", linewidth=0.8)
    ax.set_yticks(y, [str(labels[i]) for i in order])
    ax.set_xlabel(xlabel)
    return ax
