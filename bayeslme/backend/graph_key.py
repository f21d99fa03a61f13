"""A deterministic key of a PyTensor graph, stable across processes.

PyTensor's own cache keys are computed on the *rewritten* graph, which is
what takes seconds to produce. :func:`graph_key` describes the graph as it is
built, before any rewrite: every apply node's op (its class and ``__props__``,
or its public attributes for ops without props, as PyTensor's scalar ops),
the types of its outputs, the order of its inputs, every constant's value,
every shared variable's name, type and shape (and value, for integer shared
variables: sizes and offsets that decide shapes) and every other root
variable's name and type. Two graphs with the same key compute the same
thing, so what was compiled from one can be reused for the other.

Anything it cannot describe deterministically (an object whose only
description is its memory address, a closure, an unknown type) raises
:class:`UnkeyableGraphError`; callers then compile as usual.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from hashlib import blake2b
from types import BuiltinFunctionType, FunctionType, MethodType

import numpy as np
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Constant, Variable

__all__ = ["UnkeyableGraphError", "graph_key"]

# Integer shared variables up to this size enter the key with their values.
_MAX_KEYED_INTEGER_VALUES = 100_000
_MAX_DEPTH = 8


class UnkeyableGraphError(Exception):
    """The graph holds something that has no deterministic description."""


def graph_key(outputs: Sequence[Variable]) -> tuple[str, list[SharedVariable]]:
    """Key of the graph computing ``outputs`` (in this order) and its shared variables.

    Parameters
    ----------
    outputs : sequence of pytensor Variable
        The graph's outputs.

    Returns
    -------
    key : str
        Hex digest; equal for graphs built the same way in any process.
    shared : list of SharedVariable
        The graph's shared variables in the order the key visits them (the
        same order for every graph with the same key).

    Raises
    ------
    UnkeyableGraphError
        If a node, type or constant cannot be described deterministically.
    """
    digest = blake2b(digest_size=32)
    ids: dict[Variable, int] = {}
    shared: list[SharedVariable] = []
    for line in _describe_graph(outputs, ids, shared):
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest(), shared


def _describe_graph(outputs: Sequence[Variable], ids: dict[Variable, int], shared: list[SharedVariable]):
    """Yield one line per root variable and apply node, in a deterministic post-order."""
    for output in outputs:
        stack: list[tuple[Variable, bool]] = [(output, False)]
        while stack:
            variable, inputs_done = stack.pop()
            if variable in ids:
                continue
            node = variable.owner
            if node is None:
                ids[variable] = len(ids)
                yield _describe_root(variable, shared)
                continue
            if not inputs_done:
                stack.append((variable, True))
                stack.extend((parent, False) for parent in reversed(node.inputs) if parent not in ids)
                continue
            inputs = ",".join(str(ids[parent]) for parent in node.inputs)
            for out in node.outputs:
                ids[out] = len(ids)
            types = ",".join(_describe(out.type) for out in node.outputs)
            yield f"N {_describe(node.op)} ({inputs}) -> {types}"
        yield f"O {ids[output]}"


def _describe_root(variable: Variable, shared: list[SharedVariable]) -> str:
    """One line for a variable without owner: constant, shared variable or named input."""
    type_text = _describe(variable.type)
    if isinstance(variable, Constant):
        return f"C {type_text} {_describe(variable.data)}"
    if isinstance(variable, SharedVariable):
        shared.append(variable)
        value = variable.get_value(borrow=True)
        if not isinstance(value, np.ndarray):
            raise UnkeyableGraphError(f"shared variable {variable.name!r} holds a {type(value).__name__}")
        text = f"S {variable.name!r} {type_text} {value.dtype} {value.shape}"
        if value.dtype.kind in "iub":
            if value.size > _MAX_KEYED_INTEGER_VALUES:
                raise UnkeyableGraphError(f"integer shared variable {variable.name!r} is too large to key")
            text += f" {_describe(value)}"
        return text
    return f"R {variable.name!r} {type_text}"


def _describe(value: object, depth: int = 0) -> str:
    """Deterministic text for an op, a type or one of their attributes."""
    if depth > _MAX_DEPTH:
        raise UnkeyableGraphError("object nested too deeply to key")
    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        return repr(value)
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        if data.dtype.hasobject:
            raise UnkeyableGraphError("object array in the graph")
        return f"array({data.dtype.str},{data.shape},{blake2b(data.tobytes(), digest_size=16).hexdigest()})"
    if isinstance(value, np.generic):
        return f"{value.dtype.str}:{value.item()!r}"
    if isinstance(value, np.dtype):
        return value.str
    if isinstance(value, tuple | list):
        inner = ",".join(_describe(item, depth + 1) for item in value)
        return f"{type(value).__name__}({inner})"
    if isinstance(value, Mapping):
        items = sorted((_describe(k, depth + 1), _describe(v, depth + 1)) for k, v in value.items())
        return f"{type(value).__name__}{{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, slice):
        return f"slice({_describe((value.start, value.stop, value.step), depth + 1)})"
    if isinstance(value, type | FunctionType | BuiltinFunctionType):
        return _qualified_name(value)
    return _describe_object(value, depth)


def _describe_object(value: object, depth: int) -> str:
    """An op or type: its class and ``__props__``, or its public attributes when it has none.

    Objects whose state the public attributes may not show (bound methods,
    partials, builtin or C types, anything whose attributes are all private)
    cannot be described.
    """
    cls = type(value)
    props = getattr(cls, "__props__", None)
    if props is not None:
        attributes = {name: getattr(value, name) for name in props}
    elif (
        hasattr(value, "__dict__")
        and cls.__module__ != "builtins"
        and not isinstance(value, MethodType | functools.partial)
    ):
        state = vars(value)
        attributes = {name: item for name, item in state.items() if not name.startswith("_")}
        if state and not attributes:
            raise UnkeyableGraphError(f"{cls.__qualname__} has only private attributes")
    else:
        raise UnkeyableGraphError(f"cannot describe {cls.__qualname__}")
    inner = ",".join(f"{name}={_describe(item, depth + 1)}" for name, item in sorted(attributes.items()))
    return f"{_qualified_name(cls)}{{{inner}}}"


def _qualified_name(value: type | FunctionType | BuiltinFunctionType) -> str:
    """Module and qualified name; closures and lambdas have none that identifies them."""
    name = f"{getattr(value, '__module__', '?')}.{value.__qualname__}"
    if "<locals>" in name or "<lambda>" in name:
        raise UnkeyableGraphError(f"{name} is defined inside a function")
    return name
