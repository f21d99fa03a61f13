"""Group-mean centering for the within/between decomposition.

``within(x, g)`` is ``x`` minus the mean of ``x`` in the row's group and
``between(x, g)`` is that group mean. Entering both separates the
within-group effect of ``x`` from its between-group effect, which a single
coefficient on raw ``x`` confounds (the ecological fallacy).

Group means come from the fitted data. For new data, levels seen in fitting
keep their fitted means; unseen levels use their means in the new data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeslme.formula.parse import CenteringTerm

__all__ = ["CenteringState", "add_centering_columns"]


@dataclass(frozen=True)
class CenteringState:
    """Group means of each centred variable, keyed by generated column name."""

    means: dict[str, dict[str, float]]


def add_centering_columns(
    frame: pd.DataFrame,
    terms: tuple[CenteringTerm, ...],
    state: CenteringState | None = None,
) -> tuple[pd.DataFrame, CenteringState]:
    """Add one generated column per centering term.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows to transform (no missing values in the involved columns).
    terms : tuple of CenteringTerm
        From :class:`~bayeslme.formula.parse.FormulaSpec`.
    state : CenteringState, optional
        Means from the fitted data; ``None`` computes them from ``frame``.

    Returns
    -------
    frame : pandas.DataFrame
        A copy with the generated columns added.
    state : CenteringState
        The means used (the given ``state`` when one was passed).
    """
    if not terms:
        return frame, state or CenteringState({})
    frame = frame.copy()
    means: dict[str, dict[str, float]] = {}
    for term in terms:
        groups = frame[term.group].astype(str)
        values = frame[term.variable].to_numpy(dtype=float)
        local = pd.Series(values, index=frame.index).groupby(groups).mean().to_dict()
        stored = state.means[term.column] if state is not None else local
        means[term.column] = stored
        group_mean = np.array([stored.get(g, local.get(g)) for g in groups], dtype=float)
        frame[term.column] = values - group_mean if term.kind == "within" else group_mean
    return frame, state or CenteringState(means)
