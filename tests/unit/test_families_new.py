"""The families of issue 21 against scipy: densities, draws, expected values, response checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import bayeslme as bl
from bayeslme.errors import FamilyError
from bayeslme.families import FAMILIES, get_family

Y_COUNT = np.array([0.0, 0.0, 1.0, 3.0, 7.0])
MU = np.array([[0.5, 2.0, 1.5, 2.0, 6.0], [1.0, 0.1, 1.0, 4.0, 9.0]])
ZI, ALPHA = np.array([[0.3], [0.6]]), np.array([[0.8], [4.0]])


def _nb(y, mu, alpha):
    return stats.nbinom.logpmf(y, alpha, alpha / (alpha + mu))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # zero-inflated: P(0) = zi + (1 - zi) f(0), P(y) = (1 - zi) f(y)
        (
            "zero_inflated_poisson",
            np.where(
                Y_COUNT == 0,
                np.log(ZI + (1 - ZI) * stats.poisson.pmf(0, MU)),
                np.log(1 - ZI) + stats.poisson.logpmf(Y_COUNT, MU),
            ),
        ),
        (
            "zero_inflated_negativebinomial",
            np.where(
                Y_COUNT == 0,
                np.log(ZI + (1 - ZI) * np.exp(_nb(0, MU, ALPHA))),
                np.log(1 - ZI) + _nb(Y_COUNT, MU, ALPHA),
            ),
        ),
        # hurdle: P(0) = hu, P(y) = (1 - hu) f(y) / (1 - f(0))
        (
            "hurdle_poisson",
            np.where(
                Y_COUNT == 0,
                np.log(ZI) + 0 * MU,
                np.log(1 - ZI) + stats.poisson.logpmf(Y_COUNT, MU) - np.log(stats.poisson.sf(0, MU)),
            ),
        ),
        (
            "hurdle_negativebinomial",
            np.where(
                Y_COUNT == 0,
                np.log(ZI) + 0 * MU,
                np.log(1 - ZI) + _nb(Y_COUNT, MU, ALPHA) - np.log1p(-np.exp(_nb(0, MU, ALPHA))),
            ),
        ),
    ],
)
def test_zero_models_match_scipy(name, expected):
    params = {"zi": ZI, "hu": ZI, "alpha": ALPHA}
    assert_allclose(get_family(name).log_likelihood(Y_COUNT, MU, params), expected, rtol=1e-12)
    # a pmf: the masses of 0..400 add up to 1 for every draw
    support = np.arange(400.0)
    mass = np.exp(get_family(name).log_likelihood(support, np.full((2, 400), 3.0), params)).sum(axis=1)
    assert_allclose(mass, 1.0, rtol=1e-10)


def test_continuous_families_match_scipy():
    y = np.array([0.2, 1.0, 3.5])
    mu, shape, sigma = np.array([[0.5, 1.0, 2.0]]), np.array([[3.0]]), np.array([[0.6]])
    gamma = get_family("gamma").log_likelihood(y, mu, {"shape": shape})
    assert_allclose(gamma, stats.gamma.logpdf(y, shape, scale=mu / shape))
    lognormal = get_family("lognormal").log_likelihood(y, np.log(mu), {"sigma": sigma})
    assert_allclose(lognormal, stats.lognorm.logpdf(y, sigma, scale=mu))
    p, phi = np.array([[0.1, 0.5, 0.8]]), np.array([[7.0]])
    y01 = np.array([0.05, 0.5, 0.97])
    beta = get_family("beta").log_likelihood(y01, p, {"phi": phi})
    assert_allclose(beta, stats.beta.logpdf(y01, p * phi, (1 - p) * phi))


@pytest.mark.parametrize(
    ("name", "params", "mu", "mean", "variance"),
    [
        ("gamma", {"shape": 4.0}, 2.0, 2.0, 4.0 / 4.0),
        ("lognormal", {"sigma": 0.5}, 0.0, np.exp(0.125), (np.exp(0.25) - 1) * np.exp(0.25)),
        ("beta", {"phi": 9.0}, 0.3, 0.3, 0.21 / 10.0),
        # zero-inflated Poisson: mean (1 - zi) mu, variance (1 - zi) mu (1 + zi mu)
        ("zero_inflated_poisson", {"zi": 0.25}, 4.0, 3.0, 0.75 * 4.0 * (1 + 1.0)),
        # hurdle Poisson: mean (1 - hu) mu / (1 - exp(-mu)); variance from E[y^2] of the truncated part
        (
            "hurdle_poisson",
            {"hu": 0.5},
            2.0,
            0.5 * 2.0 / (1 - np.exp(-2.0)),
            0.5 * (2.0 + 4.0) / (1 - np.exp(-2.0)) - (0.5 * 2.0 / (1 - np.exp(-2.0))) ** 2,
        ),
    ],
)
def test_draws_have_the_families_moments(name, params, mu, mean, variance):
    # 200k draws: SE of the mean below 0.01 (variances up to 8); the variance within a few percent.
    family = get_family(name)
    draws = family.draw_response(np.full((2, 100_000), mu), params, np.random.default_rng(1))
    assert_allclose(family.mean(np.array(mu), params), mean, rtol=1e-12)
    assert_allclose(draws.mean(), mean, atol=0.03)
    assert_allclose(draws.var(), variance, rtol=0.05)
    if family.support == "count":
        assert (draws % 1 == 0).all() and draws.min() == 0


def test_hurdle_draws_zeros_only_from_the_hurdle():
    family = get_family("hurdle_negativebinomial")
    params = {"hu": np.array([[0.2]]), "alpha": np.array([[1.5]])}
    draws = family.draw_response(np.full((1, 200_000), 0.3), params, np.random.default_rng(3))
    # SE of a proportion near 0.2 with 200k draws: 0.0009.
    assert abs((draws == 0).mean() - 0.2) < 0.004


@pytest.mark.parametrize(
    ("family", "values", "message"),
    [
        ("gamma", [1.0, 0.0, 2.0, -1.0], r"positive response; 'y' is zero or negative in rows \[1, 3\]"),
        ("lognormal", [1.0, 0.0, 2.0, 3.0], r"positive response; 'y' is zero or negative in rows \[1\]"),
        ("beta", [0.5, 1.0, 0.2, 0.0], r"strictly between 0 and 1; 'y' .* rows \[1, 3\].*Smithson"),
        ("zero_inflated_poisson", [0.0, 1.5, 2.0, 1.0], r"non-integer values \[1.5\] in rows \[1\]"),
        ("hurdle_negativebinomial", [0.0, -1.0, 2.0, 1.0], r"negative values \[-1.0\] in rows \[1\]"),
    ],
)
def test_bad_responses_name_their_rows(family, values, message):
    frame = pd.DataFrame({"y": values * 3, "x": np.arange(12.0), "g": list("aabbccddeeff")})
    frame.loc[4:, "y"] = frame["y"].iloc[0]  # only rows 0-3 carry the bad values
    with pytest.raises(FamilyError, match=message):
        bl.GLMM("y ~ x + (1 | g)", frame, family=family)


def test_families_without_a_latent_scale_say_so():
    for name in ("beta", "zero_inflated_poisson", "hurdle_negativebinomial"):
        family = get_family(name)
        assert not family.has_latent_scale
        with pytest.raises(FamilyError, match="not defined .*Nakagawa"):
            family.latent_residual_variance({})
    gamma = get_family("gamma").latent_residual_variance({"shape": np.array([4.0])})
    assert_allclose(gamma, np.log1p(0.25))  # ln(1 + CV^2), CV^2 = 1 / shape


def test_brms_spellings_and_priors():
    assert get_family("zero_inflated_negbinomial").name == "zero_inflated_negativebinomial"
    assert get_family("hurdle_negbinomial").parameters() == ("alpha", "hu")
    priors = get_family("zero_inflated_poisson").family_priors(np.array([0.0, 2.0]))
    assert (priors["zi"].dist, priors["zi"]["lower"], priors["zi"]["upper"]) == ("uniform", 0.0, 1.0)
    assert str(get_family("gamma").family_priors()["shape"]) == "gamma(0.01, 0.01)"  # brms's default


def _ordinal_model():
    rng = np.random.default_rng(4)
    g = np.repeat([f"g{k}" for k in range(6)], 10)
    x = rng.normal(3.0, 1.0, g.size)  # far from 0: centring matters
    y = 1 + np.searchsorted([2.0, 3.0, 4.0], x + rng.logistic(size=g.size))
    return bl.GLMM("y ~ x + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": g}), family="cumulative")


def test_ordinal_thresholds_are_sampled_at_the_predictors_means():
    """``thresholds = thresholds_centered + mean(x) b``, and the density is that of the
    uncentred predictor with those thresholds (the parametrization only moves what is sampled)."""
    from bayeslme.backend.pymc_model import build_pymc_model

    model = _ordinal_model()
    pm_model = build_pymc_model(model.spec, model.design)
    assert "thresholds_centered" in {v.name for v in pm_model.free_RVs}
    rng = np.random.default_rng(0)
    point = {k: v + rng.normal(scale=0.2, size=np.shape(v)) for k, v in pm_model.initial_point().items()}
    names = ["thresholds", "thresholds_centered", "b", "g__u"]
    outputs = [pm_model.observedlogp] + pm_model.replace_rvs_by_values([pm_model[n] for n in names])
    fn = pm_model.compile_fn(outputs, inputs=pm_model.value_vars, point_fn=True, mode="FAST_COMPILE")
    logp, thresholds, centred, b, u = fn(point)
    x_mean = model.design.X[:, 0].mean()
    assert_allclose(thresholds, centred + x_mean * b[0], rtol=1e-12)
    eta = model.design.X @ b + u[model.design.factors[0].index, 0]
    expected = get_family("cumulative").log_likelihood(model.design.y, eta, {"thresholds": thresholds})
    assert logp == pytest.approx(expected.sum(), rel=1e-10)


def test_ordinal_prior_predictive_has_both_thresholds():
    prior = _ordinal_model().prior_predictive(50, random_seed=2)
    draws = prior.posterior
    assert draws["thresholds"].dims == ("chain", "draw", "threshold")
    # the prior (sorted iid draws) is on the centred ones; the reported ones are shifted by mean(x) b
    shift = draws["b"].values[..., 0] * _ordinal_model().design.X[:, 0].mean()
    assert_allclose(draws["thresholds"].values, draws["thresholds_centered"].values + shift[..., None])
    assert np.all(np.diff(draws["thresholds_centered"].values, axis=-1) > 0)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_the_mean_reads_only_the_parameters_it_declares(name):
    """``Family.mean_parameters`` is what ``mean`` reads: predictions of the mean skip the others'
    formulas (and new rows need not carry their columns)."""
    family = get_family(name)
    mu = np.array([0.2, 0.4, 0.7]) if family.support in ("binary", "unit") else np.array([0.5, 1.0, 2.0])
    values = {"sigma": 0.7, "nu": 5.0, "alpha": 2.0, "shape": 3.0, "phi": 8.0, "zi": 0.3, "hu": 0.4}
    values["thresholds"] = np.array([-1.0, 0.5, 2.0])
    declared = {k: v for k, v in values.items() if k in family.mean_parameters()}
    assert set(family.mean_parameters()) <= set(family.parameters())
    assert_allclose(
        family.mean(mu[:, None] if name == "cumulative" else mu, declared),
        family.mean(mu[:, None] if name == "cumulative" else mu, {**values, **declared}),
    )
