"""The model specification: everything about the model except data and PyMC.

A :class:`ModelSpec` is built from a :class:`~bayeslme.formula.design.Design`
and the user's prior overrides (:func:`bayeslme.spec.build.build_spec`). It is frozen, JSON-serialisable
(:meth:`ModelSpec.to_dict`) and is what a saved fit carries, so that a loaded
fit answers exactly like a fresh one.

``build_spec`` is importable from here as before the package split, but is
loaded on first use: building needs the formula machinery (``formulae``),
which reading a spec (the kernel, a loaded fit) does not.
"""

from __future__ import annotations

from typing import Any

from bayeslme.blocks import BlockSpec
from bayeslme.spec.factor import FactorSpec
from bayeslme.spec.model import SPEC_VERSION, DparSpec, ModelSpec, RescorSpec
from bayeslme.spec.names import (
    CENTERED_INTERCEPT,
    COEFFICIENTS,
    FIXED_DIM,
    SLOPES,
    auto_dim,
    coefficient_key,
    part_var,
    prior_data_var,
    unit_var,
    value_var,
)

__all__ = [
    "CENTERED_INTERCEPT",
    "COEFFICIENTS",
    "FIXED_DIM",
    "SLOPES",
    "SPEC_VERSION",
    "BlockSpec",
    "DparSpec",
    "FactorSpec",
    "ModelSpec",
    "RescorSpec",
    "auto_dim",
    "build_spec",
    "coefficient_key",
    "part_var",
    "prior_data_var",
    "unit_var",
    "value_var",
]


def __getattr__(name: str) -> Any:
    """``build_spec`` from :mod:`bayeslme.spec.build`, imported when first asked for."""
    if name == "build_spec":
        from bayeslme.spec.build import build_spec

        return build_spec
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
