"""Small seeded collapsed fits: same tree as non-centered, reproducible, cached compile."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import bayeslme as bl

FORMULA = "Reaction ~ Days + (Days | Subject)"
SMALL = {"draws": 300, "tune": 300, "chains": 2, "progressbar": False}


@pytest.fixture(scope="module")
def collapsed_fit(sleepstudy):
    return bl.LMM(FORMULA, sleepstudy).fit(random_seed=3, method="collapsed", **SMALL)


def test_collapsed_tree_looks_like_noncentered(collapsed_fit, sleepstudy_fit):
    assert collapsed_fit.info["method"] == "collapsed"
    assert sleepstudy_fit.info["method"] == "collapsed"  # auto picks it
    reference = bl.LMM(FORMULA, sleepstudy_fit.design.data).fit(random_seed=3, method="noncentered", **SMALL)
    assert set(collapsed_fit.idata.children) == set(reference.idata.children)
    assert set(collapsed_fit.posterior.data_vars) == set(reference.posterior.data_vars)
    for name in reference.posterior.data_vars:
        assert collapsed_fit.posterior[name].dims == reference.posterior[name].dims, name
    assert "diverging" in collapsed_fit.idata["sample_stats"].data_vars
    assert_array_equal(
        collapsed_fit.idata["observed_data"]["y"].values, reference.idata["observed_data"]["y"].values
    )


def test_results_methods_work_on_collapsed_fit(collapsed_fit):
    coef = collapsed_fit.coef("Subject")["mean"].unstack()
    assert coef.shape == (18, 2)
    assert np.isfinite(collapsed_fit.variance_components()["mean"]).all()
    u = collapsed_fit.draws("Subject__u")
    z = collapsed_fit.draws("Subject__z")
    assert u.shape == z.shape == (2, 300, 18, 2)


def test_same_seed_same_draws_and_compile_is_cached(collapsed_fit, sleepstudy):
    again = bl.LMM(FORMULA, sleepstudy).fit(random_seed=3, method="collapsed", **SMALL)
    assert again.info["compile_cached"]
    assert again.info["compile_seconds"] < 1.0
    for name in ("b", "Subject__sd", "sigma", "Subject__u"):
        assert_array_equal(again.draws(name), collapsed_fit.draws(name))


def test_refit_on_new_same_shape_data_uses_new_data(collapsed_fit, sleepstudy):
    # Relabel subjects: same spec (levels, means, priors), different data.
    subjects = sorted(sleepstudy["Subject"].unique())
    relabel = dict(zip(subjects, np.roll(subjects, 1), strict=True))
    moved = sleepstudy.assign(Subject=sleepstudy["Subject"].map(relabel))
    refit = bl.LMM(FORMULA, moved).fit(random_seed=3, method="collapsed", **SMALL)
    assert refit.info["compile_cached"]
    old = collapsed_fit.random_effects("Subject")
    new = refit.random_effects("Subject")
    # Subject s's rows now carry label relabel[s]: its effects must follow the data.
    # Tolerance: two Monte Carlo means with ESS ~ 300 each differ by ~0.08 sd.
    for s in subjects[:5]:
        for effect in ("Intercept", "Days"):
            before = old.loc[(str(s), effect)]
            after = new.loc[(str(relabel[s]), effect)]
            assert abs(before["mean"] - after["mean"]) < 0.4 * before["sd"]


def test_pymc_sampler_backend_is_seeded(sleepstudy):
    tiny = {"draws": 50, "tune": 50, "chains": 2, "random_seed": 1, "sampler": "pymc", "progressbar": False}
    fit = bl.LMM(FORMULA, sleepstudy).fit(**tiny)
    again = bl.LMM(FORMULA, sleepstudy).fit(**tiny)
    assert fit.info["sampler"] == "pymc"
    assert fit.info["compile_seconds"] is None
    assert fit.draws("Subject__u").shape == (2, 50, 18, 2)
    assert_array_equal(fit.draws("b"), again.draws("b"))
    assert_array_equal(fit.draws("Subject__u"), again.draws("Subject__u"))


def test_uncorrelated_blocks_collapsed():
    data = bl.simulate.random_slopes(n_groups=12, n_per_group=8, seed=4).data
    fit = bl.LMM("y ~ x + (x || g)", data).fit(
        draws=100, tune=100, chains=2, random_seed=2, method="collapsed", progressbar=False
    )
    u, z, sd = fit.draws("g__u"), fit.draws("g__z"), fit.draws("g__sd")
    # Independent effects: u = z * sd effect by effect.
    np.testing.assert_allclose(u, z * sd[:, :, None, :])
    assert "g__cor" not in fit.posterior


def test_cached_refit_on_new_data_equals_fresh_compile(monkeypatch):
    # The compiled-graph path (models the kernel does not evaluate, other samplers).
    monkeypatch.setenv("BAYESLME_KERNEL", "0")
    from bayeslme.backend.sampling import clear_compile_cache

    tiny = {
        "draws": 100,
        "tune": 100,
        "chains": 2,
        "random_seed": 5,
        "method": "collapsed",
        "progressbar": False,
    }
    first = bl.simulate.random_slopes(n_groups=10, n_per_group=6, seed=1).data
    second = bl.simulate.random_slopes(n_groups=10, n_per_group=6, seed=2, intercept=50.0, sigma=3.0).data
    bl.LMM("y ~ x + (x | g)", first).fit(**tiny)
    cached = bl.LMM("y ~ x + (x | g)", second).fit(**tiny)
    assert cached.info["compile_cached"]
    clear_compile_cache()
    fresh = bl.LMM("y ~ x + (x | g)", second).fit(**tiny)
    assert not fresh.info["compile_cached"]
    # New statistics, prior scales and centring means all reached the cached model.
    for name in ("b", "g__sd", "sigma", "g__u"):
        assert_array_equal(cached.draws(name), fresh.draws(name))


def test_noncentered_refit_on_new_response_reuses_compiled_model(monkeypatch):
    # The response is a data container in the non-centered model too, so a new
    # response under the same spec (as in SBC) must reach the cached model
    # (the compiled-graph path: models the kernel does not evaluate).
    monkeypatch.setenv("BAYESLME_KERNEL", "0")
    from bayeslme.backend.sampling import clear_compile_cache
    from bayeslme.validate import _with_response

    tiny = {"draws": 60, "tune": 60, "chains": 2, "random_seed": 5, "progressbar": False}
    data = bl.simulate.random_slopes(n_groups=8, n_per_group=5, seed=1).data
    template = bl.GLMM(
        "y ~ x + (1 | g)", data.assign(y=(data["y"] > data["y"].median()).astype(int)), family="bernoulli"
    )
    template.fit(**tiny)
    flipped = _with_response(template, 1 - template.design.y)
    cached = flipped.fit(**tiny)
    assert cached.info["compile_cached"]
    clear_compile_cache()
    fresh = flipped.fit(**tiny)
    assert not fresh.info["compile_cached"]
    assert_array_equal(cached.idata["observed_data"]["y"].values, 1 - template.design.y)
    for name in ("b", "g__sd", "g__u"):
        assert_array_equal(cached.draws(name), fresh.draws(name))
