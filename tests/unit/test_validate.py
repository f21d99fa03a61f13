"""SBC building blocks: prior draws, simulation, rank statistics (no MCMC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import PriorError
from bayeslme.validate import (
    coverage,
    draw_parameters,
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
