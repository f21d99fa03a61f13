"""Statistics of Parquet files read by DuckDB in record batches: rows are never all in memory.

After the first pass (:mod:`bayeslme.bigdata.first_pass`) has fixed the
levels, the missing-value report and the nesting of two factors, the rows
are read in record batches. The first batch is encoded as a design with
those levels; it is the encoder of every later batch
(:func:`~bayeslme.formula.newdata.build_new_data`), so each batch gets the
same columns, and the sums of the batches
(:class:`~bayeslme.bigdata.rawstats.RawStats`, or
:class:`~bayeslme.bigdata.rawstats.NestedRawStats` for two nested factors)
add up to those of all rows.

``scale()`` gets its centre and scale from all rows
(:mod:`bayeslme.bigdata.scaling`). Limits of this version: one grouping
factor or two nested ones; the Gaussian family; no ``center()``,
``standardize()``, ``poly()``, ``bs()``, ``ns()`` or within-group centring
(their state needs all values at once); no ``ar()``/``cosy()`` terms. Each raises
a :class:`~bayeslme.errors.DataError` naming the limit
(:func:`~bayeslme.bigdata.first_pass.check_supported`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import reduce

import pandas as pd

from bayeslme.bigdata.first_pass import check_supported, first_pass, model_columns, quoted
from bayeslme.bigdata.rawstats import NestedRawStats, RawStats
from bayeslme.bigdata.scaling import add_moments, fix_scale_states, scale_moments, scale_states, uses_scale
from bayeslme.bigdata.source import ParquetSource, scan_parquet
from bayeslme.formula.checks import DroppedRows
from bayeslme.formula.design import Design, build_design
from bayeslme.formula.levels import Levels
from bayeslme.formula.newdata import build_new_data
from bayeslme.formula.parse import FormulaSpec

__all__ = [
    "ChunkedStats",
    "ParquetSource",
    "batch_stats",
    "chunked_stats",
    "encoder_design",
    "outer_position",
    "scan_parquet",
]

BATCH_ROWS = 1_000_000
ENCODER_ROWS = 1_000


@dataclass(frozen=True)
class ChunkedStats:
    """The statistics of every complete row, and what they were encoded against.

    Attributes
    ----------
    raw : RawStats or NestedRawStats
        Sums over the rows kept.
    encoder : Design
        The first batch's design: formula, column names and encoding state.
    levels : Levels
        Levels of every factor and categorical predictor over all rows.
    dropped : DroppedRows
        Rows left out for a missing value, per column.
    n_rows : int
        Rows in the files.
    nested : tuple of (inner, outer) factor names
        Which factor nests in which (both ways when they have the same partition).
    scale_states : tuple of (centre, scale)
        The state of each ``scale()`` call, from all rows (:mod:`bayeslme.bigdata.scaling`).
    """

    raw: RawStats | NestedRawStats
    encoder: Design
    levels: Levels
    dropped: DroppedRows
    n_rows: int
    nested: tuple[tuple[str, str], ...] = ()
    scale_states: tuple[tuple[float, float], ...] = ()


def _batches(
    connection, source: ParquetSource, used: list[str], complete: str, rows: int
) -> Iterator[pd.DataFrame]:
    cols = ", ".join(quoted(c) for c in used)
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


def outer_position(encoder: Design, nested: tuple[tuple[str, str], ...]) -> int | None:
    """Position of the outer of two nested factors (the second is tried as the inner one first)."""
    if len(encoder.factors) == 1:
        return None
    names = [factor.name for factor in encoder.factors]
    return 0 if (names[1], names[0]) in nested else 1


def batch_stats(
    encoder: Design, frame: pd.DataFrame, nested: tuple[tuple[str, str], ...] = ()
) -> RawStats | NestedRawStats:
    """The sums of one batch of complete rows, encoded as ``encoder`` encodes.

    With two factors, ``nested`` (from the first pass) says which is the outer one.
    """
    new = build_new_data(encoder, frame, require_response=True)
    y = new.y if new.offset is None else new.y - new.offset
    parts = [(f.Z, f.index, len(known.levels)) for f, known in zip(new.factors, encoder.factors, strict=True)]
    outer = outer_position(encoder, nested)
    if outer is None:
        return RawStats.from_rows(y, new.X, *parts[0])
    return NestedRawStats.from_rows(y, new.X, parts[outer], parts[1 - outer], outer)


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
    used, types = model_columns(connection, source, formula)
    n_rows, complete, levels, dropped, nested = first_pass(connection, source, formula, used, types)
    first = connection.sql(
        f"SELECT {', '.join(map(quoted, used))} FROM {source.sql()} WHERE {complete} LIMIT {ENCODER_ROWS}"
    ).df()
    encoder = encoder_design(formula, first, family, levels)
    states: tuple[tuple[float, float], ...] = ()
    if uses_scale(formula):
        frames = _batches(connection, source, used, complete, batch_rows)
        states = scale_states(reduce(add_moments, (scale_moments(encoder, frame) for frame in frames)))
        fix_scale_states(encoder, states)
    total: RawStats | NestedRawStats | None = None
    progress = Progress(n_rows - dropped.count)
    for frame in _batches(connection, source, used, complete, batch_rows):
        part = batch_stats(encoder, frame, nested)
        total = part if total is None else total + part  # type: ignore[operator]
        progress.advance(len(frame))
    progress.close()
    assert total is not None
    return ChunkedStats(total, encoder, levels, dropped, n_rows, nested, states)
