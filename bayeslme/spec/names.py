"""Names of model variables that do not belong to one factor, and names derived from other names.

Factor-level names (``<f>__sd``, ``<f>__level``, ...) are properties of
:class:`~bayeslme.spec.FactorSpec`; this module holds the rest, so that no other
module formats a variable or dimension name.
"""

from __future__ import annotations

__all__ = [
    "COEFFICIENTS",
    "CENTERED_INTERCEPT",
    "CENTERED_THRESHOLDS",
    "FIXED_DIM",
    "SLOPES",
    "THRESHOLDS",
    "THRESHOLD_DIM",
    "auto_dim",
    "coefficient_key",
    "part_var",
    "prior_data_var",
    "threshold_key",
    "threshold_labels",
    "unit_var",
    "value_var",
]

COEFFICIENTS = "b"
"""Fixed coefficients on the data's scale, dimension :data:`FIXED_DIM`."""

FIXED_DIM = "fixed"
"""Dimension of the fixed coefficients, labelled by the design's column names."""

CENTERED_INTERCEPT = "Intercept_centered"
"""Intercept at the column means of the slopes' predictors (what is sampled)."""

SLOPES = "b_slopes"
"""Fixed coefficients other than the intercept (what is sampled beside it)."""

THRESHOLDS = "thresholds"
"""An ordinal model's cut points, dimension :data:`THRESHOLD_DIM`."""

CENTERED_THRESHOLDS = "thresholds_centered"
"""The cut points at the column means of the predictors (what is sampled, with the prior)."""

THRESHOLD_DIM = "threshold"
"""Dimension of the cut points, labelled ``"1|2"``, ``"2|3"``, ... as R's ordinal package labels them."""


def threshold_key(label: str) -> str:
    """``thresholds[<a>|<b>]``: the table label of one cut point."""
    return f"{THRESHOLDS}[{label}]"


def threshold_labels(levels: tuple[str, ...]) -> list[str]:
    """``"<a>|<b>"`` for each pair of neighbouring categories (the cut point between them)."""
    return [f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:], strict=True)]


def unit_var(name: str, part: int | None = None) -> str:
    """``<name>_unit``: the unit-scale variable of positive parameter ``name`` (``name = scale * unit``).

    ``part`` numbers the pieces of a vector whose priors differ in family.
    """
    return f"{name}_unit" if part is None else f"{name}_unit{part}"


def value_var(name: str, transform: str) -> str:
    """PyMC's name of the unconstrained value of ``name`` under ``transform`` (``log``, ``interval``...)."""
    return f"{name}_{transform}__"


def auto_dim(name: str, axis: int = 0) -> str:
    """PyMC's name of axis ``axis`` of variable ``name`` when the model gives it no dimension name."""
    return f"{name}_dim_{axis}"


def part_var(name: str, dist: str) -> str:
    """The piece of location vector ``name`` whose priors are of family ``dist``."""
    return f"{name}_{dist}"


def prior_data_var(name: str, parameter: str) -> str:
    """``<name>__prior_<parameter>``: a prior parameter of ``name`` held as data (refits with new priors)."""
    return f"{name}__prior_{parameter}"


def coefficient_key(name: str) -> str:
    """``b[<name>]``: the prior key and table label of fixed coefficient ``name``."""
    return f"{COEFFICIENTS}[{name}]"
