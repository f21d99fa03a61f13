"""nutpie's user-data record as bayeslme builds it: fields s0, s1, ... and the words each callback reads."""

from __future__ import annotations

import numpy as np
import pytensor
import pytest

from bayeslme.backend.nutpie_record import _Record

compile_pymc = pytest.importorskip("nutpie.compile_pymc")


def test_slots_point_at_each_arrays_data_size_and_shape():
    matrix = pytensor.shared(np.arange(6.0).reshape(2, 3))
    counts = pytensor.shared(np.arange(4, dtype=np.int64))
    record = _Record.build([matrix], [matrix, counts], compile_pymc.make_user_data)

    assert record.shared_var_keys == {matrix: "s0", counts: "s1"}
    words = np.frombuffer(record.user_data.tobytes(), np.uint64)
    for kind, variables in record.variables.items():
        for var, slot in zip(variables, record.slots[kind], strict=True):
            value = record.shared_data[record.shared_var_keys[var]]
            np.testing.assert_array_equal(value, var.get_value())
            assert not value.flags.writeable
            assert slot.dtype == value.dtype and slot.ndim == value.ndim
            assert words[slot.data_word] == value.ctypes.data
            assert words[slot.size_word] == value.size
            assert tuple(words[slot.shape_word : slot.shape_word + slot.ndim]) == value.shape


def test_a_shared_variable_both_callbacks_read_has_one_slot():
    matrix = pytensor.shared(np.ones((2, 2)))
    record = _Record.build([matrix], [matrix], compile_pymc.make_user_data)
    assert list(record.shared_data) == ["s0"]
    assert record.slots["logp"] == record.slots["expand"]
