"""LOO and posterior predictive checks of the shared fit: values that depend on the posterior.

R², log-likelihood and their bookkeeping run on synthetic draws: tests/unit/results/test_r2.py,
tests/unit/results/test_checks.py and tests/unit/test_io.py.
"""

from __future__ import annotations

import warnings

import pytest
from numpy.testing import assert_allclose

import bayeslme as bl


def _quiet_loo(call):
    # sleepstudy has two or three influential rows (Pareto k > 0.7); arviz_stats warns about them.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto", category=UserWarning)
        return call()


def test_loo_and_compare(sleepstudy_fit):
    loo = _quiet_loo(lambda: sleepstudy_fit.loo(pointwise=True))
    assert loo.n_data_points == 180
    # lme4's maximised log-likelihood is -871.8; elpd_loo must be below the in-sample lpd
    assert -900 < loo.elpd < -850
    assert loo.pareto_k.shape == (180,)
    table = _quiet_loo(lambda: bl.compare({"a": sleepstudy_fit, "b": sleepstudy_fit}))
    assert set(table.index) == {"a", "b"}
    assert_allclose(table["elpd_diff"], 0.0, atol=1e-8)


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
