"""The model specification: everything about the model except data and PyMC.

A :class:`ModelSpec` is built from a :class:`~bayeslme.formula.design.Design`
and the user's prior overrides (:func:`bayeslme.spec.build.build_spec`). It is frozen, JSON-serialisable
(:meth:`ModelSpec.to_dict`) and is what a saved fit carries, so that a loaded
fit answers exactly like a fresh one.
"""

from bayeslme.blocks import BlockSpec
from bayeslme.spec.factor import FactorSpec
from bayeslme.spec.model import SPEC_VERSION, ModelSpec, RescorSpec
from bayeslme.spec.names import coefficient_key, unit_var, value_var

__all__ = [
    "SPEC_VERSION",
    "BlockSpec",
    "FactorSpec",
    "ModelSpec",
    "RescorSpec",
    "coefficient_key",
    "unit_var",
    "value_var",
]
