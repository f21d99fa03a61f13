"""log_prior_dataset against the priors' densities computed by hand (synthetic draws, no MCMC)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import bayeslme as bl
from bayeslme.results.log_prior import lkj_logpdf, log_prior_dataset
from tests.helpers import synthetic_fit


def test_lkj_density_of_a_two_by_two_matrix():
    r = np.array([0.0, 0.5, -0.9])
    matrices = np.stack([np.array([[1.0, v], [v, 1.0]]) for v in r])
    np.testing.assert_allclose(lkj_logpdf(matrices, 1.0), 0.0)
    np.testing.assert_allclose(lkj_logpdf(matrices, 3.0), 2 * np.log(1 - r**2))


@pytest.fixture(scope="module")
def fit():
    model = bl.LMM(
        "Reaction ~ Days + (Days | Subject)",
        bl.datasets.sleepstudy(),
        priors={"cor": bl.Prior("lkj", eta=2.0), "sd[Subject|Days]": bl.Prior("exponential", lam=0.2)},
    )
    return synthetic_fit(model, draws=40, seed=2)


def test_each_parameter_by_hand(fit):
    spec, post = fit.spec, fit.posterior
    table = log_prior_dataset(spec, post)
    assert set(table.data_vars) == {"b", "Subject__sd", "Subject__cor", "sigma"}
    b = post["b"].values
    centred = b[..., 0] + spec.x_means[1] * b[..., 1]
    intercept, slope = spec.priors["Intercept"], spec.priors["b[Days]"]
    expected = stats.norm.logpdf(centred, intercept["mu"], intercept["sigma"]) + stats.norm.logpdf(
        b[..., 1], slope["mu"], slope["sigma"]
    )
    np.testing.assert_allclose(table["b"].values, expected)
    sd = post["Subject__sd"].values
    half_t = spec.priors["sd[Subject|Intercept]"]
    expected_sd = np.log(2) + stats.t.logpdf(sd[..., 0], half_t["nu"], 0, half_t["sigma"])
    expected_sd += stats.expon.logpdf(sd[..., 1], scale=5.0)
    np.testing.assert_allclose(table["Subject__sd"].values, expected_sd)
    r = post["Subject__cor"].values[..., 0]
    np.testing.assert_allclose(table["Subject__cor"].values, np.log(1 - r**2))


def test_fit_stores_the_group_and_psense_reads_it(fit):
    dataset = fit.log_prior(store=False)
    assert "log_prior" not in fit.idata.children
    assert dataset["b"].dims == ("chain", "draw")
    summary = fit.prior_sensitivity()
    assert list(summary.columns[:2]) == ["prior", "likelihood"]
    assert list(summary.index) == [
        "b[Intercept]",
        "b[Days]",
        "sd[Subject|Intercept]",
        "sd[Subject|Days]",
        "cor[Subject|Intercept, Days]",
        "sigma",
    ]
