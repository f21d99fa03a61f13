"""The graph key is equal for graphs built the same way and differs for anything that changes the graph."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

import bayeslme as bl
from bayeslme.backend.build import build_model
from bayeslme.backend.graph_key import UnkeyableGraphError, graph_key
from bayeslme.backend.nutpie_entries import model_key
from bayeslme.backend.packing import pack_data
from bayeslme.priors import Prior


def _packed(model: bl.LMM | bl.GLMM, method: str = "collapsed"):
    return pack_data(build_model(model.spec, model.design, method)[0])[0]


def _key(model: bl.LMM | bl.GLMM, method: str = "collapsed") -> str:
    return model_key(_packed(model, method))[0]


@pytest.fixture(scope="module")
def sleep_key(sleepstudy) -> str:
    return _key(bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy))


def test_same_model_built_twice_has_the_same_key(sleepstudy, sleep_key):
    assert _key(bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy)) == sleep_key


def test_new_values_of_the_same_shape_keep_the_key(sleepstudy, sleep_key):
    # The data enter through shared variables: new reaction times are new data, not a new graph.
    shifted = sleepstudy.assign(Reaction=sleepstudy["Reaction"] * 1.1)
    assert _key(bl.LMM("Reaction ~ Days + (Days | Subject)", shifted)) == sleep_key


def test_anything_that_changes_the_graph_changes_the_key(sleepstudy, sleep_key):
    # (Fewer rows alone need not change it: the collapsed graph reads per-subject sums.)
    one_subject_less = sleepstudy[sleepstudy["Subject"] != sleepstudy["Subject"][0]]
    changed = {
        "formula": bl.LMM("Reaction ~ Days + (1 | Subject)", sleepstudy),
        "uncorrelated": bl.LMM("Reaction ~ Days + (Days || Subject)", sleepstudy),
        "prior": bl.LMM(
            "Reaction ~ Days + (Days | Subject)", sleepstudy, priors={"sd": Prior("halfnormal", sigma=3.0)}
        ),
        "levels": bl.LMM("Reaction ~ Days + (Days | Subject)", one_subject_less),
    }
    keys = {name: _key(model) for name, model in changed.items()}
    keys["noncentered"] = _key(bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy), "noncentered")
    assert sleep_key not in keys.values()
    assert len(set(keys.values())) == len(keys)


def test_constants_and_op_parameters_enter_the_key():
    x = pt.dvector("x")
    base = graph_key([pt.exp(x) * 2.0])[0]
    assert graph_key([pt.exp(x) * 2.0])[0] == base
    assert graph_key([pt.exp(x) * 2.5])[0] != base  # constant value
    assert graph_key([pt.log(x) * 2.0])[0] != base  # scalar op
    assert graph_key([pt.exp(x).sum() * 2.0])[0] != base  # extra node
    assert graph_key([pt.exp(pt.dvector("y")) * 2.0])[0] != base  # input name
    y = pt.dmatrix("x")
    assert graph_key([pt.exp(y) * 2.0])[0] != base  # input type


def test_shared_integer_values_enter_the_key_and_float_values_do_not():
    sizes = pytensor.shared(np.array([3, 4]), name="sizes")
    data = pytensor.shared(np.arange(7.0), name="data")
    key, shared = graph_key([data[: sizes[0]].sum()])
    assert shared == [data, sizes] or shared == [sizes, data]
    data.set_value(np.arange(7.0) * 2)
    assert graph_key([data[: sizes[0]].sum()])[0] == key
    sizes.set_value(np.array([4, 3]))
    assert graph_key([data[: sizes[0]].sum()])[0] != key


def test_op_defined_in_a_function_cannot_be_keyed():
    class Local(Op):
        def make_node(self, x):
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0]

    with pytest.raises(UnkeyableGraphError, match="inside a function"):
        graph_key([Local()(pt.dvector("x"))])


def test_op_attributes_in_mappings_enter_the_key():
    from pytensor.scalar import add
    from pytensor.tensor.elemwise import Elemwise

    x, y = pt.dvector("x"), pt.dvector("y")
    plain = graph_key([Elemwise(add)(x, y)])[0]
    assert graph_key([Elemwise(add, {0: 0})(x, y)])[0] != plain  # inplace_pattern is a frozendict


def test_checked_bounds_change_the_key(sleepstudy):
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy)
    packed = _packed(model)
    key = model_key(packed)[0]
    packed.check_bounds = False
    assert model_key(packed)[0] != key


class _Hidden:
    """An op-like object whose only state is private."""

    def __init__(self, secret: int) -> None:
        self._secret = secret


def test_objects_known_only_by_private_state_cannot_be_keyed():
    import functools

    from bayeslme.backend.graph_key import _describe

    for value in (_Hidden(1), functools.partial(np.add, 1), object()):
        with pytest.raises(UnkeyableGraphError):
            _describe(value)
