"""Turn a :class:`FormulaSpec` and a data frame into numeric design matrices.

The :class:`Design` holds the response, the fixed-effects matrix ``X`` and, per
grouping factor, the level of each row and the columns of ``Z`` for that
factor's effects. It never builds the dense rows x (levels x effects) matrix:
group effects enter as ``sum_e Z[:, e] * u[level[row], e]``.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from typing import Any

import formulae
import numpy as np
import pandas as pd

from bayeslme.errors import DataError, DataWarning, DroppedRowsWarning, FormulaError
from bayeslme.formula.centering import CenteringState, add_centering_columns
from bayeslme.formula.evaluate import check_evaluated as _check_evaluated
from bayeslme.formula.evaluate import evaluate_formula as _evaluate
from bayeslme.formula.parse import FormulaSpec
from bayeslme.formula.rescor import RescorDesign, build_rescor_design
from bayeslme.formula.response import evaluate_offset, evaluate_response, response_texts, split_offsets

__all__ = [
    "Block",
    "Design",
    "DroppedRows",
    "FactorDesign",
    "build_design",
    "factor_labels",
    "numeric_group_columns",
]


@dataclass(frozen=True)
class Block:
    """Effects of one group term: correlated with each other when more than one."""

    effects: tuple[str, ...]

    @property
    def correlated(self) -> bool:
        """Whether the block carries a correlation matrix (two or more effects)."""
        return len(self.effects) > 1


@dataclass(frozen=True)
class FactorDesign:
    """Design of one grouping factor.

    Attributes
    ----------
    name : str
        Factor name (``"Subject"``, ``"school:class"``).
    columns : tuple of str
        Data columns that define the levels.
    levels : tuple of str
        Level labels, sorted.
    index : ndarray of int, shape (n_obs,)
        Level index of each row.
    effects : tuple of str
        Effect names in column order of ``Z``.
    Z : ndarray, shape (n_obs, n_effects)
        Predictor values that multiply each group effect.
    blocks : tuple of Block
        Partition of ``effects`` into correlated blocks (one per group term).
    """

    name: str
    columns: tuple[str, ...]
    levels: tuple[str, ...]
    index: np.ndarray
    effects: tuple[str, ...]
    Z: np.ndarray
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class DroppedRows:
    """Rows removed before fitting because a model column was missing.

    Attributes
    ----------
    count : int
        Number of rows dropped.
    by_column : dict
        Missing-value count per model column (only columns with any).
    """

    count: int
    by_column: dict[str, int]


@dataclass(frozen=True)
class Design:
    """Numeric design of a mixed model, plus what is needed to rebuild it for new data."""

    formula: FormulaSpec
    y: np.ndarray
    X: np.ndarray
    fixed_names: tuple[str, ...]
    factors: tuple[FactorDesign, ...]
    dropped: DroppedRows
    data: pd.DataFrame
    centering: CenteringState
    fixed_matrix: Any = field(repr=False)
    term_matrices: tuple[Any, ...] = field(repr=False)
    trials: np.ndarray | None = None
    offset: np.ndarray | None = None
    rescor: RescorDesign | None = None

    @property
    def n_obs(self) -> int:
        """Number of rows used in the fit."""
        return int(self.y.shape[0])

    @property
    def has_intercept(self) -> bool:
        """Whether the fixed part has an intercept column."""
        return "Intercept" in self.fixed_names

    def factor(self, name: str) -> FactorDesign:
        """Return the design of grouping factor ``name``."""
        for factor in self.factors:
            if factor.name == name:
                return factor
        raise KeyError(name)


def build_design(formula: FormulaSpec, data: pd.DataFrame, *, family: str = "gaussian") -> Design:
    """Evaluate ``formula`` on ``data``.

    Parameters
    ----------
    formula : FormulaSpec
        Parsed formula.
    data : pandas.DataFrame
        One row per observation.
    family : str
        Response family; decides how the response is read and checked
        (binomial ``cbind``/``trials`` forms, 0/1 and count checks, see
        :mod:`bayeslme.formula.response`).

    Returns
    -------
    Design

    Raises
    ------
    DataError
        Unknown columns, nothing left after dropping missing rows, infinite
        values, a grouping factor with one level, collinear predictors.
    FamilyError
        A response the family cannot model.
    FormulaError
        A term formulae cannot evaluate.

    Warns
    -----
    DroppedRowsWarning
        When rows with missing values in model columns are dropped.
    """
    _check_frame(data)
    used = used_columns(formula, data)
    frame, dropped = _drop_missing(data, used)
    check_finite(frame, used)
    frame, centering = add_centering_columns(frame, formula.centering)
    fixed_text, offsets = split_offsets(formula.fixed)
    response = evaluate_response(formula, frame, family)
    fixed_dm = _evaluate(fixed_text, frame, formula.text)
    y = response.y
    X = np.asarray(fixed_dm.common.design_matrix, dtype=float)
    fixed_names = tuple(fixed_dm.common.as_dataframe().columns)
    _check_evaluated(y, [formula.response], frame)
    _check_evaluated(X, list(fixed_names), frame)
    _check_collinear(X, fixed_names)
    factors, term_matrices = _build_factors(formula, frame)
    rescor = None if formula.rescor is None else build_rescor_design(formula.rescor, frame)
    return Design(
        formula=formula,
        y=y,
        X=X,
        fixed_names=fixed_names,
        factors=factors,
        dropped=dropped,
        data=frame.reset_index(drop=True),
        centering=centering,
        fixed_matrix=fixed_dm.common,
        term_matrices=term_matrices,
        trials=response.trials,
        offset=evaluate_offset(offsets, frame),
        rescor=rescor,
    )


def used_columns(formula: FormulaSpec, data: pd.DataFrame, *, rescor: bool = True) -> list[str]:
    """Data columns the formula reads, in first-use order; unknown names raise.

    With ``rescor=False`` the time and group columns of a residual
    correlation term are left out (predictions of means do not need them).

    Raises
    ------
    DataError
        Naming the unknown column and the closest existing column names.
    """
    generated = {term.column: term for term in formula.centering}
    names: list[str] = []

    def add(name: str) -> None:
        if name and name not in names:
            names.append(name)

    fixed_text, offsets = split_offsets(formula.fixed)
    texts = [f"I({text})" for text in response_texts(formula)] + [fixed_text, *offsets]
    texts += [term.expr for term in formula.group_terms]
    for text in texts:
        for name in _variables(text, formula.text):
            if name in generated:
                add(generated[name].variable)
                add(generated[name].group)
            else:
                add(name)
    for term in formula.group_terms:
        for name in term.factor_columns:
            add(name)
    if rescor and formula.rescor is not None:
        for name in formula.rescor.columns:
            add(name)
    for name in names:
        if name not in data.columns:
            close = difflib.get_close_matches(name, [str(c) for c in data.columns], n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise DataError(f"column {name!r} used in the formula is not in the data{hint}")
    return names


def factor_labels(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """String labels of a (possibly interacted) grouping factor, one per row.

    Integer-valued numeric columns are labelled without a decimal point, so
    that subject ``308`` stays ``"308"`` whether read as int or float.
    """
    parts = [_as_labels(frame[column]) for column in columns]
    labels = parts[0]
    for part in parts[1:]:
        labels = labels + ":" + part
    return labels


def sorted_levels(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[str, ...]:
    """Levels of a factor in natural order (numeric order for numeric columns)."""
    keys = frame[list(columns)].drop_duplicates()
    keys = keys.sort_values(list(columns), kind="stable")
    labels = factor_labels(keys, columns)
    return tuple(dict.fromkeys(labels.tolist()))


def numeric_group_columns(design: Design) -> list[str]:
    """Grouping columns stored as numbers, which are read as category labels.

    A column of subject ids such as ``308, 309, ...`` defines groups by its
    distinct values; their size or order carries no meaning. Reports mention
    these columns so that a numeric column given as a factor by mistake is
    noticed.
    """
    columns = dict.fromkeys(column for factor in design.factors for column in factor.columns)
    return [
        column
        for column in columns
        if pd.api.types.is_numeric_dtype(design.data[column])
        and not pd.api.types.is_bool_dtype(design.data[column])
    ]


def _as_labels(series: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(series) and np.all(np.mod(series.to_numpy(), 1) == 0):
        series = series.astype(np.int64)
    return series.astype(str)


def _variables(text: str, original: str) -> list[str]:
    try:
        description = formulae.model_description(text)
    except Exception as err:  # formulae raises several parser error types
        raise FormulaError(f"cannot parse {text!r}: {err}", original) from err
    return sorted(name for name in description.var_names if name)


def _check_frame(data: pd.DataFrame) -> None:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise DataError("data has zero rows")
    duplicated = data.columns[data.columns.duplicated()].unique().tolist()
    if duplicated:
        raise DataError(f"data has duplicate column names: {duplicated}")


def _drop_missing(data: pd.DataFrame, used: list[str]) -> tuple[pd.DataFrame, DroppedRows]:
    missing = data[used].isna()
    by_column = {name: int(count) for name, count in missing.sum().items() if count}
    keep = ~missing.any(axis=1).to_numpy()
    dropped = DroppedRows(int((~keep).sum()), by_column)
    if not keep.any():
        raise DataError(
            f"no rows left after dropping rows with missing values (missing per column: {by_column})"
        )
    if dropped.count:
        detail = ", ".join(f"{name!r}: {count}" for name, count in by_column.items())
        warnings.warn(
            f"dropped {dropped.count} of {len(data)} rows with missing values in model columns ({detail})",
            DroppedRowsWarning,
            stacklevel=4,
        )
    return data.loc[keep], dropped


def check_finite(frame: pd.DataFrame, used: list[str], *, label: str = "column") -> None:
    """Raise :class:`DataError` naming the first numeric column with infinite values."""
    for name in used:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            bad = ~np.isfinite(column.to_numpy(dtype=float))
            if bad.any():
                rows = frame.index[bad][:5].tolist()
                raise DataError(
                    f"{label} {name!r} has {int(bad.sum())} infinite values (rows {rows}); "
                    "remove or replace them"
                )


def _check_collinear(X: np.ndarray, names: tuple[str, ...]) -> None:
    if X.shape[1] == 0:
        return
    scale = np.linalg.norm(X, axis=0)
    scale[scale == 0] = 1.0
    rank = np.linalg.matrix_rank(X / scale)
    if rank == X.shape[1]:
        return
    kept: list[int] = []
    culprits: list[str] = []
    for j in range(X.shape[1]):
        if np.linalg.matrix_rank(X[:, kept + [j]] / scale[kept + [j]]) > len(kept):
            kept.append(j)
        else:
            culprits.append(_dependence(X / scale, kept, j, names))
    raise DataError(
        f"fixed-effect columns are perfectly collinear: {'; '.join(culprits)}; remove one of them "
        "from the formula"
    )


def _dependence(X: np.ndarray, kept: list[int], j: int, names: tuple[str, ...]) -> str:
    """``"'x2' = combination of ['x']"``: which earlier columns column ``j`` depends on."""
    if not np.any(X[:, j]):
        return f"{names[j]!r} is all zeros"
    coef = np.linalg.lstsq(X[:, kept], X[:, j], rcond=None)[0]
    involved = [names[k] for k, c in zip(kept, coef, strict=True) if abs(c) > 1e-8]
    return f"{names[j]!r} is a linear combination of {involved}"


def _warn_singletons(name: str, index: np.ndarray, n_levels: int) -> None:
    counts = np.bincount(index, minlength=n_levels)
    if np.all(counts == 1):
        warnings.warn(
            f"grouping factor {name!r} has exactly one observation per level ({n_levels} levels): "
            "its group effects cannot be told apart from the residual and rest on the prior alone; "
            "check that the right column is the grouping factor",
            DataWarning,
            stacklevel=5,
        )


def _build_factors(
    formula: FormulaSpec, frame: pd.DataFrame
) -> tuple[tuple[FactorDesign, ...], tuple[Any, ...]]:
    order: list[str] = []
    grouped: dict[str, list[tuple[Any, Any]]] = {}
    matrices = []
    for term in formula.group_terms:
        dm = _evaluate(f"{term.expr}", frame, formula.text)
        matrices.append(dm.common)
        if term.factor not in grouped:
            order.append(term.factor)
            grouped[term.factor] = []
        grouped[term.factor].append((term, dm.common))
    factors = tuple(_factor_design(name, grouped[name], frame, formula) for name in order)
    return factors, tuple(matrices)


# Names of model variables and dimensions; a grouping factor becomes a dimension of the same name.
RESERVED_NAMES = frozenset(
    {"b", "b_slopes", "Intercept_centered", "X", "y", "obs", "fixed", "chain", "draw", "sample"}
    | {"sigma", "nu", "alpha", "phi", "trials", "offset", "ar", "cosy"}
)


def _factor_design(name: str, terms: list, frame: pd.DataFrame, formula: FormulaSpec) -> FactorDesign:
    if name in RESERVED_NAMES:
        raise FormulaError(
            f"grouping factor {name!r} has the name of a model parameter or dimension; rename the "
            f"column (reserved names: {sorted(RESERVED_NAMES)})",
            formula.text,
            formula.text.find(name, formula.text.find("|")),
        )
    columns = terms[0][0].factor_columns
    levels = sorted_levels(frame, columns)
    if len(levels) < 2:
        raise DataError(
            f"grouping factor {name!r} has only one level ({levels[0]!r}); a group term needs "
            "at least two levels"
        )
    labels = factor_labels(frame, columns)
    index = pd.Categorical(labels, categories=list(levels)).codes.astype(np.int64)
    _warn_singletons(name, index, len(levels))
    blocks: list[Block] = []
    effects: list[str] = []
    matrices: list[np.ndarray] = []
    for _, common in terms:
        names = tuple(common.as_dataframe().columns)
        for effect in names:
            if effect in effects:
                raise FormulaError(
                    f"effect {effect!r} appears in more than one group term of factor {name!r}",
                    formula.text,
                )
        effects.extend(names)
        blocks.append(Block(names))
        matrices.append(np.asarray(common.design_matrix, dtype=float))
    return FactorDesign(
        name=name,
        columns=tuple(columns),
        levels=levels,
        index=index,
        effects=tuple(effects),
        Z=np.column_stack(matrices),
        blocks=tuple(blocks),
    )
