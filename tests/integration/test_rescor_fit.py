"""Small AR(1) and cosy fits: recovery of the residual correlation and its effect on new draws.

Tables, predictions, plots, report and refusals of an AR(1) fit run on synthetic draws:
tests/unit/test_rescor.py (save/load: tests/unit/test_io.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl

TRUE_AR = 0.6


@pytest.fixture(scope="module")
def sim():
    return bl.simulate.blood_pressure_ar1(n_patients=12, n_days=16, ar=TRUE_AR, missing=0.1, seed=5)


@pytest.fixture(scope="module")
def ar_fit(sim):
    model = bl.LMM("bp ~ treated + day + (1 | patient) + ar(day, patient)", sim.data)
    return model.fit(draws=150, tune=200, chains=2, random_seed=3, progressbar=False)


def test_ar_recovered_in_90_interval(ar_fit):
    # about 170 lag-one pairs give a posterior SD near 0.09; the 90% interval is about +-0.15
    # wide. Data seed 5: a long fit (2 x 1000 draws, R-hat 1.008) puts the posterior median at
    # 0.615 and the 90% interval at 0.47-0.77, so the truth sits centrally and the short
    # chains here (ar mixes slowly: bulk ESS ~ 30-70) cannot push it out by chance. With data
    # seed 4 the long-fit 5% quantile was 0.58, too close to 0.6 for a short-chain test.
    draws = ar_fit.draws("ar").reshape(-1)
    low, high = np.quantile(draws, [0.05, 0.95])
    assert low < TRUE_AR < high
    assert ar_fit.info["method"] == "noncentered"


def test_log_likelihood_and_posterior_predictive(ar_fit, sim):
    log_lik = ar_fit.log_likelihood(store=False)
    assert log_lik.shape == (2, 150, ar_fit.spec.n_obs)
    assert np.isfinite(log_lik.values).all()
    replicated = ar_fit.posterior_predictive(random_seed=1, store=False).values.reshape(300, -1)
    # replicated residual series must be autocorrelated like the data
    mean = ar_fit.predict(kind="mean", summary=False).values.reshape(300, -1)
    prev = ar_fit.design.rescor.prev
    has = prev >= 0
    resid = replicated - mean
    lag1 = np.mean([np.corrcoef(r[has], r[prev[has]])[0, 1] for r in resid])
    assert 0.35 < lag1 < 0.85


def test_new_series_get_autocorrelated_residuals(ar_fit):
    # 300 draws of a new patient's 12 consecutive days: the lag-one correlation of the residual
    # draws estimates ar (posterior mean ~0.55) with SE ~0.02 after pooling 11 lags; independent
    # residuals would give ~0.
    new = pd.DataFrame({"patient": "new", "day": np.arange(12.0), "treated": 0.0})
    response = ar_fit.predict(new, kind="response", summary=False, random_seed=5).values.reshape(300, 12)
    mean = ar_fit.predict(new, kind="mean", summary=False, random_seed=5).values.reshape(300, 12)
    residual = response - mean  # same seed: the same group-effect draws for the new patient
    lag_one = np.mean([np.corrcoef(residual[:, t], residual[:, t + 1])[0, 1] for t in range(11)])
    assert lag_one > 0.3


def test_cosy_dyads_smoke():
    # Dyads: both partners of a couple on the same day share a residual correlation.
    rng = np.random.default_rng(5)
    couples, days, rho = 10, 4, 0.5
    cov = np.array([[1.0, rho], [rho, 1.0]])
    e = rng.multivariate_normal([0, 0], cov, size=couples * days).reshape(-1)
    frame = {
        "couple": np.repeat(np.arange(couples), 2 * days),
        "day": np.tile(np.repeat(np.arange(days), 2), couples),
        "partner": np.tile([0, 1], couples * days),
    }
    data = pd.DataFrame(frame).assign(y=lambda d: 2.0 + 0.5 * d["partner"] + e)
    fit = bl.LMM("y ~ partner + (1 | couple) + cosy(gr = couple:day)", data).fit(
        draws=100, tune=150, chains=2, random_seed=2, progressbar=False
    )
    assert fit.spec.priors["cosy"] == bl.Prior("uniform", lower=-1.0, upper=1.0)
    assert ("Residual", "cosy", "") in fit.variance_components().index
    assert np.isfinite(fit.log_likelihood(store=False).values).all()
    replicated = fit.posterior_predictive(random_seed=0, store=False)
    assert replicated.shape == (2, 100, len(data))
    # 40 pairs give a posterior SD near 0.12 for the correlation; 0.45 is almost 4 SDs
    assert abs(float(fit.draws("cosy").mean()) - rho) < 0.45
    # a new group larger than any fitted one: a correlation of -0.9 is valid for pairs only
    triple = pd.DataFrame({"couple": [99] * 3, "day": [0] * 3, "partner": [0, 1, 1]})
    assert np.isfinite(fit.predict(triple, kind="response", summary=False, random_seed=1).values).all()
    fit.idata.posterior["cosy"][:] = -0.9
    with pytest.raises(bl.errors.DataError, match="more than the largest fitted group"):
        fit.predict(triple, kind="response")
