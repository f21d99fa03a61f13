"""R², LOO, model comparison and posterior predictive checks on the shared fit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import bayeslme as bl
from bayeslme.errors import BayeslmeError
from bayeslme.results.checks import log_likelihood_draws


def _quiet_loo(call):
    # sleepstudy has two or three influential rows (Pareto k > 0.7); arviz_stats warns about them.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto", category=UserWarning)
        return call()


def test_r2_table(sleepstudy_fit):
    table = sleepstudy_fit.r2()
    assert list(table.index) == ["marginal", "conditional", "bayes"]
    assert {"mean", "sd", "q2.5", "q97.5", "r_hat"} <= set(table.columns)
    assert np.all((table["q2.5"] > 0) & (table["q97.5"] < 1))
    assert table.loc["marginal", "mean"] < table.loc["conditional", "mean"]


def test_log_likelihood_is_gaussian_density_of_conditional_means(sleepstudy_fit):
    log_lik = log_likelihood_draws(sleepstudy_fit)
    assert log_lik.shape == (4, 500, 180)
    mean = sleepstudy_fit.predict(summary=False).values
    sigma = sleepstudy_fit.draws("sigma")[..., None]
    assert_allclose(log_lik, stats.norm.logpdf(sleepstudy_fit.design.y, mean, sigma))


def test_loo_and_compare(sleepstudy_fit):
    loo = _quiet_loo(lambda: sleepstudy_fit.loo(pointwise=True))
    assert loo.n_data_points == 180
    # lme4's maximised log-likelihood is -871.8; elpd_loo must be below the in-sample lpd
    assert -900 < loo.elpd < -850
    assert loo.pareto_k.shape == (180,)
    table = _quiet_loo(lambda: bl.compare({"a": sleepstudy_fit, "b": sleepstudy_fit}))
    assert set(table.index) == {"a", "b"}
    assert_allclose(table["elpd_diff"], 0.0, atol=1e-8)


def test_compare_rejects_bad_input(sleepstudy_fit):
    with pytest.raises(BayeslmeError, match="at least two"):
        bl.compare({"a": sleepstudy_fit})


def test_posterior_predictive_stored_and_ppc(sleepstudy_fit):
    draws = sleepstudy_fit.posterior_predictive(random_seed=1, store=True)
    assert draws.dims == ("chain", "draw", "obs")
    assert "posterior_predictive" in sleepstudy_fit.idata.children
    table = sleepstudy_fit.ppc()
    assert list(table.index) == ["mean", "sd", "min", "median", "max"]
    # the mean and sd of the data are what a Gaussian LMM reproduces best
    assert 0.05 < table.loc["mean", "p_value"] < 0.95
    assert 0.05 < table.loc["sd", "p_value"] < 0.95
    assert table.loc["mean", "observed"] == pytest.approx(sleepstudy_fit.design.y.mean())
    # leave the shared session fit as other tests expect it
    del sleepstudy_fit.idata["posterior_predictive"]
    assert "posterior_predictive" not in sleepstudy_fit.idata.children


def test_loaded_fit_gives_same_r2_and_loo(sleepstudy_fit, tmp_path):
    path = tmp_path / "fit.nc"
    sleepstudy_fit.save(str(path))
    loaded = bl.load(str(path))
    assert_allclose(loaded.r2()["mean"], sleepstudy_fit.r2()["mean"])
    a = _quiet_loo(loaded.loo)
    b = _quiet_loo(sleepstudy_fit.loo)
    assert a.elpd == pytest.approx(b.elpd)


def test_stored_log_likelihood_works_with_arviz_directly(sleepstudy_fit):
    import arviz_stats

    values = sleepstudy_fit.log_likelihood(store=True)
    try:
        assert values.dims == ("chain", "draw", "obs")
        assert_allclose(values.values, log_likelihood_draws(sleepstudy_fit))
        direct = _quiet_loo(lambda: arviz_stats.loo(sleepstudy_fit.idata))
        assert direct.elpd == pytest.approx(_quiet_loo(sleepstudy_fit.loo).elpd)
    finally:
        del sleepstudy_fit.idata["log_likelihood"]
