"""Names derived from other names: unit-scale variables, PyMC value variables, coefficient keys."""

from __future__ import annotations

__all__ = ["coefficient_key", "unit_var", "value_var"]


def unit_var(name: str) -> str:
    """``<name>_unit``: the unit-scale variable of positive parameter ``name`` (``name = scale * unit``)."""
    return f"{name}_unit"


def value_var(name: str, transform: str) -> str:
    """PyMC's name of the unconstrained value of ``name`` under ``transform`` (``log``, ``interval``...)."""
    return f"{name}_{transform}__"


def coefficient_key(name: str) -> str:
    """``b[<name>]``: the prior key and table label of fixed coefficient ``name``."""
    return f"b[{name}]"
