"""Predictions, comparisons and slopes on the outcome scale, averaged over data or at a grid.

Every quantity is computed draw by draw from expected outcomes
(:func:`bayeslme.results.prediction.prediction_draws` with ``kind="mean"``):

* predictions: :math:`E[y \\mid x]` at each row, averaged within ``by`` groups;
* comparisons: :math:`E[y \\mid x_{hi}] - E[y \\mid x_{lo}]` per row, averaged
  (or the ratio of the two averages, marginaleffects' ``ratioavg``);
* slopes: :math:`(E[y \\mid x + h/2] - E[y \\mid x - h/2]) / h` per row,
  averaged, with :math:`h = 10^{-4}` times the observed range of :math:`x`
  (marginaleffects' step) by default.

Without a grid the rows are the fitting rows and results average over them
(marginaleffects' ``avg_*`` functions); with a grid there is one result per
grid row unless ``by`` averages them. ``groups="auto"`` includes group
effects exactly when a grouping column is named (in the grid, ``by`` or as
the variable): ``slopes("Days", by="Subject")`` is each subject's own
slope, ``slopes("Days")`` the population's. Fresh effects of grouping
levels absent from the fit are drawn with ``random_seed``, the same draws
for both sides of a comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bayeslme.errors import BayeslmeError, DataError
from bayeslme.formula.levels import column_levels, labels
from bayeslme.interpret.grid import (
    base_rows,
    grouping_columns,
    is_categorical,
    level_values,
    model_columns,
    typed,
    value_of,
)
from bayeslme.interpret.tables import average_by, draws_array, estimate_table, groups_of
from bayeslme.results.prediction import check_prob, prediction_draws

if TYPE_CHECKING:
    from bayeslme.results.view import FitLike

__all__ = ["comparisons", "contrast_pairs", "expected", "predictions", "slopes"]

Grid = Mapping[str, Any] | pd.DataFrame | None
COMPARISONS = ("difference", "ratio")


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def resolve_groups(fit: FitLike, groups: str, named: list[str]) -> str:
    """``"auto"`` -> ``"conditional"`` when a grouping column is among ``named``, else ``"population"``."""
    if groups == "auto":
        return "conditional" if set(named) & set(grouping_columns(fit)) else "population"
    if groups not in ("conditional", "population"):
        raise BayeslmeError(f"groups must be 'auto', 'conditional' or 'population', got {groups!r}")
    return groups


def expected(
    fit: FitLike, frame: pd.DataFrame, *, groups: str, scale: str, random_seed: int | None
) -> np.ndarray:
    """Expected outcome (or linear predictor, ``scale="link"``) per draw and row: (draws, rows)."""
    values, _ = prediction_draws(
        fit, frame, kind="mean", groups=groups, new_groups="sample", scale=scale, random_seed=random_seed
    )
    return values


def _finish(fit: FitLike, values, keys, prob: float, summary: bool, name: str, null: float | None = None):
    check_prob(prob)
    if summary:
        return estimate_table(values, keys, prob, null=null)
    return draws_array(values, keys, fit.posterior.sizes["chain"], name)


def predictions(
    fit: FitLike,
    grid: Grid = None,
    *,
    by: str | Sequence[str] | None = None,
    groups: str = "auto",
    scale: str = "response",
    prob: float = 0.95,
    summary: bool = True,
    random_seed: int | None = None,
) -> Any:
    """Implementation of :meth:`bayeslme.Fit.predictions`."""
    by_ = _by_list(by)
    frame, named = base_rows(fit, grid)
    groups = resolve_groups(fit, groups, named + by_)
    values = expected(fit, frame, groups=groups, scale=scale, random_seed=random_seed)
    codes, keys = _row_groups(frame, named, by_, grid)
    return _finish(fit, average_by(values, codes, len(keys)), keys, prob, summary, "prediction")


def _row_groups(frame: pd.DataFrame, named: list[str], by: list[str], grid: Grid) -> tuple[np.ndarray, Any]:
    """Group of each evaluated row and one label row per group.

    Groups of ``by``; all rows together without a grid and without ``by``;
    otherwise each grid row on its own.
    """
    if grid is None or by:
        return groups_of(frame, by)
    return np.arange(len(frame)), frame[named].reset_index(drop=True)


def _level_label(value: Any) -> str:
    return str(labels(pd.Series([value])).iloc[0])


def contrast_pairs(fit: FitLike, variable: str, values: Any, comparison: str) -> list[tuple[str, Any, Any]]:
    """``(label, low, high)`` of each contrast of ``variable``.

    ``low``/``high`` are values to set, or for a numeric variable without
    explicit pair a shift ``("shift", h)`` of every row's own value.
    """
    sign = " / " if comparison == "ratio" else " - "
    series = fit.design.data[variable]
    if is_categorical(fit, variable):
        levels = list(fit.design.column_levels.get(variable, column_levels(series)))
        if values is None:
            pairs = [(levels[0], level) for level in levels[1:]]
        elif isinstance(values, str) and values == "pairwise":
            pairs = [(levels[i], levels[j]) for i in range(len(levels)) for j in range(i + 1, len(levels))]
        elif isinstance(values, Sequence) and not isinstance(values, str) and len(values) == 2:
            pairs = [(_level_label(values[0]), _level_label(values[1]))]
        else:
            raise BayeslmeError(
                f"values for the categorical {variable!r}: None (each level against {levels[0]!r}), "
                f"'pairwise', or two levels (low, high); got {values!r}"
            )
        stored = level_values(fit, variable)
        return [
            (
                f"{high}{sign}{low}",
                value_of(fit, variable, low, stored),
                value_of(fit, variable, high, stored),
            )
            for low, high in pairs
        ]
    if values is None or (np.ndim(values) == 0 and not isinstance(values, str)):
        step = 1.0 if values is None else float(values)
        return [(f"+{step:g}", ("shift", 0.0), ("shift", step))]
    if isinstance(values, str) and values == "sd":
        step = float(series.std())
        return [("+sd", ("shift", 0.0), ("shift", step))]
    if isinstance(values, Sequence) and not isinstance(values, str) and len(values) == 2:
        low, high = float(values[0]), float(values[1])
        return [(f"{high:g}{sign}{low:g}", low, high)]
    raise BayeslmeError(
        f"values for the numeric {variable!r}: None (+1), a step, 'sd', or two values (low, high); "
        f"got {values!r}"
    )


def _set(fit: FitLike, frame: pd.DataFrame, variable: str, value: Any) -> pd.DataFrame:
    out = frame.copy()
    if isinstance(value, tuple) and value[:1] == ("shift",):
        out[variable] = frame[variable].to_numpy(dtype=float) + value[1]
    else:
        out[variable] = typed(fit, variable, [value] * len(out))
    return out


def _check_variable(fit: FitLike, variable: str, by: list[str]) -> None:
    columns = model_columns(fit)
    if variable not in columns:
        raise DataError(f"{variable!r} is not a column the model reads; its columns are {columns}")
    if variable in by:
        raise BayeslmeError(f"{variable!r} is the variable compared; leave it out of by")


def comparisons(
    fit: FitLike,
    variable: str,
    *,
    values: Any = None,
    by: str | Sequence[str] | None = None,
    grid: Grid = None,
    comparison: str = "difference",
    groups: str = "auto",
    scale: str = "response",
    prob: float = 0.95,
    summary: bool = True,
    random_seed: int | None = None,
) -> Any:
    """Implementation of :meth:`bayeslme.Fit.comparisons`."""
    if comparison not in COMPARISONS:
        raise BayeslmeError(f"comparison must be one of {list(COMPARISONS)}, got {comparison!r}")
    by_ = _by_list(by)
    frame, named = base_rows(fit, grid)
    _check_variable(fit, variable, by_)
    groups = resolve_groups(fit, groups, named + by_ + [variable])
    codes, keys = _row_groups(frame, named, by_, grid)
    columns, tables = [], []
    for label, low, high in contrast_pairs(fit, variable, values, comparison):
        lo = expected(
            fit, _set(fit, frame, variable, low), groups=groups, scale=scale, random_seed=random_seed
        )
        hi = expected(
            fit, _set(fit, frame, variable, high), groups=groups, scale=scale, random_seed=random_seed
        )
        lo, hi = average_by(lo, codes, len(keys)), average_by(hi, codes, len(keys))
        columns.append(hi / lo if comparison == "ratio" else hi - lo)
        tables.append(keys.assign(term=variable, contrast=label)[["term", "contrast", *keys.columns]])
    values_ = np.concatenate(columns, axis=1)
    keys_ = pd.concat(tables, ignore_index=True)
    null = 1.0 if comparison == "ratio" else 0.0
    return _finish(fit, values_, keys_, prob, summary, "comparison", null=null)


def slopes(
    fit: FitLike,
    variable: str,
    *,
    by: str | Sequence[str] | None = None,
    grid: Grid = None,
    groups: str = "auto",
    scale: str = "response",
    eps: float | None = None,
    prob: float = 0.95,
    summary: bool = True,
    random_seed: int | None = None,
) -> Any:
    """Implementation of :meth:`bayeslme.Fit.slopes`."""
    by_ = _by_list(by)
    frame, named = base_rows(fit, grid)
    _check_variable(fit, variable, by_)
    if is_categorical(fit, variable):
        raise BayeslmeError(
            f"{variable!r} is categorical: a slope needs a numeric variable; use comparisons({variable!r})"
        )
    groups = resolve_groups(fit, groups, named + by_)
    observed = fit.design.data[variable].to_numpy(dtype=float)
    if eps is None:
        spread = float(observed.max() - observed.min())
        eps = 1e-4 * spread if spread > 0 else 1e-4
    elif not eps > 0:
        raise BayeslmeError(f"eps must be positive, got {eps!r}")
    lo = expected(
        fit,
        _set(fit, frame, variable, ("shift", -eps / 2)),
        groups=groups,
        scale=scale,
        random_seed=random_seed,
    )
    hi = expected(
        fit,
        _set(fit, frame, variable, ("shift", eps / 2)),
        groups=groups,
        scale=scale,
        random_seed=random_seed,
    )
    codes, keys = _row_groups(frame, named, by_, grid)
    derivative = average_by((hi - lo) / eps, codes, len(keys))
    keys = keys.assign(term=variable)[["term", *keys.columns]]
    return _finish(fit, derivative, keys, prob, summary, "slope", null=0.0)
