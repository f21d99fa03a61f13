"""Grouping factors of a design: each row's level and the columns of ``Z`` per factor.

Group terms of the same grouping factor join one factor, one block per term,
unless a term repeats an effect of an earlier one (``(1 | g) + (x | g)``, two
intercepts): as in lme4, that term is a factor of its own, named ``g.1``
(``g.2``, ...) as lme4's ``VarCorr`` names it, over the same levels.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayeslme.blocks import BlockSpec
from bayeslme.errors import DataError, DataWarning, FormulaError
from bayeslme.formula.evaluate import evaluate_formula
from bayeslme.formula.levels import factor_labels, positions, sorted_levels
from bayeslme.formula.parse import FormulaSpec, GroupTerm
from bayeslme.formula.rcoding import coding_note
from bayeslme.formula.rsyntax import display_name

__all__ = ["FactorDesign", "build_factor_designs", "factor_index", "nested_pairs", "parent_levels"]


@dataclass(frozen=True)
class FactorDesign:
    """Design of one grouping factor.

    Attributes
    ----------
    name : str
        Factor name (``"Subject"``, ``"school:class"``, ``"g.1"``).
    columns : tuple of str
        Data columns that define the levels.
    levels : tuple of str
        Level labels (see :mod:`bayeslme.formula.levels`).
    index : ndarray of int, shape (n_obs,)
        Level index of each row.
    effects : tuple of str
        Effect names in column order of ``Z``.
    Z : ndarray, shape (n_obs, n_effects)
        Predictor values that multiply each group effect.
    blocks : tuple of BlockSpec
        Partition of ``effects`` into blocks (one per group term, one per
        effect for ``diag()``).
    terms : tuple of int
        Positions of the factor's group terms among the formula's.
    notes : tuple of str
        Where lme4 would code a term with other columns
        (:func:`~bayeslme.formula.rcoding.coding_note`).
    """

    name: str
    columns: tuple[str, ...]
    levels: tuple[str, ...]
    index: np.ndarray
    effects: tuple[str, ...]
    Z: np.ndarray
    blocks: tuple[BlockSpec, ...]
    terms: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass
class _Group:
    name: str
    terms: list[tuple[GroupTerm, Any]]
    positions: list[int]


def build_factor_designs(
    formula: FormulaSpec,
    frame: pd.DataFrame,
    levels: Mapping[str, tuple[str, ...]] | None = None,
    *,
    warn_singletons: bool = True,
) -> tuple[tuple[FactorDesign, ...], tuple[Any, ...]]:
    """Evaluate every group term on ``frame``.

    Parameters
    ----------
    formula : FormulaSpec
    frame : pandas.DataFrame
        Model rows, missing values dropped.
    levels : mapping, optional
        Levels of each factor decided at fit time; derived from ``frame`` when
        not given.
    warn_singletons : bool
        Warn about a factor with one row per level (which a Gaussian residual
        cannot be told apart from; an overdispersion term in other families).

    Returns
    -------
    factors : tuple of FactorDesign
    term_matrices : tuple
        formulae's design of each group term, in formula order (to evaluate new data).
    """
    groups: list[_Group] = []
    matrices = []
    for position, term in enumerate(formula.group_terms):
        common = evaluate_formula(term.expr, frame, formula.text).common
        if common is None:
            raise FormulaError(f"group term ({term.expr} | {term.factor}) has no effects", formula.text)
        matrices.append(common)
        _place(groups, term, common, formula, position)
    factors = tuple(_factor_design(group, frame, formula, levels) for group in groups)
    if warn_singletons and levels is None:
        for factor in factors:
            _warn_singletons(factor.name, factor.index, len(factor.levels))
    return factors, tuple(matrices)


def _place(groups: list[_Group], term: GroupTerm, common: Any, formula: FormulaSpec, position: int) -> None:
    """Add ``term`` to the first group of its factor that does not have its effects yet."""
    effects = set(_effect_names(common, formula))
    taken = {group.name for group in groups}
    same = [group for group in groups if group.terms[0][0].factor_columns == term.factor_columns]
    for group in same:
        if not effects & {e for _, other in group.terms for e in _effect_names(other, formula)}:
            group.terms.append((term, common))
            group.positions.append(position)
            return
    name, k = term.factor, 0
    while name in taken:
        k += 1
        name = f"{term.factor}.{k}"
    groups.append(_Group(name, [(term, common)], [position]))


def _effect_names(common: Any, formula: FormulaSpec) -> tuple[str, ...]:
    return tuple(display_name(name, formula.spelling) for name in common.as_dataframe().columns)


def factor_index(frame: pd.DataFrame, columns: tuple[str, ...], levels: tuple[str, ...]) -> np.ndarray:
    """Index of each row's level among ``levels``; ``-1`` where the level is not among them."""
    return positions(factor_labels(frame, columns), levels)


def _factor_design(
    group: _Group,
    frame: pd.DataFrame,
    formula: FormulaSpec,
    fitted: Mapping[str, tuple[str, ...]] | None,
) -> FactorDesign:
    columns = group.terms[0][0].factor_columns
    levels = sorted_levels(frame, columns) if fitted is None else tuple(fitted[group.name])
    if len(levels) < 2:
        raise DataError(
            f"grouping factor {group.name!r} has only one level ({levels[0]!r}); a group term needs "
            "at least two levels"
        )
    index = factor_index(frame, columns, levels)
    if (index < 0).any():
        raise DataError(f"grouping factor {group.name!r} has rows whose level is not among its fitted levels")
    blocks: list[BlockSpec] = []
    effects: list[str] = []
    matrices: list[np.ndarray] = []
    notes: list[str] = []
    for term, common in group.terms:
        names = _effect_names(common, formula)
        effects.extend(names)
        blocks.extend(_blocks(term, names))
        matrices.append(np.asarray(common.design_matrix, dtype=float))
        note = coding_note(term.expr, group.name, len(names), frame)
        if note is not None:
            notes.append(note)
    return FactorDesign(
        name=group.name,
        columns=tuple(columns),
        levels=levels,
        index=index,
        effects=tuple(effects),
        Z=np.column_stack(matrices),
        blocks=tuple(blocks),
        terms=tuple(group.positions),
        notes=tuple(notes),
    )


def _blocks(term: GroupTerm, names: tuple[str, ...]) -> list[BlockSpec]:
    if len(names) == 1:
        return [BlockSpec(names)]
    return [BlockSpec(names, term.structure, term.homogeneous)]


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


def parent_levels(inner: np.ndarray, outer: np.ndarray, n_inner: int) -> np.ndarray | None:
    """The outer level of each of ``n_inner`` inner levels, from per-row indices; ``None`` unless nested."""
    parent = np.full(n_inner, -1, dtype=np.int64)
    parent[inner] = outer
    if np.any(parent < 0) or np.any(parent[inner] != outer):
        return None
    return parent


def nested_pairs(factors: tuple[FactorDesign, ...]) -> tuple[tuple[str, str], ...]:
    """``(inner, outer)`` names of every pair of factors where each inner level lies within one outer level.

    Found on the data, not from the formula's ``/``: ``(1 | school) +
    (1 | class_id)`` with unique class ids is nested as ``(1 | school/class)``
    is. Two factors with the same partition are nested both ways. Pairs come
    in the order of ``factors`` (inner first, then outer).
    """
    return tuple(
        (inner.name, outer.name)
        for inner in factors
        for outer in factors
        if inner is not outer and parent_levels(inner.index, outer.index, len(inner.levels)) is not None
    )
