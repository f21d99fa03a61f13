"""Conditional Gaussian posterior of a new level's effects, importance weights, and Fit.personalize."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import bayeslme as bl
from bayeslme.errors import DataError
from bayeslme.results.personalize import conditional_group_effects, importance_weights
from tests.helpers import synthetic_fit


def test_conditional_posterior_matches_precision_form_and_marginal_density():
    rng = np.random.default_rng(0)
    Z = np.column_stack([np.ones(4), np.arange(4.0)])
    cov = np.array([[[30.0, 2.0], [2.0, 5.0]], [[10.0, -1.0], [-1.0, 2.0]]])
    resid_var = np.array([4.0, 9.0])
    residual = rng.normal(size=(2, 4)) * 5
    mean, post_cov, log_marginal = conditional_group_effects(residual, Z, cov, resid_var)
    for s in range(2):
        precision = np.linalg.inv(cov[s]) + Z.T @ Z / resid_var[s]
        expected_cov = np.linalg.inv(precision)
        assert_allclose(post_cov[s], expected_cov, rtol=1e-10)
        assert_allclose(mean[s], expected_cov @ Z.T @ residual[s] / resid_var[s], rtol=1e-10)
        V = Z @ cov[s] @ Z.T + resid_var[s] * np.eye(4)
        assert_allclose(log_marginal[s], stats.multivariate_normal(np.zeros(4), V).logpdf(residual[s]))


def test_equal_likelihoods_give_uniform_weights():
    weights, ess, _ = importance_weights(np.zeros(1000))
    assert_allclose(weights, 1e-3)
    assert ess == np.float64(1000.0) or abs(ess - 1000) < 1e-6


def test_weights_follow_likelihood_ratio():
    loglik = np.log(np.r_[np.full(500, 1.0), np.full(500, 3.0)])
    weights, ess, khat = importance_weights(loglik)
    assert_allclose(weights[500:].sum(), 0.75, atol=1e-6)
    # ESS = 1/sum w^2 = 1 / (500 (1/2000)^2 + 500 (3/2000)^2) = 800
    assert abs(ess - 800) < 1e-6
    assert khat < 0.7


def test_smoothed_weights_of_continuous_likelihoods():
    loglik = np.random.default_rng(1).normal(size=2000) * 0.5
    weights, ess, khat = importance_weights(loglik)
    assert_allclose(weights.sum(), 1.0)
    assert np.all(weights > 0)
    # light-tailed log-normal ratios: ESS close to 2000 / E[w^2]/E[w]^2 = 2000 / exp(0.25) ~ 1560
    assert 1300 < ess < 1800
    assert khat < 0.5


# ---- Fit.personalize on synthetic draws -------------------------------------------------------------
@pytest.fixture(scope="module")
def sim():
    return bl.simulate.random_slopes(n_groups=8, n_per_group=6, seed=2)


@pytest.fixture(scope="module")
def fit(sim):
    model = bl.LMM("y ~ x + (x | g)", sim.data)
    plain = synthetic_fit(model, chains=2, draws=100, seed=6)
    # centred near the simulation's intercept 5 and slope 2, so the importance weights are not degenerate
    b = plain.draws("b") * 0.2 + np.array([5.0, 2.0])
    return synthetic_fit(model, chains=2, draws=100, seed=6, posterior={"b": b})


def _rows(sim, level, label):
    rows = sim.data[sim.data["g"].astype(str) == level].copy()
    rows["g"] = label
    return rows


def test_personalized_predictions_for_future_rows(fit, sim):
    level = str(sim.data["g"].iloc[0])
    rows = _rows(sim, level, "new")
    person = fit.personalize(rows.iloc[:3], random_seed=2)
    assert person.level == "new" and person.factor == "g"
    future = rows.iloc[3:].drop(columns=["g", "y"])
    pred = person.predict(future)
    coef = person.coefficients()["mean"]
    assert_allclose(pred["mean"], coef["Intercept"] + coef["x"] * future["x"], rtol=1e-10)
    noisy = person.predict(future, kind="response", random_seed=3)
    assert (noisy["sd"] > pred["sd"]).all()


def test_personalize_errors(fit, sim):
    first, second = (str(v) for v in sim.data["g"].unique()[:2])
    rows = _rows(sim, first, "new")
    with pytest.raises(DataError, match=f"'{first}' of 'g' was in the fitted data"):
        fit.personalize(_rows(sim, first, first))
    two = pd.concat([rows.iloc[:2], _rows(sim, second, "other").iloc[:2]])
    with pytest.raises(DataError, match="one individual"):
        fit.personalize(two)
    with pytest.raises(DataError, match="response 'y'"):
        fit.personalize(rows.drop(columns="y"))
