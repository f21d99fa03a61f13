"""Shared helpers for plots: lazy matplotlib import and axes creation."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["interval", "new_axes", "pyplot"]


def pyplot() -> Any:
    """Import :mod:`matplotlib.pyplot` on first use."""
    import matplotlib.pyplot as plt

    return plt


def new_axes(n: int, *, ncols: int | None = None, size: tuple[float, float] = (3.2, 2.6), sharex=False):
    """A figure with ``n`` axes in a grid; returns a flat array of the used axes."""
    plt = pyplot()
    ncols = ncols or min(n, 4)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size[0] * ncols, size[1] * nrows),
        squeeze=False,
        sharex=sharex,
        sharey=sharex,
        layout="constrained",
    )
    flat = axes.ravel()
    for extra in flat[n:]:
        extra.remove()
    return flat[:n]


def interval(draws: np.ndarray, prob: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Central ``prob`` interval of ``draws`` along ``axis``."""
    tail = (1 - prob) / 2
    return np.quantile(draws, tail, axis=axis), np.quantile(draws, 1 - tail, axis=axis)
