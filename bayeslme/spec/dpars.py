"""Specs of the family parameters that have formulas of their own (``sigma ~ arm + (1 | clinic)``).

Each parameter's linear predictor gets the default priors of a model's
linear predictor on its link scale (:func:`~bayeslme.spec.build.build_spec`
with a response scale of 1): intercept ``Normal(c, 2.5)``, slopes
``Normal(0, 2.5 / sd(x))``, group SDs ``half-Student-t(3, 1)``. The centre
``c`` of ``sigma`` is the log SD of the response (of ``log y`` for
lognormal), where a model without the formula puts its prior's scale; the
other parameters' intercepts are centred on 0 (``phi = 1``, ``zi = 0.5``).

Prior keys of a parameter's formula carry its name: ``sigma:Intercept``,
``sigma:b``, ``sigma:b[arm]``, ``sigma:sd[clinic]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from bayeslme.errors import FormulaError, PriorError
from bayeslme.families import Family
from bayeslme.formula.checks import check_frame, drop_missing
from bayeslme.formula.design import Design
from bayeslme.formula.distributional import DparFormula, build_dpar_designs, dpar_columns, response_text
from bayeslme.formula.parse import FormulaSpec
from bayeslme.priors import Prior
from bayeslme.spec.build import build_spec
from bayeslme.spec.model import DparSpec, ModelSpec

__all__ = ["add_dpars", "build_dpar_specs", "rows_for_dpars", "split_priors"]


def split_priors(
    priors: Mapping[str, Prior] | None, names: tuple[str, ...]
) -> tuple[dict[str, Prior], dict[str, dict[str, Prior]]]:
    """The mean's prior overrides and each modelled parameter's (keys without the ``name:`` prefix).

    Raises
    ------
    PriorError
        A prior on a parameter that a formula models (its formula's
        coefficients take the priors), or a prefix naming no such parameter.
    """
    main: dict[str, Prior] = {}
    parts: dict[str, dict[str, Prior]] = {name: {} for name in names}
    for key, prior in dict(priors or {}).items():
        head, sep, rest = key.partition(":")
        if sep and "[" not in head:
            if head not in parts:
                raise PriorError(
                    f"prior key {key!r}: {head!r} has no formula in this model; keys 'name:...' set priors "
                    f"of a parameter's formula ({list(names) or 'none here'})"
                )
            parts[head][rest] = prior
        elif key in parts:
            raise PriorError(
                f"{key!r} is modelled by its formula, so it has no prior of its own; set priors on its "
                f"formula's coefficients: '{key}:Intercept', '{key}:b', '{key}:sd'"
            )
        else:
            main[key] = prior
    return main, parts


def build_dpar_specs(
    formulas: tuple[DparFormula, ...],
    designs: Mapping[str, Design],
    family: Family,
    y: np.ndarray,
    priors: Mapping[str, Mapping[str, Prior]],
) -> tuple[DparSpec, ...]:
    """One :class:`DparSpec` per formula, with default priors (module docstring) and overrides."""
    specs = []
    for dpar in formulas:
        center = 0.0
        if dpar.name == "sigma":
            spread = float(np.std(family.gaussian_response(y)))
            center = float(np.log(spread)) if spread > 0 else 0.0
        try:
            spec = build_spec(
                designs[dpar.name],
                family=family.name,
                link=dpar.link,
                priors=priors.get(dpar.name),
                response_scale=(center, 1.0),
            )
        except PriorError as error:
            raise PriorError(f"in the formula {dpar.text!r} (keys '{dpar.name}:<key>'): {error}") from None
        specs.append(DparSpec(dpar.name, dpar.link, dpar.text, spec))
    return tuple(specs)


def rows_for_dpars(formula: FormulaSpec, dpars: tuple[DparFormula, ...], data: pd.DataFrame) -> pd.DataFrame:
    """``data`` less the rows missing a column of a parameter's formula (reported): one set of rows.

    Raises
    ------
    FormulaError
        A residual correlation term in the mean's formula: it needs one
        residual SD for all rows.
    """
    if formula.rescor is not None:
        raise FormulaError(
            f"{formula.rescor} with a formula for {dpars[0].name!r}: a residual correlation term "
            "needs one residual SD for all rows",
            dpars[0].text,
        )
    check_frame(data)
    return drop_missing(data, dpar_columns(dpars, response_text(formula.text), data))[0]


def add_dpars(
    design: Design,
    spec: ModelSpec,
    dpars: tuple[DparFormula, ...],
    family: Family,
    priors: Mapping[str, Mapping[str, Prior]],
) -> tuple[Design, ModelSpec]:
    """The mean's design and spec with each parameter's formula's design and spec added."""
    designs = build_dpar_designs(dpars, response_text(spec.formula), design, family.name)
    design = replace(design, dpars=designs)
    return design, replace(spec, dpars=build_dpar_specs(dpars, designs, family, design.y, priors))
