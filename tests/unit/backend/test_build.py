"""Choosing the parametrisation and the sampler (no MCMC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.backend.build import build_model, resolve_method
from bayeslme.backend.sampling import SamplerSettings, nutpie_seed
from bayeslme.errors import SamplerError

FAST = "FAST_COMPILE"  # these tests compare values: no need for the optimised (numba) compile


@pytest.fixture(scope="module")
def crossed():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": rng.integers(0, 4, 40), "batch": rng.integers(0, 5, 40), "y": rng.normal(size=40)}
    )
    return bl.LMM("y ~ 1 + (1 | a) + (1 | batch)", frame)


def test_auto_is_collapsed_for_one_gaussian_factor(sleepstudy):
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy)
    assert resolve_method(model.spec, "auto", model.design) == "collapsed"


def test_auto_integrates_one_crossed_factor_out(crossed):
    assert resolve_method(crossed.spec, "auto", crossed.design) == "marginal"


def test_auto_keeps_crossed_slopes_noncentered(crossed):
    # Integrating the larger factor out would leave a correlated slope to
    # sample, where the marginal method measured no better (build._marginal_pays).
    frame = crossed.design.data.assign(x=np.linspace(-1, 1, 40))
    model = bl.LMM("y ~ x + (1 + x | a) + (1 + x | batch)", frame)
    assert resolve_method(model.spec, "auto", model.design) == "noncentered"
    assert resolve_method(model.spec, "marginal", model.design) == "marginal"


def test_auto_is_noncentered_for_crossed_factors_of_other_families(crossed):
    frame = crossed.design.data.assign(yb=lambda f: (f["y"] > 0).astype(int))
    model = bl.GLMM("yb ~ 1 + (1 | a) + (1 | batch)", frame, family="bernoulli")
    assert resolve_method(model.spec, "auto", model.design) == "noncentered"


def test_collapsed_on_crossed_factors_raises(crossed):
    with pytest.raises(SamplerError, match=r"exactly one.*nested.*crossed factors.*\['a', 'batch'\]"):
        resolve_method(crossed.spec, "collapsed", crossed.design)


def test_unknown_method_raises(sleepstudy):
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy)
    with pytest.raises(SamplerError, match="unknown method 'centred'"):
        model.fit(method="centred")


@pytest.mark.parametrize("extra", ["numpyro", "blackjax"])
def test_missing_jax_sampler_names_the_extra(extra):
    if __import__("importlib.util").util.find_spec(extra) is not None:
        pytest.skip(f"{extra} is installed")
    with pytest.raises(SamplerError, match=rf"pip install 'bayeslme\[{extra}\]'"):
        SamplerSettings(sampler=extra).resolved_sampler()


def test_collapsed_model_has_the_same_population_variables(sleepstudy):
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy)
    collapsed, _ = build_model(model.spec, model.design, "collapsed")
    noncentered, _ = build_model(model.spec, model.design, "noncentered")
    population = {"b", "Subject__sd", "Subject__cor", "Subject__L0", "sigma"}
    assert population <= set(collapsed.named_vars)
    assert set(noncentered.named_vars) - set(collapsed.named_vars) == {
        "Subject__z",
        "Subject__u",
        "y",
        "y__observed",
        "X",
        "Subject__index",
        "Subject__Z",
    }
    for name in population:
        assert collapsed.named_vars_to_dims.get(name) == noncentered.named_vars_to_dims.get(name)


def test_cache_keys_ignore_the_response(sleepstudy):
    # Both models read the response from a data container, so a new response
    # under the same spec (as in SBC) maps to the same compiled model.
    from bayeslme.validate import _with_response

    model = bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy)
    shifted = _with_response(model, model.design.y[::-1].copy())
    for method in ("collapsed", "noncentered"):
        _, key = build_model(model.spec, model.design, method)
        _, key_shifted = build_model(shifted.spec, shifted.design, method)
        assert key[0] == method and key == key_shifted
    _, key_c = build_model(model.spec, model.design, "collapsed")
    assert key_c[2] is None  # no nesting


def testnutpie_seed_is_deterministic():
    assert nutpie_seed(3, 4) == nutpie_seed(3, 4)
    assert nutpie_seed(3, 4) != nutpie_seed(4, 4)
    assert nutpie_seed(None, 4) is None


@pytest.mark.parametrize(
    "formula",
    ["y ~ x + (1 | g)", "y ~ x + (x || g)", "y ~ 0 + x + (x | g)", "y ~ 1 + (1 + x | g)"],
)
def test_collapsed_model_builds_with_finite_logp(formula):
    data = bl.simulate.random_slopes(n_groups=8, n_per_group=5, seed=1).data
    model = bl.LMM(formula, data)
    pymc_model, _ = build_model(model.spec, model.design, "collapsed")
    logp = pymc_model.compile_logp(mode="FAST_COMPILE")(pymc_model.initial_point())
    assert np.isfinite(logp)


def test_collapsed_key_is_shared_by_new_data_with_the_same_levels():
    first = bl.simulate.random_slopes(n_groups=8, n_per_group=5, seed=1).data
    second = bl.simulate.random_slopes(n_groups=8, n_per_group=5, seed=2, intercept=50.0).data
    a, b = bl.LMM("y ~ x + (x | g)", first), bl.LMM("y ~ x + (x | g)", second)
    assert a.spec.priors["Intercept"] != b.spec.priors["Intercept"]  # default priors follow the data
    assert build_model(a.spec, a.design, "collapsed")[1] == build_model(b.spec, b.design, "collapsed")[1]
    assert build_model(a.spec, a.design, "noncentered")[1] != build_model(b.spec, b.design, "noncentered")[1]


NESTED = {
    "slash": "y ~ x + (1 | school/class)",
    "slopes": "y ~ x + (x | school) + (1 | school:class)",
    "unique ids": "y ~ x + (1 | school) + (1 | class_id)",
    "inner first": "y ~ x + (1 | class_id) + (x | school)",
}


@pytest.mark.parametrize("formula", NESTED.values(), ids=list(NESTED))
def test_auto_is_collapsed_for_nested_factors(formula):
    model = bl.LMM(formula, bl.simulate.nested(seed=1).data)
    assert resolve_method(model.spec, "auto", model.design) == "collapsed"
    pymc_model, key = build_model(model.spec, model.design, "collapsed")
    assert key[2] == (1 if formula == NESTED["inner first"] else 0)  # position of the outer factor
    assert np.isfinite(pymc_model.compile_logp(mode="FAST_COMPILE")(pymc_model.initial_point()))


def test_three_factors_are_marginal_and_collapsed_raises():
    data = bl.simulate.nested(seed=1).data
    data["rater"] = np.arange(len(data)) % 3
    model = bl.LMM("y ~ x + (1 | school/class) + (1 | rater)", data)
    assert resolve_method(model.spec, "auto", model.design) == "marginal"
    with pytest.raises(SamplerError, match="three or more factors are not supported"):
        resolve_method(model.spec, "collapsed", model.design)


@pytest.mark.parametrize("method", ["collapsed", "noncentered"])
def test_packed_model_has_the_same_log_density_and_gradient(sleepstudy, method):
    # nutpie compiles the packed copy: one data container per dtype, the
    # same graph otherwise. Compare at a random (not the initial) point.
    from bayeslme.backend.packing import pack_data

    model = bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy)
    original, _ = build_model(model.spec, model.design, method)
    packed, layout = pack_data(original)
    names = {var.name for var in packed.data_vars}
    assert names <= {"packed__float64", "packed__int32", "packed__int64", "packed__layout"}
    assert set(layout.slots) == {var.name for var in original.data_vars}
    rng = np.random.default_rng(0)
    point = {k: v + rng.normal(scale=0.3, size=np.shape(v)) for k, v in original.initial_point().items()}
    np.testing.assert_allclose(
        packed.compile_logp(mode=FAST)(point), original.compile_logp(mode=FAST)(point), rtol=1e-12
    )
    free = list(original.free_RVs)
    gradient = original.compile_dlogp(free, mode=FAST)(point)
    np.testing.assert_allclose(
        packed.compile_dlogp([packed[v.name] for v in free], mode=FAST)(point),
        gradient,
        rtol=1e-10,
        atol=1e-10,
    )
    # Packing new values lays them out where the compiled model reads them.
    values = {var.name: var.get_value() for var in original.data_vars}
    for name, value in layout.pack(values).items():
        np.testing.assert_array_equal(value, packed[name].get_value())


def test_packed_graph_has_no_data_shapes_baked_in():
    # Starts and shapes are data, so one compiled graph (and numba's on-disk
    # cache entry) serves every data size of the same formula.
    from bayeslme.backend.packing import pack_data

    small = bl.simulate.random_slopes(n_groups=5, n_per_group=4, seed=1).data
    large = bl.simulate.random_slopes(n_groups=9, n_per_group=7, seed=2).data
    models = [bl.LMM("y ~ x + (x | g)", data) for data in (small, large)]
    originals = [build_model(m.spec, m.design, "collapsed")[0] for m in models]
    (first, first_layout), (second, _) = (pack_data(original) for original in originals)
    # The small model's compiled log density evaluates the large data when handed its packing.
    values = {var.name: var.get_value() for var in originals[1].data_vars}
    point = second.initial_point()
    expected = second.compile_logp(mode=FAST)(point)
    for name, value in first_layout.pack(values).items():
        first[name].set_value(value)
    np.testing.assert_allclose(first.compile_logp(mode=FAST)(point), expected, rtol=1e-12)
