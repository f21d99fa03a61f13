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
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bayeslme.bigdata.rawstats import RawStats
from bayeslme.errors import DataError
from bayeslme.formula.checks import DroppedRows
from bayeslme.formula.design import Design, build_design, used_columns
from bayeslme.formula.levels import Levels, column_levels, is_categorical_column, sorted_levels
from bayeslme.formula.newdata import build_new_data
from bayeslme.formula.parse import FormulaSpec

__all__ = [
    "ChunkedStats",
    "ParquetSource",
    "batch_stats",
    "check_supported",
    "chunked_stats",
    "encoder_design",
    "levels_from_distinct",
    "scan_parquet",
]

BATCH_ROWS = 1_000_000
ENCODER_ROWS = 1_000
STATEFUL = ("scale(", "center(", "standardize(")


@dataclass(frozen=True)
class ParquetSource:
    """Parquet files to read as one table (see :func:`scan_parquet`).

    Attributes
    ----------
    paths : tuple of str
    engine : {"duckdb", "dask"}
        What reads and sums them.
    client : distributed.Client, optional
        The Dask cluster to sum on (``engine="dask"``).
    """

    paths: tuple[str, ...]
    engine: str = "duckdb"
    client: Any = field(default=None, compare=False, repr=False)

    def sql(self) -> str:
        """DuckDB's table expression over the files."""
        listed = ", ".join("'" + path.replace("'", "''") + "'" for path in self.paths)
        return f"read_parquet([{listed}])"


def scan_parquet(
    path: str | os.PathLike | Sequence[str | os.PathLike], *, engine: str | None = None, client: Any = None
) -> ParquetSource:
    """Parquet files from a file, a directory (its ``*.parquet``), a glob pattern or a list.

    Parameters
    ----------
    path : str, path or list of them
    engine : {"duckdb", "dask"}, optional
        DuckDB (embedded, the default) or Dask (``pip install bayeslme[dask]``);
        ``"dask"`` when a ``client`` is given.
    client : distributed.Client, optional
        A Dask cluster to compute the statistics on.

    Raises
    ------
    DataError
        No file matches, a file is not readable Parquet (the file is named),
        or an unknown engine.
    """
    import duckdb

    engine = engine or ("dask" if client is not None else "duckdb")
    if engine not in ("duckdb", "dask"):
        raise DataError(f"engine must be 'duckdb' or 'dask', got {engine!r}")
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
    return ParquetSource(tuple(str(Path(p)) for p in paths), engine, client)


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


def check_supported(formula: FormulaSpec, family: str) -> None:
    """Raise :class:`DataError` for what this version cannot stream (see the module docstring)."""
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
    grouping = {c for term in formula.group_terms for c in term.factor_columns}
    categorical = [
        c for c in used if c not in grouping and any(t in types[c] for t in ("VARCHAR", "BOOL", "ENUM"))
    ]
    distinct = {}
    for term in formula.group_terms:
        cols = ", ".join(_quoted(c) for c in term.factor_columns)
        distinct[term.factor] = connection.execute(
            f"SELECT DISTINCT {cols} FROM {source.sql()} WHERE {complete}"
        ).df()
    for column in categorical:
        distinct[column] = connection.execute(
            f"SELECT DISTINCT {_quoted(column)} FROM {source.sql()} WHERE {complete}"
        ).df()
    dropped = DroppedRows(int(n_rows - kept), missing)
    return int(n_rows), complete, levels_from_distinct(formula, distinct, categorical), dropped


def _batches(
    connection, source: ParquetSource, used: list[str], complete: str, rows: int
) -> Iterator[pd.DataFrame]:
    cols = ", ".join(_quoted(c) for c in used)
    reader = connection.sql(f"SELECT {cols} FROM {source.sql()} WHERE {complete}").to_arrow_reader(rows)
    for batch in reader:
        yield batch.to_pandas()


class Progress:
    """Rows read so far, on one line of standard error when it is a terminal (else silent)."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.shown = sys.stderr.isatty()
        self.start = time.perf_counter()

    def advance(self, rows: int) -> None:
        """Count ``rows`` more rows and redraw the line."""
        self.done += rows
        if self.shown:
            share = self.done / max(self.total, 1)
            seconds = time.perf_counter() - self.start
            print(
                f"\rstatistics: {share:4.0%} of {self.total:,} rows, {seconds:.0f} s",
                end="",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        """End the line."""
        if self.shown:
            print(file=sys.stderr)


def encoder_design(formula: FormulaSpec, frame: pd.DataFrame, family: str, levels: Levels) -> Design:
    """The design that encodes every batch: the first :data:`ENCODER_ROWS` complete rows, all levels.

    A few rows suffice (the levels come from all rows), and keep the design,
    which is sent to every Dask task and kept by the fit, small.
    """
    return build_design(formula, frame.head(ENCODER_ROWS), family=family, levels=levels, check_rank=False)


def batch_stats(encoder: Design, frame: pd.DataFrame) -> RawStats:
    """:class:`RawStats` of one batch of complete rows, encoded as ``encoder`` encodes."""
    new = build_new_data(encoder, frame, require_response=True)
    y = new.y if new.offset is None else new.y - new.offset
    factor = new.factors[0]
    return RawStats.from_rows(y, new.X, factor.Z, factor.index, len(encoder.factors[0].levels))


def levels_from_distinct(
    formula: FormulaSpec, distinct: dict[str, pd.DataFrame], categorical: list[str]
) -> Levels:
    """Levels of every factor and categorical predictor from frames of their distinct complete values.

    ``distinct`` maps each factor's name and each column in ``categorical``
    to a frame of its distinct values (over the rows kept).
    """
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

    check_supported(formula, family)
    connection = duckdb.connect()
    used, types = _columns(connection, source, formula)
    n_rows, complete, levels, dropped = _first_pass(connection, source, formula, used, types)
    encoder: Design | None = None
    total: RawStats | None = None
    progress = Progress(n_rows - dropped.count)
    for frame in _batches(connection, source, used, complete, batch_rows):
        if encoder is None:
            encoder = encoder_design(formula, frame, family, levels)
        part = batch_stats(encoder, frame)
        total = part if total is None else total + part
        progress.advance(len(frame))
    progress.close()
    assert encoder is not None and total is not None
    return ChunkedStats(total, encoder, levels, dropped, n_rows)
