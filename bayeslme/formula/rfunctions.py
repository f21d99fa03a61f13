"""Functions of R that lme4 users write in formulas, for formulae's evaluation namespace.

Each behaves as its R namesake on numeric vectors: ``log(x, base)``,
``log2``, ``log10``, ``log1p``, ``exp``, ``expm1``, ``sqrt``, ``abs``,
``round(x, digits)`` (half to even, as R), ``floor``, ``ceiling``,
``trunc``, ``sign``, trigonometric functions, ``pmin``/``pmax``,
``ifelse``, ``as.numeric``, ``as.integer``, ``factor``/``as.factor``/``ordered``
(levels as :mod:`bayeslme.formula.levels` orders them, or ``levels = c(...)``;
treatment coding also for ``ordered``), lme4's ``dummy(f, "level")``,
``c(...)``, ``TRUE``/``FALSE`` and ``pi``; ``scale`` is :class:`RScale`.
numpy is available as ``np`` (``np.log(x)``).

formulae's own transforms (``center``, ``standardize``, ``poly``, ``bs``,
``C``, ...) keep their formulae meaning; ``poly(x, k)`` equals R's
orthogonal polynomials.
"""

from __future__ import annotations

import logging
import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from bayeslme.formula import levels as _levels
from bayeslme.formula.rsyntax import SCALE_CALLEE

__all__ = ["NAMESPACE", "RScale", "scale_is_stateful"]

_log = logging.getLogger("bayeslme")


def _array(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float)


def r_log(x: Any, base: float = math.e) -> np.ndarray:
    """R's ``log(x, base = exp(1))``."""
    values = np.log(_array(x))
    return values if base == math.e else values / math.log(base)


def r_round(x: Any, digits: int = 0) -> np.ndarray:
    """R's ``round(x, digits = 0)``: halves go to the even neighbour (IEC 60559), as numpy."""
    return np.round(_array(x), int(digits))


def r_factor(x: Any, levels: Any = None, labels: Any = None, ordered: Any = False) -> pd.Categorical:
    """R's ``factor(x, levels, labels)``: categories in the order of :mod:`bayeslme.formula.levels`.

    Returns an ordered categorical of string labels, the form formulae keeps
    in category order. The coding is treatment coding, also for
    ``ordered = TRUE`` (where R would use polynomial contrasts).
    """
    series = x if isinstance(x, pd.Series) else pd.Series(x)
    values = _levels.labels(series)
    if levels is None:
        order = _levels.column_levels(series)
    else:
        order = tuple(str(v) for v in np.atleast_1d(levels))
    codes = _levels.positions(values, order)
    out = pd.Categorical.from_codes(codes, categories=list(order), ordered=True)
    if labels is not None:
        out = out.rename_categories([str(v) for v in np.atleast_1d(labels)])
    return out


def r_ordered(x: Any, levels: Any = None, labels: Any = None) -> pd.Categorical:
    """R's ``ordered(x, levels)``: as :func:`r_factor` (treatment coding, not R's polynomial contrasts)."""
    return r_factor(x, levels=levels, labels=labels, ordered=True)


def r_dummy(f: Any, levels_to_keep: Any = None) -> np.ndarray:
    """lme4's ``dummy(f, levelsToKeep)``: the 0/1 indicator of one level of ``f``.

    Only one level is supported (lme4's common use, ``(0 + dummy(f, "a") | g)``).
    """
    series = f if isinstance(f, pd.Series) else pd.Series(f)
    values = _levels.labels(series)
    keep = [str(v) for v in np.atleast_1d(levels_to_keep)] if levels_to_keep is not None else None
    if keep is None or len(keep) != 1:
        raise ValueError('dummy(f, "level") takes exactly one level to keep')
    return (values == keep[0]).to_numpy(dtype=float)


def r_c(*values: Any) -> list:
    """R's ``c(...)`` for the vectors written in a formula (``levels = c("a", "b")``)."""
    return [v for value in values for v in np.atleast_1d(value).tolist()]


def r_ifelse(test: Any, yes: Any, no: Any) -> np.ndarray:
    """R's ``ifelse(test, yes, no)``."""
    return np.where(np.asarray(test, dtype=bool), yes, no)


def r_as_numeric(x: Any) -> np.ndarray:
    """R's ``as.numeric``: a factor gives its level codes 1, 2, ... as in R."""
    if isinstance(getattr(x, "dtype", None), pd.CategoricalDtype):
        return np.asarray(pd.Series(x).cat.codes, dtype=float) + 1.0
    return pd.to_numeric(pd.Series(np.asarray(x)), errors="raise").to_numpy(dtype=float)


class _RScaleState:
    """R's ``scale(x, center = TRUE, scale = TRUE)`` with the centre and scale of the fitting data.

    ``center``/``scale`` may be ``TRUE``, ``FALSE`` or a number. The scale is the
    SD with divisor n - 1 (root mean square with divisor n - 1 when
    ``center = FALSE``), as in R.
    """

    def _fit(self, x: np.ndarray, center: Any, scale: Any) -> tuple[float, float]:
        m = float(np.mean(x)) if center is True else (0.0 if center is False else float(center))
        if scale is True:
            s = float(np.sqrt(np.sum((x - m) ** 2) / max(x.size - 1, 1)))
        else:
            s = 1.0 if scale is False else float(scale)
        return m, s


def _stateful_scale_class() -> type | None:
    """A formulae stateful transform computing R's scale, or None when formulae has none to build on.

    formulae evaluates a callee as a stateful transform (state kept from the
    fitting data for new data) when the class carries its stateful marker; its
    own ``Scale`` does, so a subclass inherits it. This is the one place that
    relies on that.
    """
    try:
        from formulae.transforms import Scale
    except ImportError:  # pragma: no cover - depends on the installed formulae
        return None
    if not getattr(Scale, "__stateful_transform__", False):
        return None

    class RScale(Scale, _RScaleState):
        __transform_name__ = SCALE_CALLEE

        def __call__(self, x: Any, center: Any = True, scale: Any = True) -> np.ndarray:
            values = _array(x)
            if not self.params_set:
                self.mean, self.std = self._fit(values, center, scale)
                self.params_set = True
            return (values - self.mean) / self.std

    return RScale


RScale = _stateful_scale_class()


def scale_is_stateful() -> bool:
    """Whether ``scale()`` keeps the fitting data's centre and scale for new data."""
    return RScale is not None


def _fallback_scale(x: Any, center: Any = True, scale: Any = True) -> np.ndarray:
    """``scale()`` without state, used only when formulae offers no stateful transform."""
    values = _array(x)
    m, s = _RScaleState()._fit(values, center, scale)
    return (values - m) / s


_R_FUNCTIONS: dict[str, Any] = {
    "log": r_log,
    "log2": lambda x: np.log2(_array(x)),
    "log10": lambda x: np.log10(_array(x)),
    "log1p": lambda x: np.log1p(_array(x)),
    "exp": lambda x: np.exp(_array(x)),
    "expm1": lambda x: np.expm1(_array(x)),
    "sqrt": lambda x: np.sqrt(_array(x)),
    "abs": lambda x: np.abs(_array(x)),
    "round": r_round,
    "floor": lambda x: np.floor(_array(x)),
    "ceiling": lambda x: np.ceil(_array(x)),
    "trunc": lambda x: np.trunc(_array(x)),
    "sign": lambda x: np.sign(_array(x)),
    "sin": lambda x: np.sin(_array(x)),
    "cos": lambda x: np.cos(_array(x)),
    "tan": lambda x: np.tan(_array(x)),
    "asin": lambda x: np.arcsin(_array(x)),
    "acos": lambda x: np.arccos(_array(x)),
    "atan": lambda x: np.arctan(_array(x)),
    "pmin": lambda *xs: np.minimum.reduce([_array(x) for x in xs]),
    "pmax": lambda *xs: np.maximum.reduce([_array(x) for x in xs]),
    "ifelse": r_ifelse,
    "factor": r_factor,
    "ordered": r_ordered,
    "dummy": r_dummy,
    "c": r_c,
    "TRUE": True,
    "FALSE": False,
    "pi": math.pi,
    "np": np,
    "as": SimpleNamespace(factor=r_factor, numeric=r_as_numeric, integer=r_as_numeric),
    SCALE_CALLEE: RScale if RScale is not None else _fallback_scale,
}

NAMESPACE: dict[str, Any] = dict(_R_FUNCTIONS)
"""Names available to formula terms besides the data's columns and formulae's transforms."""

if RScale is None:  # pragma: no cover - depends on the installed formulae
    _log.warning(
        "formulae has no stateful transforms to build on: scale() uses the centre and scale of "
        "whatever data it is evaluated on, also for predictions"
    )
