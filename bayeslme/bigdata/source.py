"""Parquet files named by a path, a directory, a glob pattern or a list, checked readable."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bayeslme.errors import DataError

__all__ = ["ParquetSource", "dictionary_dtypes", "scan_parquet"]


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


def dictionary_dtypes(paths: Sequence[str], columns: Sequence[str]) -> dict[str, pd.CategoricalDtype]:
    """The pandas categories of each dictionary-encoded column, in their order, where every file agrees.

    A pandas categorical written to Parquet keeps its categories, in order and
    unused ones included, as the column's dictionary; DuckDB reads it back as
    text. Read with these categories, a column's levels (reference level
    first) are those of the DataFrame that was written. Files whose
    dictionaries differ leave the column out, as ``pandas.concat`` of their
    frames would give plain values.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    seen: dict[str, set[tuple[tuple, bool] | None]] = {}
    for path in paths:
        file = pq.ParquetFile(path)
        schema = file.schema_arrow
        for column in columns:
            if column not in schema.names:
                continue
            kind = schema.field(column).type
            if not pa.types.is_dictionary(kind):
                seen.setdefault(column, set()).add(None)
            elif file.metadata.num_row_groups:
                chunks = file.read_row_group(0, columns=[column]).column(column).chunks
                if chunks:
                    entry = (tuple(chunks[0].dictionary.to_pylist()), bool(kind.ordered))
                    seen.setdefault(column, set()).add(entry)
    return {
        column: pd.CategoricalDtype(list(entry[0]), ordered=entry[1])
        for column, entries in seen.items()
        if len(entries) == 1 and (entry := next(iter(entries))) is not None
    }
