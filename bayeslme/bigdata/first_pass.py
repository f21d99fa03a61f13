"""What every batch of Parquet rows is encoded against, decided before the batches are read.

Checks the formula against the limits of streamed models, and runs the
first pass in DuckDB SQL: the row count, the rows with a missing value in a
model column (reported as a DataFrame's are), the levels of every grouping
factor and categorical predictor (by :mod:`bayeslme.formula.levels`' rule,
from their distinct values) and, for two factors, the count of distinct
pairs of their levels, which says whether one is nested in the other.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from bayeslme.bigdata.source import ParquetSource, dictionary_dtypes
from bayeslme.errors import DataError
from bayeslme.formula.checks import DroppedRows
from bayeslme.formula.design import used_columns
from bayeslme.formula.levels import Levels, column_levels, is_categorical_column, sorted_levels
from bayeslme.formula.parse import FormulaSpec

__all__ = [
    "check_supported",
    "factor_columns",
    "first_pass",
    "levels_from_distinct",
    "model_columns",
    "nesting_from_counts",
    "pair_columns",
    "quoted",
]

STATEFUL = re.compile(r"(?<![\w.])(center|standardize|poly|bs|ns)\s*\(")
"""Transforms whose state needs every value at once (``scale()`` is computed from sums)."""


def check_supported(formula: FormulaSpec, family: str) -> None:
    """Raise :class:`DataError` for what this version cannot stream (see the module docstring)."""
    stateful = STATEFUL.search(formula.text)
    if family != "gaussian":
        raise DataError(f"data from Parquet files: the Gaussian family only so far, got {family!r}")
    if formula.rescor is not None:
        raise DataError(f"data from Parquet files: {formula.rescor} needs the rows in memory")
    if formula.centering or stateful:
        what = f"{stateful.group(1)}()" if stateful else "within-group centring"
        raise DataError(
            f"data from Parquet files: {what} needs state from all rows at once, which this version "
            "does not compute; transform the columns before writing them (scale() works)"
        )
    if len({term.factor for term in formula.group_terms}) > 2:
        raise DataError(
            "data from Parquet files: one grouping factor or two nested ones; "
            "a third needs the rows in memory"
        )


def factor_columns(formula: FormulaSpec) -> dict[str, tuple[str, ...]]:
    """The columns of each grouping factor, in the formula's order."""
    return {term.factor: tuple(term.factor_columns) for term in formula.group_terms}


def nesting_from_counts(
    formula: FormulaSpec, levels: Levels, n_pairs: int | None
) -> tuple[tuple[str, str], ...]:
    """``(inner, outer)`` pairs of two factors whose pairs of levels number ``n_pairs``.

    The inner factor is nested when every level of it lies within one outer
    level, that is when there are as many distinct pairs as inner levels.

    Raises
    ------
    DataError
        The two factors are crossed.
    """
    names = list(factor_columns(formula))
    if len(names) == 1:
        return ()
    pairs = tuple(
        (inner, outer)
        for inner, outer in ((names[1], names[0]), (names[0], names[1]))
        if n_pairs == len(levels.factors[inner])
    )
    if not pairs:
        raise DataError(
            f"data from Parquet files: the factors {names[0]!r} and {names[1]!r} are crossed (their levels "
            f"form {n_pairs} pairs); crossed factors need the rows in memory"
        )
    return pairs


def pair_columns(formula: FormulaSpec) -> list[str]:
    """The columns of both grouping factors (their distinct rows are the pairs of levels)."""
    return list(dict.fromkeys(c for cols in factor_columns(formula).values() for c in cols))


def model_columns(
    connection: Any, source: ParquetSource, formula: FormulaSpec
) -> tuple[list[str], dict[str, str]]:
    """The columns the formula reads, and the DuckDB type of every column in the files."""
    described = connection.execute(f"DESCRIBE SELECT * FROM {source.sql()}").fetchall()
    types = {row[0]: str(row[1]) for row in described}
    empty = pd.DataFrame({name: [] for name in types})
    return used_columns(formula, empty, rescor=False), types


def quoted(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def first_pass(
    connection: Any, source: ParquetSource, formula: FormulaSpec, used: list[str], types: dict[str, str]
) -> tuple[int, str, Levels, DroppedRows, tuple[tuple[str, str], ...]]:
    """Row count, the SQL condition of a complete row, levels, dropped rows and nesting (module docstring).

    Raises
    ------
    DataError
        No complete row, or two crossed factors.
    """
    complete = " AND ".join(f"{quoted(c)} IS NOT NULL" for c in used)
    counts = connection.execute(
        f"SELECT count(*), {', '.join(f'count({quoted(c)})' for c in used)}, "
        f"count(*) FILTER (WHERE {complete}) FROM {source.sql()}"
    ).fetchone()
    n_rows, per_column, kept = counts[0], counts[1:-1], counts[-1]
    missing = {c: int(n_rows - n) for c, n in zip(used, per_column, strict=True) if n < n_rows}
    if kept == 0:
        raise DataError(
            f"no rows left after dropping rows with missing values (missing per column: {missing})"
        )
    grouping = {c for term in formula.group_terms for c in term.factor_columns}
    categorical = [
        c for c in used if c not in grouping and any(t in types[c] for t in ("VARCHAR", "BOOL", "ENUM"))
    ]
    distinct = {}
    for term in formula.group_terms:
        cols = ", ".join(quoted(c) for c in term.factor_columns)
        distinct[term.factor] = connection.execute(
            f"SELECT DISTINCT {cols} FROM {source.sql()} WHERE {complete}"
        ).df()
    for column in categorical:
        distinct[column] = connection.execute(
            f"SELECT DISTINCT {quoted(column)} FROM {source.sql()} WHERE {complete}"
        ).df()
    dropped = DroppedRows(int(n_rows - kept), missing)
    levels = levels_from_distinct(formula, distinct, categorical, dictionary_dtypes(source.paths, used))
    n_pairs = None
    if len(factor_columns(formula)) == 2:
        cols = ", ".join(quoted(c) for c in pair_columns(formula))
        n_pairs = connection.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {source.sql()} WHERE {complete})"
        ).fetchall()[0][0]
    return int(n_rows), complete, levels, dropped, nesting_from_counts(formula, levels, n_pairs)


def levels_from_distinct(
    formula: FormulaSpec,
    distinct: dict[str, pd.DataFrame],
    categorical: list[str],
    dtypes: dict[str, pd.CategoricalDtype],
) -> Levels:
    """Levels of every factor and categorical predictor from frames of their distinct complete values.

    ``distinct`` maps each factor's name and each column in ``categorical``
    to a frame of its distinct values (over the rows kept); columns in
    ``dtypes`` (:func:`~bayeslme.bigdata.source.dictionary_dtypes`) take their
    categories, so their levels are ordered as in the DataFrame written.
    """
    for frame in distinct.values():
        for column in set(frame.columns) & set(dtypes):
            frame[column] = frame[column].astype(dtypes[column])
    factors = {
        term.factor: sorted_levels(distinct[term.factor], tuple(term.factor_columns))
        for term in formula.group_terms
    }
    columns = {}
    for column in categorical:
        values = distinct[column][column]
        if is_categorical_column(values) or pd.api.types.is_bool_dtype(values):
            columns[column] = column_levels(values)
    return Levels(factors, columns)
