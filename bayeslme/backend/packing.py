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
from typing import NamedTuple

import numpy as np
import pymc as pm
import pytensor
from pymc.model.fgraph import ModelNamed, fgraph_from_model, model_from_fgraph
from pytensor.compile import SharedVariable
from pytensor.graph import FunctionGraph
from pytensor.graph.replace import clone_replace

__all__ = ["PackLayout", "Slot", "pack_data"]

PACKED_PREFIX = "packed__"
LAYOUT_NAME = "packed__layout"


class Slot(NamedTuple):
    """Where one original container lives: packed container, shape, dtype and layout position.

    ``position`` indexes the container's start in the layout container (its
    shape follows); it is -1 when the model was not packed.
    """

    packed: str
    shape: tuple[int, ...]
    dtype: np.dtype
    position: int


@dataclass(frozen=True)
class PackLayout:
    """Where each original container lives in the packed ones.

    Attributes
    ----------
    slots : dict
        Original container name -> :class:`Slot`.
    """

    slots: dict[str, Slot]

    def pack(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The packed containers' values (layout included) for ``values`` (original name -> array).

        The values may have other shapes than the packed model was built
        with (same number of dimensions): starts and shapes are recomputed.
        """
        if all(slot.position < 0 for slot in self.slots.values()):
            return {name: np.asarray(values[name]) for name in self.slots}
        parts: dict[str, list[np.ndarray]] = {}
        offsets = np.zeros(sum(1 + len(slot.shape) for slot in self.slots.values()), dtype=np.int64)
        for name, (packed, shape, dtype, position) in self.slots.items():
            value = np.asarray(values[name], dtype=dtype)
            if value.ndim != len(shape):
                raise ValueError(
                    f"data container {name!r} has {value.ndim} dimensions, packed with {len(shape)}"
                )
            chunks = parts.setdefault(packed, [])
            offsets[position] = sum(chunk.size for chunk in chunks)
            offsets[position + 1 : position + 1 + value.ndim] = value.shape
            chunks.append(value.ravel())
        packed_values = {packed: np.concatenate(chunks) for packed, chunks in parts.items()}
        packed_values[LAYOUT_NAME] = offsets
        return packed_values


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
    # PyMC converts no model with initial values set by hand (an ordinal
    # model's thresholds start at the data's cumulative proportions): convert
    # without them and set them again on the copy.
    initial = {rv.name: value for rv, value in model.rvs_to_initial_values.items() if value is not None}
    saved = dict(model.rvs_to_initial_values)
    try:
        model.rvs_to_initial_values.update(dict.fromkeys(model.rvs_to_initial_values))
        fgraph, memo = fgraph_from_model(model)
    finally:
        model.rvs_to_initial_values.update(saved)
    packed_model, layout = _packed_model(fgraph, memo, data)
    for name, value in initial.items():
        packed_model.set_initval(packed_model[name], value)
    return packed_model, layout


def _packed_model(fgraph: FunctionGraph, memo: dict, data: list) -> tuple[pm.Model, PackLayout]:
    """The model of ``fgraph`` (from ``fgraph_from_model``) with ``data`` packed per dtype."""
    by_dtype: dict[np.dtype, list] = {}
    for var in data:
        by_dtype.setdefault(np.dtype(var.type.dtype), []).append(var)
    slots, replacements, packed_vars, offsets = {}, {}, [], []
    # Where each slot starts and its shape live in an integer container of
    # their own, not in the graph: a graph with constant offsets would have
    # static shapes, and numba's on-disk cache would then miss for every new
    # data size.
    layout = pytensor.shared(np.zeros(0, dtype=np.int64), name=LAYOUT_NAME)
    for dtype, members in by_dtype.items():
        name = f"{PACKED_PREFIX}{dtype.name}"
        values = [np.asarray(var.get_value(), dtype=dtype) for var in members]
        packed = pytensor.shared(np.concatenate([v.ravel() for v in values]), name=name)
        start = 0
        for var, value in zip(members, values, strict=True):
            position = len(offsets)
            slots[var.name] = Slot(name, value.shape, dtype, position)
            offsets.extend([start, *value.shape])
            inner = memo[var].owner.inputs[0]  # the fgraph's copy of the shared variable
            replacements[inner] = _view(packed, layout, position, value.ndim)
            start += value.size
        packed_vars.append(packed)
    layout.set_value(np.asarray(offsets, dtype=np.int64))
    packed_vars.append(layout)
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


def _view(packed, layout, position: int, ndim: int):
    """``packed[start:start + size].reshape(shape)`` with start and shape read from ``layout``."""
    start = layout[position]
    if ndim == 0:
        return packed[start]
    shape = [layout[position + 1 + axis] for axis in range(ndim)]
    size = shape[0]
    for extent in shape[1:]:
        size = size * extent
    return packed[start : start + size].reshape(shape, ndim=ndim)


def _own_slot(var: SharedVariable) -> Slot:
    value = np.asarray(var.get_value())
    return Slot(var.name, value.shape, value.dtype, -1)
