"""Functions of R that lme4 users write in formulas, for formulae's evaluation namespace.

Each behaves as its R namesake on numeric vectors: ``log(x, base)``,
``log2``, ``log10``, ``log1p``, ``exp``, ``expm1``, ``sqrt``, ``abs``,
``round(x, digits)`` (half to even, as R), ``floor``, ``ceiling``,
``trunc``, ``sign``, trigonometric functions, ``pmin``/``pmax``,
``ifelse``, ``as.numeric``, ``as.integer``, ``factor``/``as.factor``/``ordered``
(levels as :mod:`bayeslme.formula.levels` orders them, or ``levels = c(...)``;
treatment coding also for ``ordered``), lme4's ``dummy(f, "level")``,
``c(...)``, ``TRUE``/``FALSE`` and ``pi``. ``scale``, ``bs`` and ``ns`` are
R's, as stateful transforms: the centre and scale, or the knots, come from
the fitting data and serve new data too. numpy is available as ``np``
(``np.log(x)``).

When the rows come in batches (a model of Parquet files), ``scale``'s state
is decided from all of them: within :func:`collecting_moments` each call
records the moments of its argument instead of transforming it, and within
:func:`presetting_states` each call takes its state from a list, in call
order (formulae evaluates the terms in the same order every time).

formulae's own transforms (``center``, ``standardize``, ``poly``, ``C``, ...)
keep their formulae meaning; ``poly(x, k)`` equals R's orthogonal
polynomials.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from bayeslme.errors import FormulaError
from bayeslme.formula import levels as _levels
from bayeslme.formula import splines
from bayeslme.formula.rsyntax import BS_CALLEE, SCALE_CALLEE

__all__ = ["NAMESPACE", "collecting_moments", "formulae_keeps_state", "presetting_states", "scale_state"]

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


_LOGICAL_LABELS = {"True": True, "False": False, "TRUE": True, "FALSE": False}


def _logical(x: Any) -> np.ndarray | None:
    """A logical column's values, or ``None`` for any other column.

    A boolean column used directly in a formula is coded as a factor with
    levels ``"False"``/``"True"`` (as R codes a logical), and calls on the same
    column see that factor: read it back as the logical it was.
    """
    if isinstance(getattr(x, "dtype", None), pd.CategoricalDtype):
        categories = set(map(str, pd.Series(x).cat.categories))
        if categories and categories <= set(_LOGICAL_LABELS):
            return np.array([_LOGICAL_LABELS[str(v)] for v in np.asarray(x, dtype=object)], dtype=bool)
    if pd.api.types.is_bool_dtype(getattr(x, "dtype", None) or object):
        return np.asarray(x, dtype=bool)
    return None


def r_ifelse(test: Any, yes: Any, no: Any) -> np.ndarray:
    """R's ``ifelse(test, yes, no)``."""
    logical = _logical(test)
    return np.where(np.asarray(test, dtype=bool) if logical is None else logical, yes, no)


def r_as_numeric(x: Any) -> np.ndarray:
    """R's ``as.numeric``: a logical gives 0/1, a factor its level codes 1, 2, ... as in R."""
    logical = _logical(x)
    if logical is not None:
        return logical.astype(float)
    if isinstance(getattr(x, "dtype", None), pd.CategoricalDtype):
        return np.asarray(pd.Series(x).cat.codes, dtype=float) + 1.0
    return pd.to_numeric(pd.Series(np.asarray(x)), errors="raise").to_numpy(dtype=float)


_MODE: ContextVar[tuple[str, list] | None] = ContextVar("bayeslme_stateful_mode", default=None)


@contextmanager
def collecting_moments() -> Iterator[list[tuple]]:
    """Within: each ``scale()`` call appends ``(n, sum, sum of squares, center, scale)`` of its argument.

    The call returns its argument unchanged; other stateful transforms raise
    :class:`~bayeslme.errors.FormulaError` (their state needs every value at once).
    """
    items: list[tuple] = []
    token = _MODE.set(("collect", items))
    try:
        yield items
    finally:
        _MODE.reset(token)


@contextmanager
def presetting_states(states: list[tuple[float, float]]) -> Iterator[list[tuple[float, float]]]:
    """Within: each ``scale()`` call takes the next ``(centre, scale)`` of ``states`` as its lasting state."""
    queue = list(states)
    token = _MODE.set(("preset", queue))
    try:
        yield queue
    finally:
        _MODE.reset(token)


def scale_state(n: float, total: float, squares: float, center: Any, scale: Any) -> tuple[float, float]:
    """R's ``scale`` centre and scale from the count, sum and sum of squares of its argument."""
    m = total / n if center is True else (0.0 if center is False else float(center))
    if scale is True:
        s = math.sqrt(max(squares - 2 * m * total + n * m * m, 0.0) / max(n - 1, 1))
    else:
        s = 1.0 if scale is False else float(scale)
    return m, s


class _Stateful:
    """A transform that decides its state on its first call (the fitting data) and keeps it."""

    def __init__(self) -> None:
        self.state: Any = None

    def __call__(self, x: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        values = _array(x)
        mode = _MODE.get()
        if mode is not None:
            return self.batched(mode[0], mode[1], values, *args, **kwargs)
        if self.state is None:
            self.state = self.fit(values, *args, **kwargs)
        return self.apply(self.state, values)

    def fit(self, x: np.ndarray, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply(self, state: Any, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def batched(self, mode: str, items: list, x: np.ndarray, *args: Any, **kwargs: Any) -> np.ndarray:
        """A call within :func:`collecting_moments` or :func:`presetting_states`."""
        name = type(self).__name__.lstrip("_R").lower()
        raise FormulaError(
            f"{name}() needs every value of its argument at once; rows read in batches lack it"
        )


class _RScale(_Stateful):
    """R's ``scale(x, center = TRUE, scale = TRUE)``.

    ``center``/``scale`` may be ``TRUE``, ``FALSE`` or a number. The scale is the
    SD with divisor n - 1 (root mean square with divisor n - 1 when
    ``center = FALSE``), as in R.
    """

    def fit(self, x: np.ndarray, center: Any = True, scale: Any = True) -> tuple[float, float]:
        m = float(np.mean(x)) if center is True else (0.0 if center is False else float(center))
        if scale is True:
            s = float(np.sqrt(np.sum((x - m) ** 2) / max(x.size - 1, 1)))
        else:
            s = 1.0 if scale is False else float(scale)
        return m, s

    def apply(self, state: tuple[float, float], x: np.ndarray) -> np.ndarray:
        return (x - state[0]) / state[1]

    def batched(
        self, mode: str, items: list, x: np.ndarray, center: Any = True, scale: Any = True
    ) -> np.ndarray:
        """Record the moments of ``x`` (``"collect"``), or take the next state (``"preset"``)."""
        if mode == "collect":
            items.append((float(x.size), float(x.sum()), float(x @ x), center, scale))
            return x
        self.state = items.pop(0)
        return self.apply(self.state, x)


class _RBs(_Stateful):
    """R's ``splines::bs(x, df, knots, degree = 3, intercept = FALSE)`` (:mod:`bayeslme.formula.splines`)."""

    def fit(self, x: np.ndarray, df: Any = None, knots: Any = None, degree: int = 3, intercept: bool = False):
        return splines.bs_basis(x, df, knots, degree, intercept)

    def apply(self, state: splines.SplineBasis, x: np.ndarray) -> np.ndarray:
        return splines.evaluate_bs(state, x)


class _RNs(_Stateful):
    """R's ``splines::ns(x, df, knots, intercept = FALSE)`` (:mod:`bayeslme.formula.splines`)."""

    def fit(self, x: np.ndarray, df: Any = None, knots: Any = None, intercept: bool = False):
        return splines.ns_basis(x, df, knots, intercept)

    def apply(self, state: splines.SplineBasis, x: np.ndarray) -> np.ndarray:
        return splines.evaluate_ns(state, x)


def formulae_keeps_state() -> bool:
    """Whether formulae evaluates classes carrying its stateful marker as stateful transforms.

    formulae instantiates such a callee once and calls the same instance on
    new data, so state decided on the fitting data is reused for predictions.
    Its own ``Scale`` carries the marker; this is the one place that relies on
    that protocol.
    """
    try:
        from formulae.transforms import Scale
    except ImportError:  # pragma: no cover - depends on the installed formulae
        return False
    return bool(getattr(Scale, "__stateful_transform__", False))


def _transform(cls: type[_Stateful]) -> Any:
    """``cls`` as a formulae stateful transform, or a stateless function when formulae keeps no state."""
    if formulae_keeps_state():
        return type(cls.__name__.lstrip("_"), (cls,), {"__stateful_transform__": True})

    def stateless(x: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        return cls()(x, *args, **kwargs)

    return stateless


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
    SCALE_CALLEE: _transform(_RScale),
    BS_CALLEE: _transform(_RBs),
    "ns": _transform(_RNs),
}

NAMESPACE: dict[str, Any] = dict(_R_FUNCTIONS)
"""Names available to formula terms besides the data's columns and formulae's transforms."""

if not formulae_keeps_state():  # pragma: no cover - depends on the installed formulae
    _log.warning(
        "formulae keeps no state for transforms: scale(), bs() and ns() are computed from whatever "
        "data they are evaluated on, also for predictions"
    )
