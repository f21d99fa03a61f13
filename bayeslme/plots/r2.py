"""Posterior densities of marginal and conditional R²."""

from __future__ import annotations

import numpy as np

from bayeslme.plots._common import new_axes
from bayeslme.plots.variance_components import _density

__all__ = ["plot_r2_draws"]


def plot_r2_draws(marginal: np.ndarray, conditional: np.ndarray, *, ax=None):
    """Overlay the posterior densities of marginal and conditional R².

    Parameters
    ----------
    marginal, conditional : ndarray
        Posterior draws (any shape; flattened) of R² with fixed effects only and
        with group effects too (Nakagawa & Schielzeth 2013).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Two density lines labelled ``"marginal"`` and ``"conditional"``, x from 0 to 1.
    """
    if ax is None:
        ax = new_axes(1, size=(4.5, 3.0))[0]
    grid = np.linspace(0.0, 1.0, 401)
    for name, values in (("marginal", marginal), ("conditional", conditional)):
        values = np.asarray(values, dtype=float).ravel()
        ax.plot(grid, _density(values, grid), label=name)
    ax.set_xlim(0, 1)
    ax.set_xlabel("R²")
    ax.set_ylabel("density")
    ax.legend()
    return ax
