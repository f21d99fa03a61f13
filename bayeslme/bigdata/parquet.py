"""Statistics of Parquet files read by DuckDB in record batches: rows are never all in memory.

A first pass in SQL decides what every chunk must be encoded against: the
row count, the rows with a missing value in a model column (reported as a
DataFrame's are), and the levels of every grouping factor and categorical
predictor (by :mod:`bayeslme.formula.levels`' rule, from their distinct
values). The first batch is then encoded as a design with those levels; it is
the encoder of every later batch (:func:`~bayeslme.formula.newdata.build_new_data`),
so each batch gets the same columns, and :class:`~bayeslme.bigdata.rawstats.RawStats`
of the batches add up to those of all rows.

Limits of this first version: one grouping factor; the Gaussian family;
no ``scale()``/``center()`` or within-group centring (their state would
come from the first batch); no ``ar()``/``cosy()`` terms. Each raises a
:class:`~bayeslme.errors.DataError` naming the limit.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bayeslme.bigdata.rawstats import RawStats
from bayeslme.errors import DataError, FormulaError
from bayeslme.formula.checks import DroppedRows
from bayeslme.formula.design import Design, build_design, used_columns
from bayeslme.formula.levels import Levels, column_levels, is_categorical_column, sorted_levels
from bayeslme.formula.newdata import build_new_data
from bayeslme.formula.parse import FormulaSpec

__all__ = ["ChunkedStats", "ParquetSource", "chunked_stats", "scan_parquet"]

BATCH_ROWS = 1_000_000
STATEFUL = ("scale(", "center(", "standardize(")


@dataclass(frozen=True)
class ParquetSource:
    """Parquet files to read as one table (see :func:`scan_parquet`)."""

    paths: tuple[str, ...]

    def sql(self) -> str:
        """DuckDB's table expression over the files."""
        listed = ", ".join("'" + path.replace("'", "''") + "'" for path in self.paths)
        return f"read_parquet([{listed}])"


def scan_parquet(path: str | os.PathLike | Sequence[str | os.PathLike]) -> ParquetSource:
    """Parquet files from a file, a directory (its ``*.parquet``), a glob pattern or a list.

    Raises
    ------
    DataError
        No file matches, or a file is not readable Parquet (the file is named).
    """
    import duckdb

    items = [path] if isinstance(path, str | os.PathLike) else list(path)
    paths: list[str] = []
    for item in map(str, items):
        if os.path.isdir(item):
            found = sorted(glob.glob(os.path.join(item, "*.parquet")))
        elif any(ch in item for ch in "*?["):
            found = sorted(glob.glob(item))
        else:
            found = [item] if os.path.exists(item) else []
        if not found:
            raise DataError(f"no Parquet file matches {item!r}")
        paths += found
    connection = duckdb.connect()
    for file in paths:
        try:
            connection.execute("SELECT count(*) FROM parquet_metadata(?)", [file]).fetchone()
        except duckdb.Error as error:
            raise DataError(f"cannot read Parquet file {file}: {error}") from None
    return ParquetSource(tuple(str(Path(p)) for p in paths))


@dataclass(frozen=True)
class ChunkedStats:
    """The statistics of every complete row, and what they were encoded against.

    Attributes
    ----------
    raw : RawStats
        Sums over the rows kept.
    encoder : Design
        The first batch's design: formula, column names and encoding state.
    levels : Levels
        Levels of every factor and categorical predictor over all rows.
    dropped : DroppedRows
        Rows left out for a missing value, per column.
    n_rows : int
        Rows in the files.
    """

    raw: RawStats
    encoder: Design
    levels: Levels
    dropped: DroppedRows
    n_rows: int


def _check_supported(formula: FormulaSpec, family: str) -> None:
    text = formula.text.replace(" ", "")
    if family != "gaussian":
        raise DataError(f"data from Parquet files: the Gaussian family only so far, got {family!r}")
    if formula.rescor is not None:
        raise DataError(f"data from Parquet files: {formula.rescor} needs the rows in memory")
    if formula.centering or any(call in text for call in STATEFUL):
        raise DataError(
            "data from Parquet files: scale(), center() and within-group centring need state from all "
            "rows, which this version does not compute yet; transform the columns before writing them"
        )
    if len({term.factor for term in formula.group_terms}) != 1:
        raise DataError("data from Parquet files: exactly one grouping factor so far")


def _columns(connection, source: ParquetSource, formula: FormulaSpec) -> tuple[list[str], dict[str, str]]:
    described = connection.execute(f"DESCRIBE SELECT * FROM {source.sql()}").fetchall()
    types = {row[0]: str(row[1]) for row in described}
    empty = pd.DataFrame({name: [] for name in types})
    return used_columns(formula, empty, rescor=False), types


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_pass(
    connection, source: ParquetSource, formula: FormulaSpec, used: list[str], types: dict[str, str]
):
    complete = " AND ".join(f"{_quoted(c)} IS NOT NULL" for c in used)
    counts = connection.execute(
        f"SELECT count(*), {', '.join(f'count({_quoted(c)})' for c in used)}, "
        f"count(*) FILTER (WHERE {complete}) FROM {source.sql()}"
    ).fetchone()
    n_rows, per_column, kept = counts[0], counts[1:-1], counts[-1]
    missing = {c: int(n_rows - n) for c, n in zip(used, per_column, strict=True) if n < n_rows}
    if kept == 0:
        raise DataError(
            f"no rows left after dropping rows with missing values (missing per column: {missing})"
        )
    factors: dict[str, tuple[str, ...]] = {}
    for term in formula.group_terms:
        cols = ", ".join(_quoted(c) for c in term.factor_columns)
        distinct = connection.execute(f"SELECT DISTINCT {cols} FROM {source.sql()} WHERE {complete}").df()
        factors[term.factor] = sorted_levels(distinct, tuple(term.factor_columns))
    columns: dict[str, tuple[str, ...]] = {}
    grouping = {c for term in formula.group_terms for c in term.factor_columns}
    for column in used:
        if column in grouping or not any(t in types[column] for t in ("VARCHAR", "BOOL", "ENUM")):
            continue
        distinct = connection.execute(
            f"SELECT DISTINCT {_quoted(column)} FROM {source.sql()} WHERE {complete}"
        ).df()
        if is_categorical_column(distinct[column]) or pd.api.types.is_bool_dtype(distinct[column]):
            columns[column] = column_levels(distinct[column])
    dropped = DroppedRows(int(n_rows - kept), missing)
    return int(n_rows), complete, Levels(factors, columns), dropped


def _batches(
    connection, source: ParquetSource, used: list[str], complete: str, rows: int
) -> Iterator[pd.DataFrame]:
    cols = ", ".join(_quoted(c) for c in used)
    reader = connection.sql(f"SELECT {cols} FROM {source.sql()} WHERE {complete}").to_arrow_reader(rows)
    for batch in reader:
        yield batch.to_pandas()


def chunked_stats(
    formula: FormulaSpec, source: ParquetSource, *, family: str = "gaussian", batch_rows: int = BATCH_ROWS
) -> ChunkedStats:
    """Read ``source`` in batches of ``batch_rows`` rows and sum their statistics.

    Raises
    ------
    DataError
        A limit of this version (see the module docstring), a column the
        formula reads that the files lack, or no complete row.
    """
    import duckdb

    _check_supported(formula, family)
    connection = duckdb.connect()
    used, types = _columns(connection, source, formula)
    n_rows, complete, levels, dropped = _first_pass(connection, source, formula, used, types)
    encoder: Design | None = None
    total: RawStats | None = None
    for frame in _batches(connection, source, used, complete, batch_rows):
        if encoder is None:
            try:
                encoder = build_design(formula, frame, family=family, levels=levels, check_rank=False)
            except FormulaError:
                raise
        new = build_new_data(encoder, frame, require_response=True)
        y = new.y if new.offset is None else new.y - new.offset
        factor = new.factors[0]
        part = RawStats.from_rows(y, new.X, factor.Z, factor.index, len(encoder.factors[0].levels))
        total = part if total is None else total + part
    assert encoder is not None and total is not None
    return ChunkedStats(total, encoder, levels, dropped, n_rows)
