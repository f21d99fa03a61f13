"""Pack a model's data containers into one container per dtype before nutpie compiles it.

nutpie hands every ``pm.Data`` container to its compiled callbacks through a
record of pointers and unrolls one typed extraction per container in the
numba wrapper it builds around the model's log density. That wrapper is
compiled afresh in every process (it cannot be cached: the record's field
names are random), and its compile time grows with the number of containers:
about 0.6 s each on our 2-core machine, so the collapsed model's 13
containers cost more than the log density itself. Replacing the containers
by slices of one flat container per dtype leaves the model's value and
gradient unchanged (the slices are views) and compiles the wrapper in a
fraction of the time; measured in ``docs/performance.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor
from pymc.model.fgraph import ModelNamed, fgraph_from_model, model_from_fgraph
from pytensor.compile import SharedVariable
from pytensor.graph import FunctionGraph
from pytensor.graph.replace import clone_replace

__all__ = ["PackLayout", "pack_data"]

PACKED_PREFIX = "packed__"


@dataclass(frozen=True)
class PackLayout:
    """Where each original container lives in the packed ones.

    Attributes
    ----------
    slots : dict
        Original container name -> (packed container name, start, shape, dtype).
    """

    slots: dict[str, tuple[str, int, tuple[int, ...], np.dtype]]

    def pack(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The packed containers' values for ``values`` (original name -> array)."""
        parts: dict[str, list[tuple[int, np.ndarray]]] = {}
        for name, (packed, start, shape, dtype) in self.slots.items():
            value = np.asarray(values[name], dtype=dtype)
            if value.shape != shape:
                raise ValueError(f"data container {name!r} has shape {value.shape}, packed as {shape}")
            parts.setdefault(packed, []).append((start, value.ravel()))
        return {
            packed: np.concatenate([v for _, v in sorted(chunks, key=lambda c: c[0])])
            for packed, chunks in parts.items()
        }


def pack_data(model: pm.Model) -> tuple[pm.Model, PackLayout]:
    """A copy of ``model`` whose data containers are slices of one container per dtype.

    Returns
    -------
    model : pymc.Model
        Same variables, log density and gradient; its data containers are
        named ``packed__<dtype>``.
    layout : PackLayout
        To pack new values of the original containers (for ``with_data``).
    """
    data = [var for var in model.data_vars if isinstance(var, SharedVariable)]
    if len(data) <= 1:
        return model, PackLayout({var.name: _own_slot(var) for var in data})
    fgraph, memo = fgraph_from_model(model)
    by_dtype: dict[np.dtype, list] = {}
    for var in data:
        by_dtype.setdefault(np.dtype(var.type.dtype), []).append(var)
    slots, replacements, packed_vars = {}, {}, []
    for dtype, members in by_dtype.items():
        name = f"{PACKED_PREFIX}{dtype.name}"
        values = [np.asarray(var.get_value(), dtype=dtype) for var in members]
        packed = pytensor.shared(np.concatenate([v.ravel() for v in values]), name=name)
        start = 0
        for var, value in zip(members, values, strict=True):
            slots[var.name] = (name, start, value.shape, dtype)
            inner = memo[var].owner.inputs[0]  # the fgraph's copy of the shared variable
            view = packed[start : start + value.size].reshape(value.shape)
            replacements[inner] = pytensor.tensor.specify_shape(view, value.shape)
            start += value.size
        packed_vars.append(packed)
    outputs = clone_replace(fgraph.outputs, replace=replacements, rebuild_strict=False)
    # Drop the named wrappers of the replaced containers (they are views now,
    # not data) and name the packed containers instead.
    unwrap = {}
    kept = []
    for out in outputs:
        if isinstance(out.owner.op, ModelNamed) and out.owner.op.name in slots:
            unwrap[out] = out.owner.inputs[0]
        else:
            kept.append(out)
    kept = clone_replace(kept, replace=unwrap, rebuild_strict=False) if unwrap else kept
    named = [pm.model.fgraph.model_named(var, var.name) for var in packed_vars]
    new_fgraph = FunctionGraph(outputs=[*kept, *named], clone=False)
    new_fgraph._coords = fgraph._coords  # type: ignore[attr-defined]
    new_fgraph._dim_lengths = fgraph._dim_lengths  # type: ignore[attr-defined]
    return model_from_fgraph(new_fgraph, mutate_fgraph=True), PackLayout(slots)


def _own_slot(var: SharedVariable) -> tuple[str, int, tuple[int, ...], np.dtype]:
    value = np.asarray(var.get_value())
    return (var.name, 0, value.shape, value.dtype)
