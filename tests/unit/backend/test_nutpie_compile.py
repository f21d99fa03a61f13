"""The disk-cacheable nutpie compile evaluates the same log density as nutpie's own."""

from __future__ import annotations

import ctypes

import numpy as np
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


def test_cached_compile_matches_nutpie_and_follows_new_data():
    from bayeslme.backend.nutpie_compile import compile_model

    model = bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy())
    packed, _ = pack_data(build_model(model.spec, model.design, "collapsed")[0])
    ours = compile_model(packed)
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


def test_failed_cached_compile_falls_back_to_nutpie(monkeypatch):
    # Any failure of the cached path (here: the start-up check against PyTensor)
    # must leave a working model compiled by nutpie itself.
    from bayeslme.backend import nutpie_compile
    from bayeslme.backend.sampling import _compile_for_nutpie

    def disagree(*args, **kwargs):
        raise RuntimeError("cached nutpie callback disagrees with the PyTensor log density")

    monkeypatch.setattr(nutpie_compile, "_check_against_pytensor", disagree)
    model = bl.GLMM(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", bl.datasets.cbpp(), family="binomial"
    )
    packed, _ = pack_data(build_model(model.spec, model.design, "noncentered")[0])
    compiled = _compile_for_nutpie(packed)
    assert not isinstance(compiled.compiled_logp_func, nutpie_compile.CCallback)
    assert all(len(key) == 32 for key in compiled.shared_data)  # nutpie names containers by uuid hex
