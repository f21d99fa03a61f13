"""Each level's fitted line along one predictor, from the coefficient draws.

Used by :meth:`bayeslme.Fit.plot_trajectories`. The line of level :math:`j` at
predictor value :math:`x` is, per draw,

.. math::

    \\eta_j(x) = \\sum_k (b_k + u_{jk}) \\, v_k(x), \\qquad
    v_k(x) = \\begin{cases} 1 & k = \\text{Intercept} \\\\ x & k = x \\\\
    \\bar{x}_k & \\text{otherwise} \\end{cases}

so other predictors are held at their sample means. This is exact for models
whose only terms in ``x`` are ``x`` itself (no transformations or interactions
of ``x``); use ``Fit.predict`` for anything else. Values are on the link scale.

:meth:`bayeslme.Fit.plot_trajectories` instead predicts on
:func:`level_grid_frame`: each level's own rows with ``x`` on a grid, so
interactions with ``x``, transformations and level-constant covariates (a
subject's treatment arm) enter the line as they enter the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.errors import BayeslmeError
from bayeslme.results.effects import coefficient_draws
from bayeslme.spec import FactorSpec, ModelSpec

__all__ = ["covariate_values", "level_grid_frame", "level_lines", "population_line"]


def covariate_values(spec: ModelSpec, names: list[str], x: str, grid: np.ndarray) -> np.ndarray:
    """Matrix ``(n_grid, n_coefficients)`` of the values each coefficient multiplies."""
    if x not in names:
        raise BayeslmeError(
            f"{x!r} is not a coefficient of the model (coefficients: {names}); "
            "plot lines along a numeric predictor that enters the formula as itself"
        )
    means = dict(zip(spec.fixed, spec.x_means, strict=True))
    values = np.empty((grid.size, len(names)))
    for k, name in enumerate(names):
        if name == "Intercept":
            values[:, k] = 1.0
        elif name == x:
            values[:, k] = grid
        else:
            values[:, k] = means.get(name, 0.0)
    return values


def level_lines(
    spec: ModelSpec, factor: FactorSpec, b: np.ndarray, u: np.ndarray, x: str, grid: np.ndarray
) -> np.ndarray:
    """Draws of each level's line.

    Parameters
    ----------
    b : ndarray, shape (chain, draw, n_fixed)
    u : ndarray, shape (chain, draw, levels, effects)
    x : str
        Predictor (a coefficient name).
    grid : ndarray, shape (n_grid,)

    Returns
    -------
    ndarray, shape (chain * draw, levels, n_grid)
    """
    coefs, names = coefficient_draws(spec, [factor], b, [u])
    values = covariate_values(spec, names, x, np.asarray(grid, dtype=float))
    coefs = coefs.reshape(-1, *coefs.shape[2:])
    return np.einsum("slk,gk->slg", coefs, values)


def population_line(spec: ModelSpec, b: np.ndarray, x: str, grid: np.ndarray) -> np.ndarray:
    """Draws ``(chain * draw, n_grid)`` of the fixed-effects line."""
    values = covariate_values(spec, list(spec.fixed), x, np.asarray(grid, dtype=float))
    return b.reshape(-1, b.shape[-1]) @ values.T


def level_grid_frame(
    data: pd.DataFrame, index: np.ndarray, n_levels: int, x: str, grid: np.ndarray
) -> pd.DataFrame:
    """New data for the lines of levels ``0 .. n_levels - 1`` along ``x``.

    Level ``j`` gets ``len(grid)`` rows (level-major order) with ``x`` on the
    grid and every other column at that level's value: the level's own value
    where it is constant within the level (its grouping columns, a subject's
    treatment arm), the level's mean for a numeric column that varies, and its
    first value for any other column that varies.

    Parameters
    ----------
    data : pandas.DataFrame
        The fitted rows.
    index : ndarray of int, shape (n_rows,)
        Level of each row (``0 .. n_levels_total - 1``).
    n_levels : int
        How many levels, from the first, get lines.
    x : str
        Column put on the grid.
    grid : ndarray, shape (n_grid,)

    Returns
    -------
    pandas.DataFrame
        ``n_levels * len(grid)`` rows.
    """
    grid = np.asarray(grid, dtype=float)
    parts = []
    for j in range(n_levels):
        rows = data[index == j]
        values = {}
        for column in data.columns.drop(x):
            series = rows[column]
            varies = series.nunique(dropna=False) > 1
            numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
            values[column] = series.mean() if varies and numeric else series.iloc[0]
        parts.append(pd.DataFrame({**values, x: grid}, index=range(grid.size)))
    return pd.concat(parts, ignore_index=True)[list(data.columns)]
