"""A design held as statistics: what a model from Parquet files keeps instead of rows.

:class:`StreamedDesign` answers what the spec, the collapsed sampler and the
results read from a :class:`~bayeslme.formula.design.Design` (formula,
column names, levels, encoding state for new rows, row count, dropped rows)
and holds the :class:`~bayeslme.bigdata.rawstats.RawStats` of every row in
place of ``y``, ``X`` and ``Z``. Reading a row-level attribute (``y``, ``X``,
``data``, a factor's ``index`` or ``Z``) raises a
:class:`~bayeslme.errors.DataError` that names what needs the rows, so no
result is ever computed from part of the data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayeslme.backend.nested_stats import NestedStats, Nesting
from bayeslme.backend.suffstats import GroupStats
from bayeslme.bigdata.parquet import ParquetSource, chunked_stats, scan_parquet
from bayeslme.bigdata.rawstats import NestedRawStats, RawStats
from bayeslme.errors import DataError
from bayeslme.formula.checks import DroppedRows
from bayeslme.formula.design import Design, FactorDesign
from bayeslme.formula.levels import Levels
from bayeslme.formula.parse import FormulaSpec
from bayeslme.spec.build import ColumnScales

__all__ = [
    "StreamedDesign",
    "design_from_saved",
    "is_source",
    "source_stats",
    "stats_dataset",
    "streamed_design",
    "streamed_nesting",
    "streamed_parts",
    "streamed_stats",
]

ROWS_NEEDED = (
    "needs the rows, which a model of Parquet files does not hold (it keeps sums over them); "
    "fit a sample of the rows in memory for it"
)


def is_source(data: Any) -> bool:
    """Whether ``data`` names Parquet files (a path, glob pattern or directory, or a ParquetSource)."""
    return isinstance(data, str | os.PathLike | ParquetSource)


@dataclass(frozen=True)
class StreamedDesign:
    """The design of a model fitted from statistics (see the module docstring)."""

    encoder: Design = field(repr=False)
    raw: RawStats | NestedRawStats = field(repr=False)
    dropped: DroppedRows
    source: ParquetSource
    nested: tuple[tuple[str, str], ...] = ()
    scale_states: tuple[tuple[float, float], ...] = ()

    @property
    def formula(self) -> FormulaSpec:
        """The parsed formula."""
        return self.encoder.formula

    @property
    def fixed_names(self) -> tuple[str, ...]:
        """Fixed-effect column names."""
        return self.encoder.fixed_names

    @property
    def column_levels(self) -> Any:
        """Levels of every categorical predictor column."""
        return self.encoder.column_levels

    @property
    def levels(self) -> Levels:
        """Levels of every factor and categorical column."""
        return self.encoder.levels

    @property
    def factors(self) -> tuple[FactorDesign, ...]:
        """Each factor's names, levels, effects and blocks; no rows (empty ``index`` and ``Z``)."""
        return tuple(
            replace(f, index=np.empty(0, dtype=np.int64), Z=np.empty((0, len(f.effects))))
            for f in self.encoder.factors
        )

    def factor(self, name: str) -> FactorDesign:
        """The factor called ``name``."""
        for factor in self.factors:
            if factor.name == name:
                return factor
        raise KeyError(name)

    def effect_draws(
        self, spec: Any, posterior: Any, name: str, random_seed: int | None, levels: Any = None
    ) -> np.ndarray:
        """Draws of the factor's group effects ``name`` (``u`` or ``z``), made on demand.

        ``levels`` (indices) draws only those levels' blocks. See
        :mod:`bayeslme.bigdata.effects`; raises ``KeyError`` for another name.
        """
        from bayeslme.bigdata.effects import effect_draws

        return effect_draws(spec, self.raw, posterior, name, random_seed, levels)

    def level_blocks(self, name: str) -> list[np.ndarray]:
        """The levels of factor ``name`` drawn together, block by block (a table summarises each in turn)."""
        from bayeslme.bigdata.effects import level_blocks

        position = [factor.name for factor in self.encoder.factors].index(name)
        return [block[position] for block in level_blocks(self.raw)]

    def fixed_variance(self, b: np.ndarray) -> np.ndarray:
        """:math:`V_F`, the variance over rows of :math:`Xb` (``n - 1``), per draw of ``b`` (..., p)."""
        n = float(self.raw.n_obs)
        total = b @ self.raw.X1
        squares = np.einsum("...p,pq,...q->...", b, self.raw.XX, b)
        return (squares - total**2 / n) / (n - 1)

    def bayes_r2(self, spec: Any, posterior: Any, random_seed: int | None) -> np.ndarray:
        """Bayesian R² per draw from the sums (:func:`bayeslme.bigdata.effects.bayes_r2`)."""
        from bayeslme.bigdata.effects import bayes_r2

        return bayes_r2(spec, self.raw, posterior, random_seed)

    def factor_moment(self, name: str) -> np.ndarray:
        """:math:`Z^\\top Z / n` of the factor, over all rows (Johnson's random-slope variance)."""
        position = [factor.name for factor in self.encoder.factors].index(name)
        return self.raw.per_factor[position].ZZ.sum(axis=0) / float(self.raw.n_obs)

    @property
    def n_obs(self) -> int:
        """Rows used (all rows of the files but the dropped ones)."""
        return self.raw.n_obs

    @property
    def has_intercept(self) -> bool:
        """Whether the fixed part has an intercept column."""
        return "Intercept" in self.fixed_names

    # encoding state for new rows: the first batch's formulae designs
    @property
    def fixed_matrix(self) -> Any:
        """Formulae's fixed-effects design (evaluates new rows)."""
        return self.encoder.fixed_matrix

    @property
    def term_matrices(self) -> tuple[Any, ...]:
        """Formulae's designs of the group terms."""
        return self.encoder.term_matrices

    @property
    def centering(self) -> Any:
        """Centring state (none is allowed from Parquet yet)."""
        return self.encoder.centering

    offset = None
    trials = None
    rescor = None
    response_levels = None
    intercept_dropped = False
    dpars: Mapping[str, Any] = MappingProxyType({})  # no distributional formulas from Parquet

    @property
    def y(self) -> np.ndarray:
        """Not held: see the module docstring."""
        raise DataError(f"the response of every row {ROWS_NEEDED}")

    @property
    def X(self) -> np.ndarray:
        """Not held: see the module docstring."""
        raise DataError(f"the fixed-effects matrix {ROWS_NEEDED}")

    @property
    def data(self) -> pd.DataFrame:
        """Not held: see the module docstring."""
        raise DataError(f"this {ROWS_NEEDED}")

    @property
    def encoder_rows(self) -> pd.DataFrame:
        """The few rows the encoder was built from (kept by a saved fit to rebuild it)."""
        return self.encoder.data

    def column_scales(self) -> ColumnScales:
        """Means and SDs of the fixed and group-effect columns, from the sums."""
        raw, n = self.raw, float(self.raw.n_obs)
        means = raw.column_means
        x_sds = np.sqrt(np.maximum(np.diag(raw.XX) / n - means**2, 0.0))
        z_sds = []
        for own in raw.per_factor:
            z_sum, z_sq = own.Z1.sum(axis=0), np.einsum("gkk->k", own.ZZ)
            sds = np.sqrt(np.maximum(z_sq / n - (z_sum / n) ** 2, 0.0))
            z_sds.append(tuple(float(s) if s > 0 else 1.0 for s in sds))
        return ColumnScales(
            x_means=tuple(map(float, means)),
            x_sds=tuple(float(s) if s > 0 else 1.0 for s in x_sds),
            z_sds=tuple(z_sds),
        )

    def response_moments(self) -> tuple[float, float]:
        """Mean and SD (``ddof=0``) of the response over the rows used."""
        n = float(self.raw.n_obs)
        mean = self.raw.y1 / n
        return mean, float(np.sqrt(max(self.raw.yy / n - mean**2, 0.0)))


RAW_FIELDS = ("counts", "ZZ", "ZX", "Zy", "Z1", "X1", "XX", "Xy", "y1", "yy")


def _variables(prefix: str, arrays: dict[str, Any]) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
    return {
        prefix + name: (tuple(f"{prefix}{name}_{i}" for i in range(np.ndim(v))), np.asarray(v))
        for name, v in arrays.items()
    }


def _raw_fields(raw: RawStats) -> dict[str, Any]:
    return {name: getattr(raw, name) for name in RAW_FIELDS}


def stats_dataset(design: StreamedDesign) -> xr.Dataset:
    """The design's sums, dropped rows and file list as a dataset (what a saved fit keeps)."""
    raw = design.raw
    attrs = {
        "dropped": json.dumps({"count": design.dropped.count, "by_column": design.dropped.by_column}),
        "paths": json.dumps(list(design.source.paths)),
        "nested": json.dumps([list(pair) for pair in design.nested]),
        "scale_states": json.dumps([list(state) for state in design.scale_states]),
    }
    if isinstance(raw, RawStats):
        return xr.Dataset(_variables("", _raw_fields(raw)), attrs=attrs)
    data = {
        **_variables("outer_", _raw_fields(raw.outer)),
        **_variables("inner_", _raw_fields(raw.inner)),
        **_variables("", {"cross": raw.cross, "parent": raw.parent}),
    }
    return xr.Dataset(data, attrs={**attrs, "outer_position": raw.outer_position})


def _raw_from(dataset: xr.Dataset, prefix: str) -> RawStats:
    values = {name: dataset[prefix + name].values for name in RAW_FIELDS}
    return RawStats(**{k: (float(v) if k in ("y1", "yy") else v) for k, v in values.items()})


def design_from_saved(spec: Any, rows: pd.DataFrame, dataset: xr.Dataset) -> StreamedDesign:
    """Rebuild a :class:`StreamedDesign` from :func:`stats_dataset` and the encoder's rows."""
    from bayeslme.bigdata.scaling import fix_scale_states
    from bayeslme.formula.design import build_design
    from bayeslme.formula.parse import parse_formula

    encoder = build_design(
        parse_formula(spec.formula), rows, family=spec.family, levels=spec.levels, check_rank=False
    )
    states = tuple(tuple(state) for state in json.loads(dataset.attrs.get("scale_states", "[]")))
    if states:
        fix_scale_states(encoder, states)
    raw: RawStats | NestedRawStats
    if "outer_position" in dataset.attrs:
        raw = NestedRawStats(
            outer=_raw_from(dataset, "outer_"),
            inner=_raw_from(dataset, "inner_"),
            cross=dataset["cross"].values,
            parent=dataset["parent"].values,
            outer_position=int(dataset.attrs["outer_position"]),
        )
    else:
        raw = _raw_from(dataset, "")
    dropped = json.loads(dataset.attrs["dropped"])
    return StreamedDesign(
        encoder=encoder,
        raw=raw,
        dropped=DroppedRows(int(dropped["count"]), dict(dropped["by_column"])),
        source=ParquetSource(tuple(json.loads(dataset.attrs["paths"]))),
        nested=tuple(tuple(pair) for pair in json.loads(dataset.attrs.get("nested", "[]"))),
        scale_states=states,
    )


def source_stats(formula: FormulaSpec, source: ParquetSource, *, family: str = "gaussian") -> Any:
    """The statistics of ``source`` by its engine: DuckDB (:func:`chunked_stats`) or Dask."""
    if source.engine == "dask":
        from bayeslme.bigdata.dask_engine import dask_chunked_stats

        return dask_chunked_stats(formula, source, family=family, client=source.client)
    return chunked_stats(formula, source, family=family)


def streamed_design(formula: FormulaSpec, data: Any, *, family: str = "gaussian") -> StreamedDesign:
    """Read the files ``data`` names and keep their statistics (see ``chunked_stats``)."""
    source = data if isinstance(data, ParquetSource) else scan_parquet(data)
    chunked = source_stats(formula, source, family=family)
    return StreamedDesign(
        encoder=chunked.encoder,
        raw=chunked.raw,
        dropped=chunked.dropped,
        source=source,
        nested=chunked.nested,
        scale_states=chunked.scale_states,
    )


def streamed_parts(
    formula: FormulaSpec, data: Any, family: Any, link: str, priors: Any
) -> tuple[StreamedDesign, Any]:
    """The design and spec of a model of Parquet files (what :class:`bayeslme.GLMM` keeps)."""
    from bayeslme.spec.build import build_spec

    design = streamed_design(formula, data, family=family.name)
    mean, sd = design.response_moments()
    spec = build_spec(
        design,  # type: ignore[arg-type]  # a design held as statistics
        family=family.name,
        link=link,
        priors=priors,
        response_scale=(mean, sd or 1.0),
        family_priors=family.family_priors(y_sd=sd),
        scales=design.column_scales(),
        nested=design.nested,
    )
    return design, spec


def streamed_stats(spec: Any, design: Any) -> GroupStats | NestedStats | None:
    """The centred statistics of a streamed design; ``None`` for a design of rows."""
    if not isinstance(design, StreamedDesign):
        return None
    return design.raw.centered(spec.column_means)


def streamed_nesting(design: Any) -> Nesting | None:
    """The nesting of a streamed design's two factors; ``None`` for one factor or a design of rows."""
    if not isinstance(design, StreamedDesign) or not isinstance(design.raw, NestedRawStats):
        return None
    outer = design.raw.outer_position
    return Nesting(outer, 1 - outer, design.raw.parent)
