"""Posterior densities of group-effect SDs and correlations."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bayeslme.plots._common import new_axes

__all__ = ["plot_densities_draws"]


def _density(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density with Silverman's bandwidth."""
    values = values[np.isfinite(values)]
    sd = values.std(ddof=1) if values.size > 1 else 0.0
    bandwidth = max(1.06 * sd * values.size ** (-1 / 5), 1e-12)
    z = (grid[:, None] - values[None, :]) / bandwidth
    return np.exp(-0.5 * z**2).sum(axis=1) / (values.size * bandwidth * np.sqrt(2 * np.pi))


def plot_densities_draws(draws: Mapping[str, np.ndarray], *, axes=None, ncols: int = 3):
    """One density panel per named quantity.

    Parameters
    ----------
    draws : mapping of str to ndarray
        Flat posterior draws of each quantity; keys become panel titles.
    axes : sequence of matplotlib.axes.Axes, optional
        One axes per quantity; a new grid by default.
    ncols : int
        Columns of the new grid.

    Returns
    -------
    ndarray of matplotlib.axes.Axes
        One axes per quantity, each with one density line.
    """
    names = list(draws)
    if axes is None:
        axes = new_axes(len(names), ncols=min(ncols, len(names)))
    axes = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    for ax, name in zip(axes, names, strict=True):
        values = np.asarray(draws[name], dtype=float).ravel()
        lo, hi = np.quantile(values, [0.001, 0.999])
        pad = 0.1 * (hi - lo + 1e-12)
        grid = np.linspace(lo - pad, hi + pad, 200)
        if name.startswith("cor"):
            grid = grid[(grid >= -1) & (grid <= 1)]
        ax.plot(grid, _density(values, grid), color="C0")
        ax.set_title(name, fontsize=9)
        ax.set_yticks([])
    return axes
