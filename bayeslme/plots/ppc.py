"""Posterior predictive check: density of replicated data against the observed data."""

from __future__ import annotations

import numpy as np

from bayeslme.plots._common import new_axes
from bayeslme.plots.variance_components import _density

__all__ = ["plot_ppc_draws"]


def plot_ppc_draws(
    observed: np.ndarray, replicated: np.ndarray, *, n_lines: int = 50, seed: int = 0, ax=None
):
    """Densities of ``n_lines`` replicated data sets (thin) and of the observed data (thick).

    Parameters
    ----------
    observed : ndarray, shape (n_obs,)
    replicated : ndarray, shape (n_draws, n_obs)
        Posterior predictive draws.
    n_lines : int
        Replicated data sets to draw (a random subset, reproducible with ``seed``).
    seed : int
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``min(n_lines, n_draws)`` thin lines then one line labelled ``"observed"``.
    """
    observed = np.asarray(observed, dtype=float).ravel()
    replicated = np.asarray(replicated, dtype=float).reshape(-1, observed.size)
    if ax is None:
        ax = new_axes(1, size=(4.5, 3.0))[0]
    rng = np.random.default_rng(seed)
    chosen = rng.choice(replicated.shape[0], size=min(n_lines, replicated.shape[0]), replace=False)
    lo, hi = np.quantile(np.concatenate([observed, replicated[chosen].ravel()]), [0.001, 0.999])
    grid = np.linspace(lo, hi, 200)
    for i, row in enumerate(chosen):
        ax.plot(
            grid,
            _density(replicated[row], grid),
            color="C0",
            alpha=0.2,
            linewidth=0.8,
            label="replicated" if i == 0 else None,
        )
    ax.plot(grid, _density(observed, grid), color="k", linewidth=2, label="observed")
    ax.set_ylabel("density")
    ax.legend()
    return ax
