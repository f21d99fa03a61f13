"""Turn a :class:`FormulaSpec` and a data frame into numeric design matrices.

The :class:`Design` holds the response, the fixed-effects matrix ``X`` and, per
grouping factor, the level of each row and the columns of ``Z`` for that
factor's effects. It never builds the dense rows x (levels x effects) matrix:
group effects enter as ``sum_e Z[:, e] * u[level[row], e]``.

Categorical predictors (pandas ``Categorical``, strings, objects, and
booleans entered as terms of their own, as R and patsy read logicals) are
coded against levels decided once (:mod:`bayeslme.formula.levels`): the
category order of a ``Categorical`` (its first category is the reference
level), sorted labels otherwise (``False`` before ``True``). A design for a
saved fit is built against the levels stored in its spec, never re-derived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bayeslme.errors import UnseenLevelsError
from bayeslme.families import get_family
from bayeslme.formula.centering import CenteringState, add_centering_columns
from bayeslme.formula.checks import DroppedRows, check_collinear, check_finite, check_frame, drop_missing
from bayeslme.formula.columns import check_generated_names, direct_variables, predictor_columns, used_columns
from bayeslme.formula.evaluate import check_evaluated, evaluate_formula
from bayeslme.formula.factors import FactorDesign, build_factor_designs
from bayeslme.formula.levels import Levels, column_levels, encode_categorical, is_categorical_column, labels
from bayeslme.formula.parse import FormulaSpec
from bayeslme.formula.rescor import RescorDesign, build_rescor_design
from bayeslme.formula.response import evaluate_offset, evaluate_response, split_offsets
from bayeslme.formula.rsyntax import display_name

__all__ = [
    "Design",
    "DroppedRows",
    "FactorDesign",
    "build_design",
    "check_finite",
    "encode_predictors",
    "numeric_group_columns",
    "predictor_columns",
    "used_columns",
]


@dataclass(frozen=True)
class Design:
    """Numeric design of a mixed model, plus what is needed to rebuild it for new data.

    Attributes
    ----------
    column_levels : dict of str to tuple of str
        Levels of each categorical predictor column, as coded in ``X`` and ``Z``.
    fixed_matrix : formulae design or None
        formulae's fixed-effects design (``None`` without fixed effects), to
        evaluate new data with the same coding and transforms.
    """

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
    column_levels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    response_levels: tuple[str, ...] | None = None  # an ordinal response's categories, in order
    intercept_dropped: bool = False  # formulae's intercept column left out (ordinal: thresholds instead)
    dpars: Mapping[str, Design] = field(default_factory=dict)  # designs of parameters' formulas, same rows

    @property
    def n_obs(self) -> int:
        """Number of rows used in the fit."""
        return int(self.y.shape[0])

    @property
    def has_intercept(self) -> bool:
        """Whether the fixed part has an intercept column."""
        return "Intercept" in self.fixed_names

    @property
    def levels(self) -> Levels:
        """Levels of every factor and categorical column, as decided for this design."""
        return Levels({f.name: f.levels for f in self.factors}, dict(self.column_levels))

    def factor(self, name: str) -> FactorDesign:
        """Return the design of grouping factor ``name``."""
        for factor in self.factors:
            if factor.name == name:
                return factor
        raise KeyError(name)


def build_design(
    formula: FormulaSpec,
    data: pd.DataFrame,
    *,
    family: str = "gaussian",
    levels: Levels | None = None,
    check_rank: bool = True,
) -> Design:
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
    levels : Levels, optional
        Levels decided at fit time (a saved fit's spec); derived from ``data``
        when not given.
    check_rank : bool
        Refuse collinear fixed-effect columns. Off only for a design that
        encodes chunks of a larger data set (:mod:`bayeslme.bigdata`), whose
        rank is checked on the totals.

    Returns
    -------
    Design

    Raises
    ------
    DataError
        Unknown columns, nothing left after dropping missing rows, infinite
        values, a grouping factor with one level, collinear predictors, a
        column whose name clashes with a name the model generates.
    FamilyError
        A response the family cannot model.
    FormulaError
        A term formulae cannot evaluate.

    Warns
    -----
    DroppedRowsWarning
        When rows with missing values in model columns are dropped.
    """
    check_frame(data)
    used = used_columns(formula, data)
    check_generated_names(formula, data, used)
    frame, dropped = drop_missing(data, used)
    check_finite(frame, used)
    frame, centering = add_centering_columns(frame, formula.centering)
    coded, column_levels = encode_predictors(formula, frame, None if levels is None else levels.columns)
    fixed_text, offsets = split_offsets(formula.fixed)
    response = evaluate_response(formula, frame, family)
    X, fixed_names, fixed_matrix = _fixed_design(fixed_text, coded, formula)
    intercept_dropped = not get_family(family).has_intercept and fixed_names[:1] == ("Intercept",)
    if intercept_dropped:  # the coding of categorical predictors stays that of a model with an intercept
        X, fixed_names = X[:, 1:], fixed_names[1:]
    check_evaluated(response.y, [formula.response], frame)
    check_evaluated(X, list(fixed_names), frame)
    if check_rank:
        check_collinear(X, fixed_names)
    factors, term_matrices = build_factor_designs(
        formula, coded, None if levels is None else levels.factors, warn_singletons=family == "gaussian"
    )
    rescor = None if formula.rescor is None else build_rescor_design(formula.rescor, frame)
    return Design(
        formula=formula,
        y=response.y,
        X=X,
        fixed_names=fixed_names,
        factors=factors,
        dropped=dropped,
        data=frame.reset_index(drop=True),
        centering=centering,
        fixed_matrix=fixed_matrix,
        term_matrices=term_matrices,
        trials=response.trials,
        response_levels=response.levels,
        intercept_dropped=intercept_dropped,
        offset=evaluate_offset(offsets, frame),
        rescor=rescor,
        column_levels=column_levels,
    )


def _fixed_design(
    fixed_text: str, frame: pd.DataFrame, formula: FormulaSpec
) -> tuple[np.ndarray, tuple[str, ...], Any]:
    """``X``, its column names as written, and formulae's design (``None`` without fixed effects)."""
    common = evaluate_formula(fixed_text, frame, formula.text).common
    if common is None:
        return np.zeros((len(frame), 0)), (), None
    names = tuple(display_name(name, formula.spelling) for name in common.as_dataframe().columns)
    return np.asarray(common.design_matrix, dtype=float), names, common


def encode_predictors(
    formula: FormulaSpec, frame: pd.DataFrame, levels: Mapping[str, tuple[str, ...]] | None
) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """Code every categorical predictor column against its levels.

    Parameters
    ----------
    levels : mapping, optional
        Levels per column decided at fit time; derived from ``frame`` (the
        category order of a ``Categorical``, else sorted) when not given.

    Returns
    -------
    frame : pandas.DataFrame
        A copy in which those columns are ordered categoricals of labels.
    levels : dict
        The levels used per column.

    Raises
    ------
    UnseenLevelsError
        A value whose level is not among the fitted levels.
    """
    columns = [c for c in predictor_columns(formula, frame.columns) if c in frame.columns]
    direct = direct_variables(formula)
    chosen: dict[str, tuple[str, ...]] = {}
    out = frame.copy() if columns else frame
    for column in columns:
        series = frame[column]
        if levels is not None:
            if column not in levels:
                continue
            chosen[column] = tuple(levels[column])
        elif is_categorical_column(series) or (pd.api.types.is_bool_dtype(series) and column in direct):
            chosen[column] = column_levels(series)
        else:
            continue
        encoded = encode_categorical(frame[column], chosen[column])
        unseen = encoded.isna()
        if unseen.any():
            values = list(dict.fromkeys(labels(frame[column])[unseen]))
            raise UnseenLevelsError(
                f"column {column!r} has levels not present in the fitted data: {values}; "
                f"known levels: {list(chosen[column])}"
            )
        out[column] = encoded
    return out, chosen


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
