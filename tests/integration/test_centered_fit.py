"""fit(centered=...): which factors are sampled centered, and the posterior stays the same."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import SamplerError
from bayeslme.kernel.parametrization import information, resolve_centered

pytest.importorskip("nutpie")

SETTINGS = {"draws": 1000, "tune": 500, "chains": 4, "random_seed": 11, "progressbar": False}


@pytest.fixture(scope="module")
def sleep():
    return bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy())


@pytest.fixture(scope="module")
def fits(sleep):
    plain = sleep.fit(method="noncentered", centered=False, **SETTINGS)
    moved = sleep.fit(method="noncentered", centered=True, **SETTINGS)
    return plain, moved


def test_centered_fit_has_the_same_posterior(fits):
    # Two samplers of one posterior: posterior means differ by Monte Carlo
    # error only. With bulk ESS above 400 for each quantity (asserted), the
    # difference of two independent means has SD below sd * sqrt(2 / 400) =
    # 0.07 sd; 0.3 sd is more than four of those, and a wrong density (the
    # Jacobian of u = L z forgotten) moves the SDs by far more.
    plain, moved = fits
    assert plain.info["centered"] == [] and moved.info["centered"] == ["Subject"]
    for name in ("b", "Subject__sd", "sigma", "Subject__cor"):
        a, b = plain.draws(name), moved.draws(name)
        sd = a.std(axis=(0, 1))
        assert np.all(np.abs(a.mean(axis=(0, 1)) - b.mean(axis=(0, 1))) < 0.3 * sd), name
    assert moved.diagnostics.min_ess_bulk > 400 and plain.diagnostics.min_ess_bulk > 400


def test_centered_draws_keep_u_equal_to_z_times_L(fits):
    _, moved = fits
    z, u = moved.draws("Subject__z"), moved.draws("Subject__u")
    sd, cor = moved.draws("Subject__sd"), moved.draws("Subject__cor")[..., 0]
    # k = 2: L = [[sd0, 0], [sd1 * rho, sd1 * sqrt(1 - rho^2)]]
    u0 = sd[..., None, 0] * z[..., 0]
    u1 = sd[..., None, 1] * (cor[..., None] * z[..., 0] + np.sqrt(1 - cor[..., None] ** 2) * z[..., 1])
    np.testing.assert_allclose(u[..., 0], u0, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(u[..., 1], u1, rtol=1e-9, atol=1e-9)


def test_bad_centered_arguments_name_what_is_wrong(sleep):
    with pytest.raises(SamplerError, match="'Patient'"):
        sleep.fit(centered=["Patient"], **SETTINGS)
    with pytest.raises(SamplerError, match="centered must be"):
        sleep.fit(centered="yes", **SETTINGS)
    # Naming factors with method="auto" samples non-centered rather than collapsed.
    assert (
        sleep.fit(centered=["Subject"], **{**SETTINGS, "draws": 20, "tune": 20}).info["method"]
        == "noncentered"
    )
    with pytest.raises(SamplerError, match=r"collapsed method integrates \['Subject'\] out"):
        sleep.fit(method="collapsed", centered=True, **SETTINGS)


def test_families_without_the_kernel_are_centered_in_pymcs_model():
    # A beta model has no precompiled kernel: PyMC's model samples the group intercepts around
    # the fixed one (hierarchical centering) and keeps u and z = u / sd. Same posterior as
    # non-centered: each posterior mean within four Monte Carlo SEs of the difference,
    # sd * sqrt(1 / ess_a + 1 / ess_b), with the ESS measured.
    data = bl.simulate.glmm("beta", n_groups=30, n_per_group=20, seed=4).data
    model = bl.GLMM("y ~ x + (1 | g)", data, family="beta")
    settings = {**SETTINGS, "draws": 500, "chains": 2}
    plain, moved = model.fit(centered=False, **settings), model.fit(centered=["g"], **settings)
    assert plain.info["centered"] == [] and moved.info["centered"] == ["g"]
    assert "g__u" in moved.posterior and "g__z" in moved.posterior
    np.testing.assert_allclose(moved.draws("g__u"), moved.draws("g__z") * moved.draws("g__sd")[..., None, :])
    a, b = plain.summary(), moved.summary()
    for label in a.index:
        error = a.loc[label, "sd"] * np.sqrt(1 / a.loc[label, "ess_bulk"] + 1 / b.loc[label, "ess_bulk"])
        assert abs(a.loc[label, "mean"] - b.loc[label, "mean"]) < 4 * error, label
    # what centering is for, groups the data pin down: bulk ESS of the SD 46 -> 2742 and of the
    # intercept 38 -> 2303 (measured)
    for label in ("sd[g|Intercept]", "b[Intercept]"):
        assert b.loc[label, "ess_bulk"] > 10 * a.loc[label, "ess_bulk"], label
    # families without the kernel default to "auto": g's levels are pinned down (20 rows each)
    assert model.fit(**{**settings, "draws": 20, "tune": 20}).info["centered"] == ["g"]


def test_auto_centres_the_factors_the_data_pin_down():
    # Factor "big": 40 levels x 50 rows, SD 2 against residual SD 1: each
    # level's mean has sampling variance 1/50 against tau^2 = 4, information
    # about 200. Factor "small": 100 levels x 2 rows (crossed with big), SD
    # 0.2: information about 0.04 * 2 / 5 (the big factor's variance counts
    # as noise for it) -> far below 1.
    rng = np.random.default_rng(4)
    big = np.repeat(np.arange(40), 50)
    small = rng.permutation(np.repeat(np.arange(100), 20))
    y = 1 + rng.normal(0, 2, 40)[big] + rng.normal(0, 0.2, 100)[small] + rng.normal(size=2000)
    data = pd.DataFrame({"y": y, "big": big.astype(str), "small": small.astype(str)})
    model = bl.LMM("y ~ 1 + (1 | big) + (1 | small)", data)
    info = information(model.spec, model.design)
    assert np.median(info[0]) > 50 and np.median(info[1]) < 1
    assert resolve_centered(model.spec, model.design, "noncentered", "auto") == (True, False)
    assert resolve_centered(model.spec, model.design, "collapsed", "auto") == (False, False)
