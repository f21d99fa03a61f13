"""Parameters drawn from a model's priors (LKJ, families) and responses simulated on its design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import PriorError
from bayeslme.validate import draw_parameters, lkj_correlation, simulate_response, true_values


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


def many_groups(formula, priors=None, n_groups=4000):
    rng = np.random.default_rng(0)
    g = np.repeat([f"g{k}" for k in range(n_groups)], 4)
    t = pd.Categorical(np.tile(["t1", "t2", "t3", "t4"], n_groups))
    data = pd.DataFrame({"g": g, "t": t, **{c: rng.normal(size=g.size) for c in ("y", "x", "z", "w")}})
    return bl.LMM(formula, data, priors=priors)


@pytest.mark.parametrize(
    ("formula", "priors"),
    [
        # rho kept away from 0 so that a block misplaced or left uncorrelated shows.
        ("y ~ t + ar1(0 + t | g)", {"rho[g]": bl.Prior("uniform", lower=0.5, upper=0.9)}),
        ("y ~ t + cs(0 + t | g)", {"rho[g]": bl.Prior("uniform", lower=0.4, upper=0.8)}),
        ("y ~ x + (1 | g) + (0 + x + z | g)", None),
        ("y ~ x + z + w + (1 + x | g) + (0 + z + w | g)", None),
    ],
)
def test_group_effects_have_the_drawn_sds_and_block_correlations(formula, priors):
    model = many_groups(formula, priors)
    factor = model.spec.factors[0]
    params = draw_parameters(model.spec, np.random.default_rng(11))
    u, sd = params[factor.u_var], params[factor.sd_var]
    # The correlation the draw reports: its cors on the blocks' pairs, 0 between blocks.
    position = {effect: i for i, effect in enumerate(factor.effects)}
    expected = np.eye(len(factor.effects))
    for (a, b), r in zip(factor.pairs(), params.get(factor.cor_var, ()), strict=True):
        expected[position[a], position[b]] = expected[position[b], position[a]] = r
    # Over n independent levels the sample SD of normal effects has SE sd / sqrt(2 n), and a
    # sample correlation SE (1 - r^2) / sqrt(n) <= 1 / sqrt(n): 5 SE each (0.056 and 0.079 at
    # n = 4000), far below the 0.4 of a misplaced cs/ar1 block.
    n = u.shape[0]
    np.testing.assert_allclose(u.std(axis=0) / sd, 1, atol=5 / np.sqrt(2 * n))
    np.testing.assert_allclose(np.corrcoef(u.T), expected, atol=5 / np.sqrt(n))


def test_structured_blocks_report_their_structure():
    rng = np.random.default_rng(12)
    ar1 = many_groups("y ~ t + ar1(0 + t | g)", n_groups=3)
    cs = many_groups("y ~ t + cs(0 + t | g)", n_groups=3)
    for _ in range(5):
        # ar1: cor(t_i, t_j) = rho^|i - j|; pairs row-major: (1,2) (1,3) (1,4) (2,3) (2,4) (3,4).
        r = draw_parameters(ar1.spec, rng)["g__cor"]
        np.testing.assert_allclose(r, [r[0], r[0] ** 2, r[0] ** 3, r[0], r[0] ** 2, r[0]], rtol=1e-12)
        # cs: one rho for every pair, above -1 / (p - 1) = -1/3.
        r = draw_parameters(cs.spec, rng)["g__cor"]
        np.testing.assert_allclose(r, r[0], rtol=1e-12)
        assert -1 / 3 < r[0] < 1
