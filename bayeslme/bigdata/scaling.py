"""R's ``scale()`` on rows read in batches: its centre and scale from all rows, not the first batch.

A streamed model evaluates ``scale(x)`` on each batch with the encoder's
state, so that state must be every row's mean and SD. When the formula
scales anything, the batches are read twice: the first time each ``scale()``
call of the encoder records the count, sum and sum of squares of its
argument (:func:`~bayeslme.formula.rfunctions.collecting_moments`, summed
over batches here, or over Dask partitions), and the states computed from
them are then fixed in the encoder
(:func:`~bayeslme.formula.rfunctions.presetting_states`) before the pass that
sums the statistics. A saved fit keeps the states and fixes them again on load.
"""

from __future__ import annotations

import re

import pandas as pd

from bayeslme.formula.design import Design
from bayeslme.formula.newdata import build_new_data
from bayeslme.formula.parse import FormulaSpec
from bayeslme.formula.rfunctions import collecting_moments, presetting_states, scale_state

__all__ = ["add_moments", "fix_scale_states", "scale_moments", "scale_states", "uses_scale"]

Moments = list[tuple]
"""Per ``scale()`` call, in call order: ``(n, sum, sum of squares, center, scale)``."""

_SCALE = re.compile(r"(?<![\w.])scale\s*\(")


def uses_scale(formula: FormulaSpec) -> bool:
    """Whether the formula calls R's ``scale()``."""
    return bool(_SCALE.search(formula.text))


def scale_moments(encoder: Design, frame: pd.DataFrame) -> Moments:
    """The moments of every ``scale()`` argument over the rows of ``frame``."""
    with collecting_moments() as items:
        build_new_data(encoder, frame, require_response=True)
    return list(items)


def add_moments(a: Moments, b: Moments) -> Moments:
    """Moments of two blocks of rows together."""
    return [
        (n1 + n2, s1 + s2, q1 + q2, c, s) for (n1, s1, q1, c, s), (n2, s2, q2, _, _) in zip(a, b, strict=True)
    ]


def scale_states(moments: Moments) -> tuple[tuple[float, float], ...]:
    """The ``(centre, scale)`` of every ``scale()`` call from its moments over all rows."""
    return tuple(scale_state(*item) for item in moments)


def fix_scale_states(encoder: Design, states: tuple[tuple[float, float], ...]) -> None:
    """Give the encoder's ``scale()`` calls ``states``, for every later evaluation.

    Raises
    ------
    RuntimeError
        The encoder makes a different number of ``scale()`` calls than ``states`` has.
    """
    with presetting_states(list(states)) as queue:
        build_new_data(encoder, encoder.data, require_response=True)
    if queue:
        raise RuntimeError(f"{len(queue)} scale() states were not used by the encoder")
