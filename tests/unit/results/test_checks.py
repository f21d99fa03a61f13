"""Posterior predictive check table, the Gaussian log-likelihood hook and a fit's log-likelihood."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from bayeslme.families import get_family
from bayeslme.results.checks import log_likelihood_draws, ppc_table


def test_ppc_table_by_hand():
    y = np.array([1.0, 2.0, 3.0])
    replicated = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [0.0, 1.0, 2.0], [3.0, 3.0, 3.0]])
    table = ppc_table(y, replicated, prob=0.5)
    assert table.loc["mean", "observed"] == 2.0
    assert_allclose(table.loc["mean", "rep_mean"], np.mean([2.0, 3.0, 1.0, 3.0]))
    # T(yrep) >= T(y) for means [2, 3, 1, 3] vs 2: 3 of 4
    assert table.loc["mean", "p_value"] == 0.75
    assert table.loc["sd", "p_value"] == 0.75  # sds [1, 1, 1, 0] vs 1
    assert table.loc["max", "observed"] == 3.0
    assert {"rep_q25", "rep_q75"} <= set(table.columns)


def test_gaussian_log_likelihood_matches_scipy():
    y = np.array([0.5, -1.0, 2.0])
    mean = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 3.0]])
    sigma = np.array([[1.0], [2.0]])
    got = get_family("gaussian").log_likelihood(y, mean, {"sigma": sigma})
    assert_allclose(got, stats.norm.logpdf(y, mean, sigma))


# ---- on a fit (synthetic draws) ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def fit():
    import bayeslme as bl
    from tests.helpers import synthetic_fit

    data = bl.simulate.random_slopes(n_groups=6, n_per_group=5, seed=1).data
    return synthetic_fit(bl.LMM("y ~ x + (x | g)", data), chains=2, draws=50, seed=4)


def test_log_likelihood_is_gaussian_density_of_conditional_means(fit):
    log_lik = log_likelihood_draws(fit)
    assert log_lik.shape == (2, 50, 30)
    mean = fit.predict(summary=False).values
    sigma = fit.draws("sigma")[..., None]
    assert_allclose(log_lik, stats.norm.logpdf(fit.design.y, mean, sigma))


def test_compare_rejects_bad_input(fit):
    import bayeslme as bl
    from bayeslme.errors import BayeslmeError

    with pytest.raises(BayeslmeError, match="at least two"):
        bl.compare({"a": fit})


# 2 x 50 independent draws of noise: PSIS tails are unstable, and the warning says so.
@pytest.mark.filterwarnings("ignore:Estimated shape parameter of Pareto:UserWarning")
def test_stored_log_likelihood_works_with_arviz_directly(fit):
    import arviz_stats

    values = fit.log_likelihood(store=True)
    try:
        assert values.dims == ("chain", "draw", "obs")
        assert_allclose(values.values, log_likelihood_draws(fit))
        assert arviz_stats.loo(fit.idata).elpd == pytest.approx(fit.loo().elpd)
    finally:
        del fit.idata["log_likelihood"]
    assert "log_likelihood" not in fit.idata.children
