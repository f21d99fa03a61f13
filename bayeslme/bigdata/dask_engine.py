"""The same statistics computed by Dask: partitions of the Parquet files summed on a cluster.

``dask.dataframe`` reads the files; the first pass (row count, missing values,
distinct levels) and the sums run as Dask computations, on a
``distributed`` client when one is given (its workers each summing their
partitions' :class:`~bayeslme.bigdata.rawstats.RawStats`), else on Dask's
default scheduler. The encoding is the DuckDB engine's: the first non-empty
partition, built against the levels of all rows, encodes every partition
(:func:`~bayeslme.bigdata.parquet.batch_stats`), so both engines give the same
statistics. Install with ``pip install bayeslme[dask]``.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import pandas as pd

from bayeslme.bigdata.first_pass import (
    check_supported,
    levels_from_distinct,
    nesting_from_counts,
    pair_columns,
)
from bayeslme.bigdata.parquet import ENCODER_ROWS, ChunkedStats, batch_stats, encoder_design
from bayeslme.bigdata.scaling import add_moments, fix_scale_states, scale_moments, scale_states, uses_scale
from bayeslme.bigdata.source import ParquetSource, dictionary_dtypes
from bayeslme.errors import DataError
from bayeslme.formula.checks import DroppedRows
from bayeslme.formula.design import used_columns
from bayeslme.formula.parse import FormulaSpec

__all__ = ["dask_chunked_stats"]


def _compute(client: Any, *collections: Any) -> tuple:
    import dask

    if client is not None:
        return tuple(client.compute(list(collections), sync=True))
    return dask.compute(*collections)


def dask_chunked_stats(
    formula: FormulaSpec, source: ParquetSource, *, family: str = "gaussian", client: Any = None
) -> ChunkedStats:
    """Sum the statistics of every partition of ``source`` with Dask (on ``client`` if given).

    Raises
    ------
    DataError
        Dask is not installed, a limit of the streamed models, a missing
        column, or no complete row.
    """
    try:
        import dask
        import dask.dataframe as dd
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - the optional extra
        raise DataError("the Dask engine needs Dask: pip install 'bayeslme[dask]'") from None
    check_supported(formula, family)
    names = pq.read_schema(source.paths[0]).names
    used = used_columns(formula, pd.DataFrame({name: [] for name in names}), rescor=False)
    frame = dd.read_parquet(list(source.paths), columns=used)
    complete = frame.dropna()
    grouping = {c for term in formula.group_terms for c in term.factor_columns}
    dtypes = frame.dtypes
    categorical = [
        c
        for c in used
        if c not in grouping
        and (not pd.api.types.is_numeric_dtype(dtypes[c]) or pd.api.types.is_bool_dtype(dtypes[c]))
    ]
    queries = {
        term.factor: complete[list(term.factor_columns)].drop_duplicates() for term in formula.group_terms
    }
    queries.update({c: complete[[c]].drop_duplicates() for c in categorical})
    pairs = complete[pair_columns(formula)].drop_duplicates().shape[0]
    n_rows, missing, kept, n_pairs, *distinct = _compute(
        client, frame.shape[0], frame.isna().sum(), complete.shape[0], pairs, *queries.values()
    )
    if kept == 0:
        raise DataError(
            f"no rows left after dropping rows with missing values (missing per column: {missing})"
        )
    dtypes = dictionary_dtypes(source.paths, used)
    levels = levels_from_distinct(formula, dict(zip(queries, distinct, strict=True)), categorical, dtypes)
    nested = nesting_from_counts(formula, levels, int(n_pairs))
    first = next(part for part in (p.head(ENCODER_ROWS) for p in complete.partitions) if len(part))
    encoder = encoder_design(formula, first, family, levels)
    states: tuple[tuple[float, float], ...] = ()
    if uses_scale(formula):
        moments = [dask.delayed(scale_moments)(encoder, part) for part in complete.to_delayed()]
        (summed,) = _compute(client, dask.delayed(lambda items: reduce(add_moments, items))(moments))
        states = scale_states(summed)
        fix_scale_states(encoder, states)
    parts = [dask.delayed(batch_stats)(encoder, part, nested) for part in complete.to_delayed()]
    (total,) = _compute(client, dask.delayed(lambda stats: reduce(lambda a, b: a + b, stats))(parts))
    by_column = {c: int(v) for c, v in missing.items() if v}
    dropped = DroppedRows(int(n_rows - kept), by_column)
    return ChunkedStats(total, encoder, levels, dropped, int(n_rows), nested, states)
