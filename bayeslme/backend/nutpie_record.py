"""nutpie's user-data record of a model's shared variables, with fields named deterministically.

nutpie's ``make_user_data`` lays the record out; it comes as an argument from
:mod:`bayeslme.backend.nutpie_compile`, the one module that imports nutpie's
internals on the PyMC-graph path. The layout is read back here and checked
(:func:`_record_slots`, and one evaluation before a record is used).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bayeslme.backend.nutpie_source import _callback_name, _expand_source, _logp_source, _Slot

__all__ = ["_Record", "_record_slots", "_shared_containers"]


@dataclass(frozen=True)
class _Record:
    """nutpie's user-data record for the shared variables the two callbacks read.

    Attributes
    ----------
    variables : dict
        ``"logp"``/``"expand"`` -> the shared variables each callback reads,
        in the order its PyTensor function takes them.
    shared_var_keys, shared_data : dict
        As :class:`nutpie.compile_pymc.CompiledPyMCModel` holds them.
    user_data : numpy.ndarray
        The record itself.
    slots : dict
        ``"logp"``/``"expand"`` -> where each of the callback's variables sits
        in the record.
    """

    variables: dict[str, list]
    shared_var_keys: dict
    shared_data: dict[str, np.ndarray]
    user_data: np.ndarray
    slots: dict[str, list[_Slot]]

    @classmethod
    def build(
        cls, logp_vars: list, expand_vars: list, make_user_data: Callable[[dict, dict], np.ndarray]
    ) -> _Record:
        """The record for these variables, in nutpie's layout with keys ``s0``, ``s1``, ...

        ``make_user_data`` is ``nutpie.compile_pymc.make_user_data``.
        """
        shared_var_keys, shared_data = _shared_containers(logp_vars, expand_vars)
        user_data = make_user_data(shared_var_keys, shared_data)
        slots = _record_slots(user_data.dtype, shared_var_keys, shared_data)
        variables = {"logp": list(logp_vars), "expand": list(expand_vars)}
        return cls(
            variables=variables,
            shared_var_keys=shared_var_keys,
            shared_data=shared_data,
            user_data=user_data,
            slots={kind: [slots[shared_var_keys[var]] for var in vars_] for kind, vars_ in variables.items()},
        )

    def source(self, kind: str, n_dim: int, n_expanded: int) -> str:
        """Source of the ``kind`` (``"logp"`` or ``"expand"``) callback for this record."""
        words = self.user_data.dtype.itemsize // 8
        if kind == "logp":
            return _logp_source(_callback_name(kind), self.slots[kind], words, n_dim)
        return _expand_source(_callback_name(kind), self.slots[kind], words, n_dim, n_expanded)


def _shared_containers(logp_vars: list, expand_vars: list) -> tuple[dict, dict[str, np.ndarray]]:
    """Keys ``s0``, ``s1``, ... for the shared variables and read-only copies of their values.

    The order (the log density's shared variables first, then the expansion's
    new ones) is nutpie's; only the keys differ, so the record dtype is the
    same in every process.
    """
    shared_var_keys: dict = {}
    shared_data: dict[str, np.ndarray] = {}
    for var in [*logp_vars, *expand_vars]:
        if var in shared_var_keys:
            continue
        key = f"s{len(shared_var_keys)}"
        value = np.array(var.get_value(), order="C", copy=True)
        value.flags.writeable = False
        shared_var_keys[var] = key
        shared_data[key] = value
    return shared_var_keys, shared_data


def _record_slots(
    record: np.dtype, shared_var_keys: dict, shared_data: dict[str, np.ndarray]
) -> dict[str, _Slot]:
    """Each shared variable's word positions in nutpie's user-data record."""
    if record.itemsize % 8:
        raise RuntimeError("user-data record is not made of 8-byte words")
    base = record.fields["shared"][1]
    shared = record["shared"]
    offsets = {part: base + shared.fields[part][1] for part in ("data", "size", "shape")}
    slots = {}
    for var, key in shared_var_keys.items():
        words = {part: (offsets[part] + shared[part].fields[key][1]) // 8 for part in offsets}
        slots[key] = _Slot(
            dtype=np.dtype(shared_data[key].dtype),
            data_word=words["data"],
            size_word=words["size"],
            shape_word=words["shape"],
            ndim=var.ndim,
        )
    return slots
