"""Formulas of distributional parameters: ``sigma ~ arm + (1 | clinic)`` beside the mean's formula.

A model is given as one formula (the mean's) or as a list whose first entry
is the mean's formula and whose other entries each model one of the family's
own parameters, as ``bf(y ~ x, sigma ~ arm)`` in brms and
``bmb.Formula("y ~ x", "sigma ~ arm")`` in bambi. Each such parameter gets a
linear predictor of its own, with fixed effects and group terms like the
mean's, on the scale of its link (:data:`DPAR_LINKS`, brms's default links).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from bayeslme.errors import DataError, FormulaError
from bayeslme.formula.text import split_top_level

if TYPE_CHECKING:
    from bayeslme.formula.design import Design
    from bayeslme.formula.levels import Levels

__all__ = [
    "DPAR_LINKS",
    "DparFormula",
    "build_dpar_designs",
    "dpar_columns",
    "response_text",
    "split_formulas",
]

DPAR_LINKS = {"sigma": "log", "phi": "log", "shape": "log", "alpha": "log", "zi": "logit", "hu": "logit"}
"""Each parameter that may have a formula, and the link its linear predictor is on (brms's defaults)."""


@dataclass(frozen=True)
class DparFormula:
    """The formula of one distributional parameter.

    Attributes
    ----------
    name : str
        The family parameter it models (``"sigma"``, ``"zi"``, ...).
    rhs : str
        Its right-hand side, e.g. ``"arm + (1 | clinic)"``.
    """

    name: str
    rhs: str

    @property
    def text(self) -> str:
        """The formula as written: ``sigma ~ arm + (1 | clinic)``."""
        return f"{self.name} ~ {self.rhs}"

    @property
    def link(self) -> str:
        """The link of the parameter's linear predictor."""
        return DPAR_LINKS[self.name]

    def with_response(self, response: str) -> str:
        """The right-hand side under the mean's left-hand side, for building its design."""
        return f"{response} ~ {self.rhs}"


def split_formulas(
    formula: str | Sequence[str], parameters: tuple[str, ...], family: str
) -> tuple[str, tuple[DparFormula, ...]]:
    """The mean's formula and the distributional parameters' formulas.

    Parameters
    ----------
    formula : str or sequence of str
        One formula, or the mean's followed by formulas such as ``"sigma ~ arm"``.
    parameters : tuple of str
        The family's own parameters (:meth:`~bayeslme.families.Family.parameters`).
    family : str
        The family's name, for error messages.

    Raises
    ------
    FormulaError
        A formula that is not text, a left-hand side that names no parameter of
        the family or one that cannot have a formula, a parameter given twice.
    """
    if not isinstance(formula, list | tuple):  # one formula: the parser checks it
        return formula, ()
    if not formula:
        raise FormulaError("formula is an empty list: give the mean's formula first", str(formula))
    texts = list(formula)
    for text in texts:
        if not isinstance(text, str):
            raise FormulaError(f"every formula must be a string, got {type(text).__name__}", str(text))
    modelled = [name for name in parameters if name in DPAR_LINKS]
    dpars: list[DparFormula] = []
    for text in texts[1:]:
        pieces = split_top_level(text, "~")
        if len(pieces) != 2 or not pieces[0][0].strip() or not pieces[1][0].strip():
            raise FormulaError(
                "a distributional formula names the parameter on the left of '~', e.g. 'sigma ~ arm'", text
            )
        name, rhs = pieces[0][0].strip(), pieces[1][0].strip()
        if name not in modelled:
            which = (
                f"its parameters {modelled} may have formulas" if modelled else "none of its parameters may"
            )
            raise FormulaError(
                f"{name!r} is no parameter of family {family!r} that a formula can model: {which}", text
            )
        if any(d.name == name for d in dpars):
            raise FormulaError(f"{name!r} has two formulas; give one", text)
        dpars.append(DparFormula(name, rhs))
    return texts[0], tuple(dpars)


def response_text(formula: str) -> str:
    """The left-hand side of the mean's formula as written (``y``, ``cbind(s, f)``)."""
    return split_top_level(formula, "~")[0][0].strip()


def dpar_columns(dpars: tuple[DparFormula, ...], response: str, data: pd.DataFrame) -> list[str]:
    """Data columns the parameters' formulas read (unknown names raise, naming the column)."""
    from bayeslme.formula.columns import used_columns
    from bayeslme.formula.parse import parse_formula

    columns: list[str] = []
    for dpar in dpars:
        try:
            used = used_columns(parse_formula(dpar.with_response(response)), data)
        except DataError as error:
            raise DataError(f"{error} (in the formula {dpar.text!r})") from None
        for column in used:
            if column not in columns:
                columns.append(column)
    return columns


def build_dpar_designs(
    dpars: tuple[DparFormula, ...],
    response: str,
    design: Design,
    family: str,
    levels: Mapping[str, Levels] | None = None,
) -> dict[str, Design]:
    """The design of each parameter's formula on the rows of the mean's ``design``.

    Rows with a missing value in a parameter's columns must have been dropped
    before ``design`` was built (:func:`dpar_columns`), so that every design
    has the same rows in the same order.

    Parameters
    ----------
    levels : mapping of str to Levels, optional
        Per parameter, the levels decided at fit time (a saved fit).

    Raises
    ------
    FormulaError
        A parameter's formula with a residual correlation term (``ar()``,
        ``cosy()``), or one that keeps different rows from the mean's.
    """
    from bayeslme.formula.design import build_design
    from bayeslme.formula.parse import parse_formula

    designs: dict[str, Design] = {}
    for dpar in dpars:
        formula = parse_formula(dpar.with_response(response))
        if formula.rescor is not None:
            raise FormulaError(
                f"{formula.rescor} belongs in the mean's formula, not in {dpar.name!r}'s", dpar.text
            )
        sub = build_design(
            formula, design.data, family=family, levels=None if levels is None else levels[dpar.name]
        )
        if sub.X.shape[1] == 0 and not sub.factors:
            raise FormulaError(
                f"{dpar.text!r} has neither fixed effects nor group terms, which would fix {dpar.name!r} "
                f"at a constant; leave the formula out to estimate one {dpar.name!r}",
                dpar.text,
            )
        if sub.n_obs != design.n_obs:  # dpar_columns' rows were dropped first: a check of that contract
            raise FormulaError(
                f"{dpar.name!r}'s formula keeps {sub.n_obs} of the {design.n_obs} rows", dpar.text
            )
        designs[dpar.name] = sub
    return designs
