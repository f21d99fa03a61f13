"""Family hooks against scipy and hand calculations; latent-scale R²/ICC vs performance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from bayeslme.errors import FamilyError
from bayeslme.families import FAMILIES, expected_count, get_family, inverse_link, link_function
from bayeslme.formula.design import build_design
from bayeslme.formula.parse import parse_formula
from bayeslme.results.latent import fixed_variance, latent_r2, latent_variances
from tests.conftest import DATA, reference

RNG = np.random.default_rng(0)
Y_COUNT = np.array([0.0, 1.0, 3.0, 7.0])
MU = np.array([[0.5, 1.5, 2.0, 6.0], [1.0, 1.0, 4.0, 9.0]])


@pytest.mark.parametrize("link", ["identity", "logit", "probit", "log"])
def test_link_round_trip(link):
    mu = np.array([0.1, 0.5, 0.9])
    assert_allclose(inverse_link(link, link_function(link, mu)), mu)


def test_inverse_links_by_hand():
    assert_allclose(inverse_link("logit", np.array([0.0, np.log(3)])), [0.5, 0.75])
    assert_allclose(inverse_link("probit", np.array([0.0, 1.0])), [0.5, stats.norm.cdf(1.0)])
    assert_allclose(inverse_link("log", np.array([0.0, 1.0])), [1.0, np.e])


def test_unknown_link_and_family():
    with pytest.raises(FamilyError, match="unknown link 'cloglog'"):
        inverse_link("cloglog", np.zeros(2))
    with pytest.raises(FamilyError, match="unknown family 'weibull'.*bernoulli"):
        get_family("weibull")


@pytest.mark.parametrize(
    ("family", "link"), [("poisson", "logit"), ("bernoulli", "log"), ("gaussian", "log"), ("binomial", "log")]
)
def test_unsupported_link(family, link):
    with pytest.raises(FamilyError, match=f"family '{family}' does not support link '{link}'"):
        get_family(family).check_link(link)


def test_default_links():
    expected = {
        "gaussian": "identity",
        "student_t": "identity",
        "bernoulli": "logit",
        "binomial": "logit",
        "poisson": "log",
        "negativebinomial": "log",
        "gamma": "log",
        "lognormal": "identity",
        "beta": "logit",
        "zero_inflated_poisson": "log",
        "zero_inflated_negativebinomial": "log",
        "hurdle_poisson": "log",
        "hurdle_negativebinomial": "log",
        "cumulative": "logit",
    }
    assert {name: family.default_link() for name, family in FAMILIES.items()} == expected


def test_parameters_and_priors_agree():
    y = np.array([1.0, 2.0, 4.0])
    for family in FAMILIES.values():
        assert set(family.family_priors(y)) == set(family.parameters())
    nu = get_family("student_t").family_priors(y)["nu"]
    assert (nu.dist, nu["alpha"], nu["beta"]) == ("gamma", 2.0, 0.1)


def test_log_likelihood_matches_scipy():
    sigma, nu, alpha = np.array([[1.5], [0.7]]), np.array([[3.0], [12.0]]), np.array([[0.8], [4.0]])
    y = Y_COUNT
    cases = {
        "gaussian": stats.norm.logpdf(y, MU, sigma),
        "student_t": stats.t.logpdf(y, nu, MU, sigma),
        "poisson": stats.poisson.logpmf(y, MU),
        # scipy's nbinom(n, p): n = alpha, p = alpha / (alpha + mu)
        "negativebinomial": stats.nbinom.logpmf(y, alpha, alpha / (alpha + MU)),
    }
    params = {"sigma": sigma, "nu": nu, "alpha": alpha}
    for name, expected in cases.items():
        assert_allclose(get_family(name).log_likelihood(y, MU, params), expected, err_msg=name)


def test_log_likelihood_binary_and_binomial():
    p = np.array([[0.2, 0.5, 0.9], [0.0, 0.5, 1.0]])
    y = np.array([0.0, 1.0, 1.0])
    assert_allclose(get_family("bernoulli").log_likelihood(y, p, {}), stats.bernoulli.logpmf(y, p))
    trials = np.array([5.0, 3.0, 10.0])
    successes = np.array([0.0, 2.0, 10.0])
    assert_allclose(
        get_family("binomial").log_likelihood(successes, p, {}, trials=trials),
        stats.binom.logpmf(successes, trials, p),
    )
    with pytest.raises(FamilyError, match="needs the number of trials"):
        get_family("binomial").log_likelihood(successes, p, {})


@pytest.mark.parametrize(
    ("name", "params", "mean", "variance"),
    [
        ("gaussian", {"sigma": 2.0}, 3.0, 4.0),
        ("student_t", {"sigma": 1.0, "nu": 5.0}, 3.0, 5.0 / 3.0),
        ("bernoulli", {}, 0.3, 0.21),
        ("poisson", {}, 4.0, 4.0),
        ("negativebinomial", {"alpha": 2.0}, 4.0, 4.0 + 16.0 / 2.0),
    ],
)
def test_draw_response_moments(name, params, mean, variance):
    # 200k draws: SE of the mean ~ sqrt(var / 2e5) < 0.01; of the variance a few percent at most.
    draws = get_family(name).draw_response(np.full((2, 100_000), mean), params, np.random.default_rng(1))
    assert_allclose(draws.mean(), mean, atol=0.03)
    assert_allclose(draws.var(), variance, rtol=0.05)


def test_draw_binomial_uses_trials():
    draws = get_family("binomial").draw_response(
        np.full((4000, 2), 0.25), {}, np.random.default_rng(2), trials=np.array([4.0, 40.0])
    )
    assert draws.max(axis=0).tolist() <= [4.0, 40.0]
    assert_allclose(draws.mean(axis=0), [1.0, 10.0], rtol=0.05)


def test_latent_residual_variance_by_hand():
    bern = get_family("bernoulli")
    assert_allclose(bern.latent_residual_variance({}, link="logit"), np.pi**2 / 3)
    assert_allclose(bern.latent_residual_variance({}, link="probit"), 1.0)
    assert_allclose(get_family("binomial").latent_residual_variance({}), np.pi**2 / 3)
    assert_allclose(get_family("gaussian").latent_residual_variance({"sigma": np.array([2.0])}), [4.0])
    t = get_family("student_t").latent_residual_variance(
        {"sigma": np.array([2.0, 2.0]), "nu": np.array([4.0, 1.5])}
    )
    assert_allclose(t, [4.0 * 4.0 / 2.0, np.inf])
    # Poisson, lognormal approximation: lambda = mean_i exp(eta_i + V_R / 2).
    eta = np.array([[0.0, np.log(3.0)], [1.0, 1.0]])
    v_random = np.array([0.5, 0.0])
    lam = np.array([(np.exp(0.25) + 3.0 * np.exp(0.25)) / 2, np.e])
    assert_allclose(expected_count(eta, v_random), lam)
    pois = get_family("poisson").latent_residual_variance({}, eta, random_variance=v_random)
    assert_allclose(pois, np.log(1 + 1 / lam))
    alpha = np.array([2.0, 0.5])
    nb = get_family("negativebinomial").latent_residual_variance(
        {"alpha": alpha}, eta, random_variance=v_random
    )
    assert_allclose(nb, np.log(1 + 1 / lam + 1 / alpha))
    with pytest.raises(FamilyError, match="needs eta"):
        get_family("poisson").latent_residual_variance({})


def test_response_scale_for_links():
    y = np.array([0.0, 1.0, 1.0, 1.0])
    center, scale = get_family("bernoulli").response_scale(y, "logit")
    assert_allclose((center, scale), (np.log(3.0), 1.0))
    center, _ = get_family("binomial").response_scale(
        np.array([1.0, 3.0]), "probit", trials=np.array([4.0, 4.0])
    )
    assert_allclose(center, stats.norm.ppf(0.5))
    center, _ = get_family("poisson").response_scale(np.array([2.0, 6.0]), "log", offset=np.log([1.0, 3.0]))
    assert_allclose(center, np.log(8.0 / 4.0))
    # all-zero counts: rate clipped at 0.01 rather than log(0)
    assert_allclose(get_family("poisson").response_scale(np.zeros(3), "log")[0], np.log(0.01))


def test_cbpp_r2_and_icc_match_performance():
    """glmer's point estimates through our formulas give performance::r2_nakagawa and icc."""
    ref = reference("cbpp_lme4")
    data = pd.read_csv(DATA / "cbpp.csv", dtype={"herd": str, "period": str})
    design = build_design(parse_formula(ref["formula"]), data, family="binomial")
    b = np.array([v["estimate"] for v in ref["fixed_effects"].values()])
    v_random = np.array(ref["variance_components"]["sd"]["herd"]["(Intercept)"] ** 2)
    expected = ref["performance"]
    assert_allclose(fixed_variance(design.X, b), expected["insight_get_variance"]["var.fixed"][0], rtol=1e-6)
    parts = latent_variances(get_family("binomial"), "logit", design.X, b, v_random, {})
    assert_allclose(parts.residual, expected["insight_get_variance"]["var.distribution"][0], rtol=1e-6)
    marginal, conditional = parts.r2()
    assert_allclose(marginal, expected["r2_nakagawa"]["marginal"], rtol=1e-6)
    assert_allclose(conditional, expected["r2_nakagawa"]["conditional"], rtol=1e-6)
    assert_allclose(parts.icc(), expected["icc"]["ICC_adjusted"], rtol=1e-6)


def test_poisson_r2_by_hand():
    """No R here: reference values computed by hand from Nakagawa et al. (2017), eqs. for Poisson."""
    X = np.column_stack([np.ones(4), [-1.0, 0.0, 1.0, 2.0]])
    b = np.array([0.5, 0.3])
    v_random = 0.4
    parts = latent_variances(get_family("poisson"), "log", X, b, v_random, {})
    # V_F = var(0.3 * x) with n - 1 = 3: x has variance 5/3, so 0.09 * 5/3 = 0.15.
    assert_allclose(parts.fixed, 0.15)
    lam = np.mean(np.exp(0.5 + 0.3 * np.array([-1.0, 0.0, 1.0, 2.0]) + 0.2))
    v_d = np.log(1 + 1 / lam)
    assert_allclose(parts.residual, v_d)
    marginal, conditional = latent_r2(parts.fixed, parts.random, parts.residual)
    assert_allclose(marginal, 0.15 / (0.55 + v_d))
    assert_allclose(conditional, 0.55 / (0.55 + v_d))
