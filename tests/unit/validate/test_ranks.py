"""SBC building blocks: prior draws, simulation, rank statistics (no MCMC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import BayeslmeError, PriorError
from bayeslme.validate import (
    SBCResult,
    coverage,
    draw_parameters,
    ecdf_band_test,
    lkj_correlation,
    rank_uniformity,
    simulate_response,
    true_values,
)


def template(formula="y ~ x + (x | g)", priors=None):
    rng = np.random.default_rng(0)
    g = np.repeat([f"g{k}" for k in range(5)], 4)
    data = pd.DataFrame({"y": rng.normal(size=20), "x": rng.uniform(0, 4, 20), "g": g})
    return bl.LMM(formula, data, priors=priors)


@pytest.mark.parametrize("eta", [1.0, 4.0])
def test_lkj_2x2_matches_beta_moments(eta):
    # r = 2 Beta(eta, eta) - 1 has mean 0 and variance 1 / (2 eta + 1); 4000 draws give SE of the
    # variance about var * sqrt(2 / 4000) ~ 2%, so a 10% tolerance fails only for a wrong law.
    rng = np.random.default_rng(1)
    r = np.array([lkj_correlation(2, eta, rng)[0, 1] for _ in range(4000)])
    assert abs(r.mean()) < 0.05
    assert r.var() == pytest.approx(1 / (2 * eta + 1), rel=0.1)


def test_lkj_3x3_is_a_correlation_matrix_with_lkj_marginals():
    # Under LKJ(eta) in dimension k every correlation has variance 1 / (2 eta + k - 1).
    rng = np.random.default_rng(2)
    mats = np.array([lkj_correlation(3, 1.0, rng) for _ in range(4000)])
    assert np.allclose(np.diagonal(mats, axis1=1, axis2=2), 1)
    assert np.all(np.linalg.eigvalsh(mats) > 0)
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        assert mats[:, i, j].var() == pytest.approx(1 / 4, rel=0.1)


def test_draw_parameters_shapes_and_intercept_transform():
    model = template()
    params = draw_parameters(model.spec, np.random.default_rng(3))
    assert params["b"].shape == (2,)
    assert params["g__u"].shape == (5, 2) and params["g__sd"].shape == (2,)
    assert params["g__cor"].shape == (1,) and -1 < params["g__cor"][0] < 1
    # The reported intercept is the centred one moved back to x = 0.
    x_mean = model.spec.x_means[1]
    assert params["b"][0] == pytest.approx(params["Intercept_centered"] - x_mean * params["b"][1])
    truth = true_values(model.spec, params)
    assert set(truth) == {
        "b[Intercept]",
        "b[x]",
        "sd[g|Intercept]",
        "sd[g|x]",
        "cor[g|Intercept, x]",
        "sigma",
    }


def test_simulated_response_follows_the_design():
    model = template()
    params = draw_parameters(model.spec, np.random.default_rng(4))
    params["sigma"] = np.array(0.0)  # without noise the response is the linear predictor itself
    y = simulate_response(model, params, np.random.default_rng(5))
    design = model.design
    g = design.factor("g")
    expected = design.X @ params["b"] + (g.Z * params["g__u"][g.index]).sum(axis=1)
    np.testing.assert_allclose(y, expected)


def test_flat_prior_cannot_be_simulated():
    model = template(priors={"b": bl.Prior("flat")})
    with pytest.raises(PriorError, match="proper priors"):
        draw_parameters(model.spec, np.random.default_rng(0))


def test_uniform_ranks_pass_and_miscalibrated_ranks_fail():
    rng = np.random.default_rng(6)
    L, n = 99, 400
    assert rank_uniformity(rng.integers(0, L + 1, n), L) > 0.01
    # Posterior too narrow: truth often outside all draws, ranks pile at both ends.
    truth = rng.normal(size=n)
    narrow = np.array([np.sum(rng.normal(t * 0.3, 0.5, L) < t) for t in truth])
    assert rank_uniformity(narrow, L) < 1e-6
    assert coverage(narrow, L, 0.9)[0] < 0.8
    # Calibrated posterior (normal-normal with known conjugate posterior): ranks uniform.
    theta = rng.normal(size=n)
    y = theta + rng.normal(size=n)
    good = np.array([np.sum(rng.normal(yi / 2, np.sqrt(0.5), L) < t) for yi, t in zip(y, theta, strict=True)])
    assert rank_uniformity(good, L) > 0.001
    cover, se = coverage(good, L, 0.9)
    assert abs(cover - 0.9) < 4 * se and se == pytest.approx(np.sqrt(0.09 / n))


def test_coverage_counts_interval_bounds():
    # L = 99: the central 50% interval holds ranks 24.75..74.25, i.e. 25..74.
    ranks = np.array([0, 24, 25, 74, 75, 99])
    assert coverage(ranks, 99, 0.5)[0] == pytest.approx(2 / 6)


def glmm_template(family, formula="y ~ x + (1 | g)", n_groups=10, per_group=20):
    rng = np.random.default_rng(0)
    g = np.repeat([f"g{k}" for k in range(n_groups)], per_group)
    data = pd.DataFrame({"x": rng.normal(size=g.size), "g": g})
    y = {
        "bernoulli": rng.binomial(1, 0.4, g.size),
        "poisson": rng.poisson(3, g.size),
        "negativebinomial": rng.poisson(3, g.size),
        "student_t": rng.standard_t(5, g.size),
    }[family]
    return bl.GLMM(formula, data.assign(y=y), family=family)


def linear_predictor(model, params):
    design = model.design
    g = design.factor("g")
    return design.X @ params["b"] + (g.Z * params["g__u"][g.index]).sum(axis=1)


def test_bernoulli_response_is_binary_with_inverse_logit_mean():
    # Fix the parameters and simulate many responses: the row means must match
    # inverse-logit of the linear predictor (within 5 binomial SEs of 4000 draws).
    model = glmm_template("bernoulli")
    params = draw_parameters(model.spec, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    ys = np.array([simulate_response(model, params, rng) for _ in range(4000)])
    assert set(np.unique(ys)) <= {0.0, 1.0}
    p = 1 / (1 + np.exp(-linear_predictor(model, params)))
    np.testing.assert_allclose(ys.mean(axis=0), p, atol=5 * np.sqrt(0.25 / 4000))
    assert set(true_values(model.spec, params)) == {"b[Intercept]", "b[x]", "sd[g|Intercept]"}


def test_poisson_response_has_exp_mean():
    model = glmm_template("poisson")
    params = draw_parameters(model.spec, np.random.default_rng(3))
    params["b"] = np.array([0.5, 0.3])  # a moderate rate, so the tolerance below is meaningful
    rng = np.random.default_rng(4)
    ys = np.array([simulate_response(model, params, rng) for _ in range(2000)])
    mu = np.exp(linear_predictor(model, params))
    assert (ys == np.round(ys)).all() and (ys >= 0).all()
    np.testing.assert_allclose(ys.mean(axis=0), mu, atol=5 * np.sqrt(mu.max() / 2000))


@pytest.mark.parametrize(("family", "own"), [("student_t", {"sigma", "nu"}), ("negativebinomial", {"alpha"})])
def test_family_parameters_are_drawn_and_reported(family, own):
    model = glmm_template(family)
    params = draw_parameters(model.spec, np.random.default_rng(5))
    assert own <= set(params) and all(float(params[name]) > 0 for name in own)
    truth = true_values(model.spec, params)
    assert own <= set(truth)
    y = simulate_response(model, params, np.random.default_rng(6))
    assert y.shape == (model.design.n_obs,) and np.isfinite(y).all()


def test_ecdf_band_p_values_are_uniform_under_uniform_ranks():
    # 200 independent sets of uniform ranks: the band test rejects at 5% in about 5% of them
    # (binomial SE 1.5%, so 0-12% accepts a calibrated test and rejects one twice too liberal).
    rng = np.random.default_rng(7)
    tests = [ecdf_band_test(rng.integers(0, 20, 60), 19, n_sim=300, seed=k) for k in range(200)]
    rejected = np.mean([t.outside for t in tests])
    assert rejected <= 0.12
    assert np.mean([t.p_value <= 0.05 for t in tests]) <= 0.12
    # Within a test the band holds the expected ECDF and lies within [0, 1].
    band = tests[0]
    assert (band.lower <= band.z).all() and (band.z <= band.upper).all()
    assert (band.lower >= 0).all() and (band.upper <= 1).all()


def test_ecdf_band_detects_overdispersion_and_bias_that_bins_can_miss():
    rng = np.random.default_rng(8)
    L, n = 99, 200
    # Too-wide posterior: ranks bunch in the middle.
    middle = np.clip(np.round(rng.normal(L / 2, L / 6, n)), 0, L).astype(int)
    result = ecdf_band_test(middle, L)
    assert result.outside and result.p_value < 0.01
    # A small shift of every rank (biased posterior) bends the ECDF one way.
    shifted = np.minimum(rng.integers(0, L + 1, n) + 12, L)
    assert ecdf_band_test(shifted, L).p_value < 0.01
    # Uniform ranks of the same size stay inside.
    assert not ecdf_band_test(rng.integers(0, L + 1, n), L, seed=1).outside


def test_ecdf_band_is_reproducible_and_checks_inputs():
    ranks = np.random.default_rng(9).integers(0, 50, 80)
    first, again = ecdf_band_test(ranks, 49, seed=3), ecdf_band_test(ranks, 49, seed=3)
    assert (first.p_value, first.gamma) == (again.p_value, again.gamma)
    with pytest.raises(BayeslmeError, match="0..49"):
        ecdf_band_test(np.array([0, 50]), 49)
    with pytest.raises(BayeslmeError, match="non-empty"):
        ecdf_band_test(np.array([], dtype=int), 49)
    with pytest.raises(BayeslmeError, match="alpha"):
        ecdf_band_test(ranks, 49, alpha=1.5)


def test_sbc_table_reports_both_uniformity_tests_and_coverage():
    rng = np.random.default_rng(10)
    ranks = pd.DataFrame({"a": rng.integers(0, 100, 120), "b": np.full(120, 50)})
    table = SBCResult(ranks, 99, pd.DataFrame({"divergences": np.zeros(120, dtype=int)})).table(ecdf_sims=300)
    assert list(table.columns) == ["chi2_p", "ecdf_p", "ecdf_out", "cover50", "se50", "cover90", "se90"]
    assert table.loc["b", "ecdf_out"] and table.loc["b", "cover90"] == 1.0
    assert table.loc["a", "ecdf_p"] > 0.01
