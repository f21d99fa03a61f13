"""Fits through the precompiled kernel: PyMC's variables, nutpie's fallback, fresh processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import bayeslme as bl
from bayeslme.backend.build import build_model

pytest.importorskip("nutpie")

TINY = {"draws": 40, "tune": 40, "chains": 2, "random_seed": 3, "progressbar": False}


def _rich_model():
    # An LKJ block of three, a hom diag block sharing one SD, a cs block, a second factor.
    data = bl.datasets.sleepstudy()
    rng = np.random.default_rng(0)
    data["x"] = rng.normal(size=len(data))
    data["site"] = np.where(np.arange(len(data)) % 3 == 0, "a", "b")
    formula = "Reaction ~ Days * site + (Days + x | Subject) + diag(0 + site | Subject, hom = TRUE)"
    formula += " + cs(1 + x | site)"
    return bl.LMM(formula, data)


@pytest.fixture(scope="module")
def rich():
    model = _rich_model()
    return model, model.fit(method="noncentered", **TINY)


def test_posterior_has_the_pymc_models_variables_and_dims(rich):
    model, fit = rich
    assert fit.info["kernel"] in ("cfunc", "pyfunc")
    pymc_model, _ = build_model(model.spec, model.design, "noncentered")
    names = {v.name for v in pymc_model.free_RVs} | {v.name for v in pymc_model.deterministics}
    posterior = fit.idata["posterior"]
    assert set(posterior.data_vars) == names
    for name, dims in pymc_model.named_vars_to_dims.items():
        if name in names:
            assert posterior[name].dims == ("chain", "draw", *dims), name


def test_deterministics_equal_pymcs(rich):
    # PyMC recomputes b, the SDs, correlations and group effects from our free variables.
    import pymc as pm

    model, fit = rich
    pymc_model, _ = build_model(model.spec, model.design, "noncentered")
    posterior = fit.idata["posterior"].to_dataset()
    free = posterior[[v.name for v in pymc_model.free_RVs]]
    recomputed = pm.compute_deterministics(free, model=pymc_model, progressbar=False)
    for name in recomputed.data_vars:
        np.testing.assert_allclose(posterior[name].values, recomputed[name].values, rtol=1e-10, atol=1e-10)


def test_same_seed_same_draws_and_nutpie_fallback_agrees(monkeypatch):
    # Should nutpie's numba-model class move, the kernel is called through
    # nutpie's public from_pyfunc instead: same density, same draws to rounding.
    model = bl.GLMM(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", bl.datasets.cbpp(), family="binomial"
    )
    first, second = model.fit(**TINY), model.fit(**TINY)
    assert first.info["kernel"] == "cfunc"
    np.testing.assert_array_equal(first.draws("b"), second.draws("b"))

    import nutpie.compile_pymc

    def moved(*args, **kwargs):
        raise TypeError("CompiledPyMCModel.__init__() got an unexpected keyword argument '_n_dim'")

    monkeypatch.setattr(nutpie.compile_pymc, "CompiledPyMCModel", moved)
    fallback = model.fit(**TINY)
    assert fallback.info["kernel"] == "pyfunc"
    np.testing.assert_allclose(fallback.draws("b"), first.draws("b"), rtol=1e-8)


FIT = """
import json, warnings
import bayeslme as bl
warnings.simplefilter("ignore")
fit = bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy()).fit(
    draws=50, tune=50, chains=2, random_seed=5, progressbar=False, method="noncentered")
print(json.dumps({"kernel": fit.info["kernel"], "from_disk": fit.info["compile_from_disk"],
                  "b": fit.draws("b").tolist()}))
"""


def test_processes_compiling_at_once_on_an_empty_cache(tmp_path):
    # Four processes start together on an empty numba cache (joblib workers, an
    # array job): each compiles the kernel, all fit, and a fifth process loads
    # the cache they left and draws exactly the same values (compiled in the
    # process or loaded from disk, same seed, same draws).
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    command = [sys.executable, "-c", FIT]
    running = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    results = []
    for process in running:
        out, _ = process.communicate(timeout=600)
        assert process.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))
    later = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=True)
    results.append(json.loads(later.stdout.strip().splitlines()[-1]))
    assert all(r["kernel"] == "cfunc" for r in results)
    assert results[-1]["from_disk"]
    for result in results[1:]:
        assert result["b"] == results[0]["b"]
