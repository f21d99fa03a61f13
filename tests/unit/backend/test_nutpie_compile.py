"""The disk-cacheable nutpie compile evaluates the same log density as nutpie's own."""

from __future__ import annotations

import ctypes

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.backend.build import build_model
from bayeslme.backend.packing import pack_data

nutpie = pytest.importorskip("nutpie")

_DOUBLES = ctypes.POINTER(ctypes.c_double)


def _logp(compiled, x: np.ndarray) -> tuple[int, float, np.ndarray]:
    """Status, log density and gradient from a compiled model's C callback."""
    grad = np.zeros(compiled.n_dim)
    logp = np.zeros(1)
    status = compiled.compiled_logp_func.ctypes(
        compiled.n_dim,
        x.ctypes.data_as(_DOUBLES),
        grad.ctypes.data_as(_DOUBLES),
        logp.ctypes.data_as(_DOUBLES),
        ctypes.c_void_p(compiled.user_data.ctypes.data),
    )
    return status, logp[0], grad


def _expand(compiled, x: np.ndarray) -> tuple[int, np.ndarray]:
    """Status and expanded draw from a compiled model's C callback."""
    out = np.zeros(compiled.n_expanded)
    status = compiled.compiled_expand_func.ctypes(
        compiled.n_dim,
        compiled.n_expanded,
        x.ctypes.data_as(_DOUBLES),
        out.ctypes.data_as(_DOUBLES),
        ctypes.c_void_p(compiled.user_data.ctypes.data),
    )
    return status, out


@pytest.fixture
def entry_dir(tmp_path, monkeypatch):
    """Compile entries go to a fresh directory (numba's cache of the callbacks stays shared)."""
    from bayeslme.backend import nutpie_entries

    monkeypatch.setattr(nutpie_entries, "_entry_dir", lambda: tmp_path)
    return tmp_path


def test_cached_compile_matches_nutpie_and_follows_new_data(entry_dir):
    from bayeslme.backend.nutpie_compile import compile_model

    model = bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy())
    packed, _ = pack_data(build_model(model.spec, model.design, "collapsed")[0])
    ours, from_disk = compile_model(packed)
    assert not from_disk  # compiled here (entry_dir is empty), not rebuilt from an entry
    theirs = nutpie.compile_pymc_model(packed, backend="numba")

    assert sorted(ours.shared_data) == [f"s{i}" for i in range(len(ours.shared_data))]
    assert (ours.n_dim, ours.n_expanded) == (theirs.n_dim, theirs.n_expanded)
    updates = {
        var.name: value * 1.01
        for var, key in theirs.shared_var_keys.items()
        if (value := theirs.shared_data[key]).dtype.kind == "f"
    }
    rng = np.random.default_rng(0)
    for pair in ((ours, theirs), (ours.with_data(**updates), theirs.with_data(**updates))):
        for x in ours.initial_point_func(1) + 0.3 * rng.normal(size=(5, ours.n_dim)):
            (status, logp, grad), (status_ref, logp_ref, grad_ref) = (_logp(c, x) for c in pair)
            assert status == status_ref == 0
            np.testing.assert_allclose(logp, logp_ref, rtol=1e-12)
            np.testing.assert_allclose(grad, grad_ref, rtol=1e-9, atol=1e-9)
            (status, out), (status_ref, out_ref) = (_expand(c, x) for c in pair)
            assert status == status_ref == 0
            np.testing.assert_allclose(out, out_ref, rtol=1e-12)


def test_failed_cached_compile_falls_back_to_nutpie(monkeypatch, entry_dir):
    # Any failure of the cached path (here: the start-up check against PyTensor)
    # must leave a working model compiled by nutpie itself. (entry_dir: no
    # entry from an earlier fit, so the model is compiled, not rebuilt.)
    from bayeslme.backend import nutpie_compile
    from bayeslme.backend.sampling import _compile_for_nutpie

    def disagree(*args, **kwargs):
        raise RuntimeError("cached nutpie callback disagrees with the PyTensor log density")

    monkeypatch.setattr(nutpie_compile, "_check_against_pytensor", disagree)
    model = bl.GLMM(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", bl.datasets.cbpp(), family="binomial"
    )
    compiled, _, _, from_disk = _compile_for_nutpie(build_model(model.spec, model.design, "noncentered")[0])
    assert not from_disk
    assert not isinstance(compiled.compiled_logp_func, nutpie_compile.CCallback)
    assert all(len(key) == 32 for key in compiled.shared_data)  # nutpie names containers by uuid hex


def test_failed_packing_falls_back_to_nutpie(monkeypatch):
    # Packing rewrites the graph with PyTensor internals; a release that moves
    # one of them must not break fitting: nutpie compiles the unpacked model.
    from bayeslme.backend import packing
    from bayeslme.backend.sampling import _compile_for_nutpie

    def moved(*args, **kwargs):
        raise AttributeError("module 'pytensor' has no attribute 'moved_internal'")

    monkeypatch.setattr(packing, "pack_data", moved)
    model = bl.GLMM(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", bl.datasets.cbpp(), family="binomial"
    )
    built = build_model(model.spec, model.design, "noncentered")[0]
    compiled, compiled_from, layout, from_disk = _compile_for_nutpie(built)
    assert compiled_from is built and not from_disk
    assert layout.pack({"a": 1}) == {"a": 1}
    assert np.isfinite(compiled.n_dim)


def _sleep_packed():
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy())
    return pack_data(build_model(model.spec, model.design, "collapsed")[0])[0]


def _assert_same_model(ours, reference, points: np.ndarray) -> None:
    assert (ours.n_dim, ours.n_expanded, ours.shape_info[0]) == (
        reference.n_dim,
        reference.n_expanded,
        reference.shape_info[0],
    )
    for x in points:
        (status, logp, grad), (status_ref, logp_ref, grad_ref) = (_logp(c, x) for c in (ours, reference))
        assert status == status_ref == 0
        np.testing.assert_allclose(logp, logp_ref, rtol=1e-12)
        np.testing.assert_allclose(grad, grad_ref, rtol=1e-12, atol=1e-12)
        (status, out), (status_ref, out_ref) = (_expand(c, x) for c in (ours, reference))
        assert status == status_ref == 0
        np.testing.assert_allclose(out, out_ref, rtol=1e-12)


def test_second_compile_starts_from_the_entry_and_matches(entry_dir):
    from bayeslme.backend.nutpie_compile import compile_model

    afresh, from_disk = compile_model(_sleep_packed())
    assert not from_disk and len(list(entry_dir.glob("*.json"))) == 1
    warm, from_disk = compile_model(_sleep_packed())
    assert from_disk
    assert warm.logp_func is None  # nothing was rewritten or compiled by PyTensor
    points = afresh.initial_point_func(1) + 0.3 * np.random.default_rng(0).normal(size=(5, afresh.n_dim))
    _assert_same_model(warm, afresh, points)
    # Same seed, same starting point, whichever way the model was compiled.
    np.testing.assert_array_equal(warm.initial_point_func(7), afresh.initial_point_func(7))
    assert not np.array_equal(warm.initial_point_func(8), afresh.initial_point_func(7))
    updates = {
        var.name: value * 1.01
        for var, key in afresh.shared_var_keys.items()
        if (value := afresh.shared_data[key]).dtype.kind == "f"
    }
    _assert_same_model(warm.with_data(**updates), afresh.with_data(**updates), points)


def test_entry_on_new_data_gives_that_datas_model(entry_dir):
    from bayeslme.backend.nutpie_compile import _compile_afresh, compile_model

    compile_model(_sleep_packed())
    data = bl.datasets.sleepstudy()
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", data.assign(Reaction=data["Reaction"] * 1.5 + 10))
    packed = pack_data(build_model(model.spec, model.design, "collapsed")[0])[0]
    warm, from_disk = compile_model(packed)
    assert from_disk
    reference, _ = _compile_afresh(packed, None)  # checked against nutpie's compile above
    points = reference.initial_point_func(1) + 0.3 * np.random.default_rng(2).normal(size=(3, warm.n_dim))
    _assert_same_model(warm, reference, points)
    # The starting point follows the new data (the intercept's support point is the new mean).
    from pymc.initial_point import make_initial_point_fn

    unjittered = make_initial_point_fn(model=packed, jitter_rvs=set(), return_transformed=True)(0)
    free = len(packed.free_RVs)
    expected = np.concatenate([np.ravel(unjittered[name]) for name in warm.shape_info[0][:free]])
    np.testing.assert_allclose(warm.initial_point_func.base, expected, rtol=1e-12)


def test_an_entry_that_does_not_fit_means_compiling_afresh(entry_dir, caplog):
    import json
    import logging

    from bayeslme.backend.nutpie_compile import compile_model

    afresh, _ = compile_model(_sleep_packed())
    (path,) = entry_dir.glob("*.json")
    text = path.read_text()
    entry = json.loads(text)
    damages = {
        # damaged entry text -> what rejects it (None: the entry is not even read)
        "wrong reference": (
            json.dumps({**entry, "reference_logp": 1.0}),
            "disagrees with the entry's reference",
        ),
        "callback not in numba's cache": (
            json.dumps({**entry, "callback_keys": {"logp": "0" * 64, "expand": "0" * 64}}),
            "TypingError",
        ),
        "other record layout": (
            json.dumps({**entry, "source_digests": {"logp": "x", "expand": "y"}}),
            "record layout differs",
        ),
        "short reference point": (json.dumps({**entry, "reference_x": entry["reference_x"][:-1]}), None),
        "missing field": (json.dumps({k: v for k, v in entry.items() if k != "n_dim"}), None),
        "truncated": (text[: len(text) // 2], None),
    }
    for name, (damaged, rejected_by) in damages.items():
        path.write_text(damaged)
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="bayeslme"):
            again, from_disk = compile_model(_sleep_packed())
        assert not from_disk, name
        messages = " ".join(record.getMessage() for record in caplog.records)
        if rejected_by is None:
            assert "could not be used" not in messages, name
        else:
            assert "could not be used" in messages and rejected_by in messages, (name, messages)
        _assert_same_model(again, afresh, afresh.initial_point_func(3)[None, :])
        # ... and the entry is written again, whole.
        assert json.loads(path.read_text()) == entry, name


def test_starting_points_are_the_support_point_plus_uniform_jitter():
    from pymc.initial_point import make_initial_point_fn

    from bayeslme.backend.initial_point import JitteredInitialPoint

    packed = _sleep_packed()
    names = [packed.rvs_to_values[rv].name for rv in packed.free_RVs]
    unjittered = make_initial_point_fn(model=packed, jitter_rvs=set(), return_transformed=True)(0)
    expected = np.concatenate([np.ravel(unjittered[name]) for name in names])
    shapes = [np.shape(unjittered[name]) for name in names]
    start = JitteredInitialPoint(packed, names, shapes)
    np.testing.assert_array_equal(start.base, expected)
    draws = np.array([start(seed) for seed in range(200)]) - expected
    assert np.all(np.abs(draws) < 1) and draws.min() < -0.95 and draws.max() > 0.95
    np.testing.assert_array_equal(start(5), start(5))
    # New data: the support point follows (the intercept's prior is centred on the data).
    for var in packed.data_vars:
        if var.name.endswith("float64"):
            var.set_value(var.get_value() * 2)
    assert not np.allclose(start.for_new_data().base, expected)


def _importers(prefix: str) -> set[str]:
    """Modules of bayeslme (paths under it) with an import of ``prefix`` or of a module under it."""
    import ast
    from pathlib import Path

    package = Path(bl.__file__).parent
    found = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(name == prefix or name.startswith(prefix + ".") for name in names):
                found.add(path.relative_to(package).as_posix())
    return found


def test_private_apis_sit_behind_one_module_each():
    # nutpie's internals: one module per compile path, each with a tested fallback
    # to nutpie's public API (this file; tests/integration/test_kernel_fit.py).
    assert _importers("nutpie.compile_pymc") | _importers("nutpie.compiled_pyfunc") == {
        "backend/nutpie_compile.py",
        "kernel/nutpie_model.py",
    }
    # PyTensor's numba cache internals: the callbacks' module alone.
    assert _importers("pytensor.link") == {"backend/nutpie_callbacks.py"}
    # The boundary is entered in one place, inside the fallback to nutpie's compile.
    assert _importers("bayeslme.backend.nutpie_compile") == {"backend/sampling.py"}


def test_packing_keeps_initial_values_set_by_hand():
    """An ordinal model's thresholds start at the data's cumulative proportions (an initval):
    PyMC's model conversion refuses such models, so packing converts without them and sets them
    again; the model gets a compile key (it missed the disk cache in every process before)."""
    from bayeslme.backend.nutpie_entries import model_key

    rng = np.random.default_rng(0)
    data = {
        "y": rng.integers(1, 5, 48),
        "x": rng.uniform(0, 4, 48),
        "g": np.repeat([f"g{k}" for k in range(8)], 6),
    }
    model = bl.GLMM("y ~ x + (1 | g)", pd.DataFrame(data), family="cumulative")
    pm_model = build_model(model.spec, model.design, "noncentered")[0]
    packed, _ = pack_data(pm_model)
    start = {rv.name: value for rv, value in pm_model.rvs_to_initial_values.items() if value is not None}
    name = "thresholds_centered"
    assert list(start) == [name]
    assert np.array_equal(packed.rvs_to_initial_values[packed[name]], start[name])
    assert pm_model.rvs_to_initial_values[pm_model[name]] is not None  # the original keeps its own
    value = f"{name}_ordered__"
    assert packed.initial_point()[value] == pytest.approx(pm_model.initial_point()[value])
    assert model_key(packed)[0] is not None
