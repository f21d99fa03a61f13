"""Residual correlation terms ``ar(time, gr)`` and ``cosy(time, gr)``: parsing and index arrays.

A formula may hold one such term next to the fixed effects (brms syntax):

* ``ar(time = day, gr = patient)`` (or ``ar(day, patient)``): first-order
  autoregressive residuals within each level of ``gr``, ordered by ``time``.
  Gaps in ``time`` are ignored: neighbours are consecutive rows of a group.
* ``cosy(gr = couple_day)`` (or ``cosy(time, gr)``; the time order is
  accepted and does not change the model): compound symmetry, one common
  correlation among all residuals sharing a level of ``gr``.

``gr`` may be a column or an interaction ``a:b`` of columns; without ``gr``
all rows form one series. This module only reads text and builds integer
index arrays; the likelihood lives in :mod:`bayeslme.results.rescor` (numpy)
and :mod:`bayeslme.backend.rescor` (PyMC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeslme.errors import DataError, FormulaError, label_repr

__all__ = [
    "KINDS",
    "RescorDesign",
    "RescorTerm",
    "build_rescor_design",
    "correlation_bounds",
    "parse_rescor_term",
]

KINDS = ("ar", "cosy")
_NAME = r"(?:[^\W\d]|\.)[\w.]*"  # R names: letters of any script, digits, "_" and "."
_CALL = re.compile(r"^(ar|cosy)\s*\((.*)\)$", re.DOTALL)
_NAME_RE = re.compile(rf"^{_NAME}$")


@dataclass(frozen=True)
class RescorTerm:
    """A parsed residual correlation term.

    Attributes
    ----------
    kind : {"ar", "cosy"}
        AR(1) or compound symmetry; also the name of the coefficient.
    time : str or None
        Column giving the order within a group (``None``: data order).
    group_columns : tuple of str
        Columns whose combination defines the groups (empty: one group).
    """

    kind: str
    time: str | None
    group_columns: tuple[str, ...]

    @property
    def group(self) -> str:
        """Group name as written, ``"a:b"`` for an interaction ("" for none)."""
        return ":".join(self.group_columns)

    @property
    def columns(self) -> tuple[str, ...]:
        """Data columns the term reads."""
        return ((self.time,) if self.time else ()) + self.group_columns

    def __str__(self) -> str:
        args = [f"time = {self.time}"] if self.time else []
        args += [f"gr = {self.group}"] if self.group_columns else []
        return f"{self.kind}({', '.join(args)})"


def is_rescor_call(piece: str) -> bool:
    """Whether a top-level formula piece is an ``ar(...)`` or ``cosy(...)`` call."""
    return _CALL.match(piece.strip()) is not None


def parse_rescor_term(piece: str, text: str, position: int) -> RescorTerm:
    """Parse ``ar(...)`` or ``cosy(...)``; ``text`` and ``position`` locate errors.

    Raises
    ------
    FormulaError
        Unknown or repeated arguments, names that are not columns, an ``ar``
        term without ``time``, or ``p`` other than 1.
    """
    match = _CALL.match(piece.strip())
    assert match is not None
    kind, inner = match.group(1), match.group(2)
    values: dict[str, str] = {}
    positional = ("time", "gr")
    args = [a.strip() for a in inner.split(",")] if inner.strip() else []
    for i, arg in enumerate(args):
        if "=" in arg:
            key, _, value = (s.strip() for s in arg.partition("="))
        elif i < len(positional):
            key, value = positional[i], arg
        else:
            raise FormulaError(f"{kind}() takes at most two positional arguments (time, gr)", text, position)
        if key not in ("time", "gr", "p"):
            raise FormulaError(
                f"{kind}() has no argument {key!r}; use {kind}(time = ..., gr = ...)", text, position
            )
        if key in values:
            raise FormulaError(f"{kind}() argument {key!r} is given twice", text, position)
        values[key] = value
    order = values.pop("p", None)
    if order is not None and (kind == "cosy" or order != "1"):
        raise FormulaError(
            f"{kind}() supports first order only; drop p = {order} from the term", text, position
        )
    time = values.get("time") or None
    if time is not None and not _NAME_RE.match(time):
        raise FormulaError(f"{kind}() time {time!r} must be a column name", text, position)
    if kind == "ar" and time is None:
        raise FormulaError(
            "ar() needs a time column to order the rows: ar(time = day, gr = patient)", text, position
        )
    group = values.get("gr", "")
    if kind == "cosy" and time is not None and not group:
        raise FormulaError(
            f"cosy({time}) reads {time!r} as the time argument and puts all rows in one group; "
            f"for a correlation within each level of {time!r} write cosy(gr = {time})",
            text,
            position,
        )
    columns = tuple(c.strip() for c in group.split(":")) if group else ()
    for column in columns:
        if not _NAME_RE.match(column):
            raise FormulaError(
                f"{kind}() gr {group!r} must be a column or an interaction a:b of columns", text, position
            )
    return RescorTerm(kind, time, columns)


@dataclass(frozen=True)
class RescorDesign:
    """Index arrays of a residual correlation term on a set of rows.

    Rows keep their data order; these arrays describe each row's series.

    Attributes
    ----------
    term : RescorTerm
    group : ndarray of int, shape (n,)
        Group code of each row (``0 .. n_groups - 1``).
    position : ndarray of int, shape (n,)
        Position of the row within its group in time order (0 = first).
    prev : ndarray of int, shape (n,)
        Row index of the previous row of the same group, ``-1`` for a first row.
    group_sizes : ndarray of int, shape (n_groups,)
        Rows per group.
    """

    term: RescorTerm
    group: np.ndarray
    position: np.ndarray
    prev: np.ndarray
    group_sizes: np.ndarray

    @property
    def n_groups(self) -> int:
        """Number of groups (series)."""
        return int(self.group_sizes.shape[0])

    @property
    def max_size(self) -> int:
        """Rows in the largest group."""
        return int(self.group_sizes.max())


def correlation_bounds(kind: str, max_size: int) -> tuple[float, float]:
    """Open range of the correlation: ``(-1, 1)`` for ``ar``, ``(-1/(max_size-1), 1)`` for ``cosy``.

    Inside it the correlation matrix of every group is positive definite.
    """
    if kind == "ar":
        return -1.0, 1.0
    return -1.0 / (max_size - 1), 1.0


def build_rescor_design(term: RescorTerm, frame: pd.DataFrame) -> RescorDesign:
    """Group codes, within-group positions and previous-row indices of ``frame``'s rows.

    Raises
    ------
    DataError
        For ``ar``: two rows of one group with the same time (naming both).
        For ``time``: a column that is not numeric or datetime.
    """
    n = len(frame)
    if term.group_columns:
        # groupby keeps the columns apart, so ("x:y", "z") and ("x", "y:z") stay two groups
        grouped = frame.groupby(list(term.group_columns), sort=True, dropna=False)
        group = grouped.ngroup().to_numpy()
        first_rows = np.unique(group, return_index=True)[1]
        values = frame[list(term.group_columns)].astype(str).to_numpy()
        labels = np.array([":".join(values[row]) for row in first_rows])
    else:
        labels, group = np.array([""]), np.zeros(n, dtype=np.int64)
    group = group.astype(np.int64)
    if term.time is not None:
        time_col = frame[term.time]
        if not (pd.api.types.is_numeric_dtype(time_col) or pd.api.types.is_datetime64_any_dtype(time_col)):
            raise DataError(f"{term.kind}() time column {term.time!r} must be numeric or datetime")
        if isinstance(time_col.dtype, pd.DatetimeTZDtype):
            time_col = time_col.dt.tz_convert(None)  # UTC instants keep the order
        time = time_col.to_numpy()
    else:
        time = np.arange(n)
    order = np.lexsort((np.arange(n), time, group))
    same_group = group[order][1:] == group[order][:-1]
    if term.kind == "ar" and term.time is not None:
        tied = same_group & (time[order][1:] == time[order][:-1])
        if tied.any():
            k = int(np.argmax(tied))
            g = labels[group[order][k]]
            where = term.group or "all rows"
            value = np.asarray(time[order][k]).item()
            raise DataError(
                f"ar(): rows {label_repr(frame.index[order[k]])} and {label_repr(frame.index[order[k + 1]])} "
                f"of group {str(g)!r} "
                f"({where}) share "
                f"time {term.time} = {value!r}; AR residuals need one row per time point"
            )
    sizes = np.bincount(group, minlength=len(labels)).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n) - starts[group[order]]
    prev = np.full(n, -1, dtype=np.int64)
    prev[order[1:][same_group]] = order[:-1][same_group]
    return RescorDesign(term, group, position, prev, sizes)
