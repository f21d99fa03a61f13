"""model.prior_predictive: PyMC's layout, the posterior's names and dims, a fit's tables and plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import bayeslme as bl
from bayeslme.errors import BayeslmeError, PriorError
from tests.helpers import synthetic_fit


@pytest.fixture(scope="module")
def model():
    return bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy())


@pytest.fixture(scope="module")
def prior(model):
    return model.prior_predictive(300, random_seed=4)


def test_layout_is_pymcs_with_the_posteriors_names(model, prior):
    assert list(prior.idata.children) == ["prior", "prior_predictive", "observed_data"]
    posterior = synthetic_fit(model, draws=5).posterior
    for name in ("b", "Subject__sd", "Subject__cor", "Subject__u", "sigma"):
        assert prior.posterior[name].dims == posterior[name].dims, name
    assert prior.idata["prior_predictive"]["y"].shape == (1, 300, 180)
    np.testing.assert_array_equal(prior.idata["observed_data"]["y"], model.design.y)


def test_same_seed_same_draws(model, prior):
    again = model.prior_predictive(300, random_seed=4)
    np.testing.assert_array_equal(again.idata["prior_predictive"]["y"], prior.idata["prior_predictive"]["y"])
    other = model.prior_predictive(300, random_seed=5)
    assert not np.array_equal(other.draws("b"), prior.draws("b"))


def test_draws_follow_the_priors(model):
    prior = model.prior_predictive(4000, random_seed=0)
    spec = model.spec
    # Scale of b[Days]: the prior normal's sigma; 4000 draws give its SD to about 1.1%.
    assert prior.draws("b")[..., 1].std() == pytest.approx(spec.priors["b[Days]"]["sigma"], rel=0.05)
    # The centred intercept is the mean response at the mean day; its prior mean is mu, and the
    # simulated responses' grand mean has the same expectation (its SD over draws is about
    # 2.5 s_y, so the mean of 4000 draws is within 4 * 2.5 s_y / 63 of mu).
    y = prior.idata["prior_predictive"]["y"].values.mean(axis=-1)
    mu, scale = spec.priors["Intercept"]["mu"], spec.priors["Intercept"]["sigma"]
    assert abs(y.mean() - mu) < 4 * 1.2 * scale / np.sqrt(4000)


def test_a_prior_fit_has_a_fits_tables_and_plots(prior):
    table = prior.ppc()
    assert list(table.index) == ["mean", "sd", "min", "median", "max"]
    assert prior.r2().shape[0] == 3
    assert prior.predictions({"Days": [0, 9]}).shape[0] == 2
    assert prior.plot.ppc() is not None
    assert "prior draws (300)" in repr(prior)
    with pytest.raises(BayeslmeError, match="not a Markov chain"):
        prior.diagnostics  # noqa: B018
    with pytest.raises(BayeslmeError, match="not saved"):
        prior.save("x.nc")


def test_improper_and_unsupported_requests_are_named():
    data = bl.datasets.sleepstudy()
    flat = bl.LMM("Reaction ~ Days + (1 | Subject)", data, priors={"b[Days]": bl.Prior("flat")})
    with pytest.raises(PriorError, match=r"these are flat: \['b\[Days\]'\]"):
        flat.prior_predictive()
    with pytest.raises(BayeslmeError, match="draws must be a positive integer"):
        flat.prior_predictive(0)
    series = bl.LMM("Reaction ~ Days + (1 | Subject) + ar(Days, Subject)", data)
    with pytest.raises(BayeslmeError, match="residual correlation of ar"):
        series.prior_predictive()


def test_binomial_responses_are_counts_within_trials():
    model = bl.GLMM(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", bl.datasets.cbpp(), family="binomial"
    )
    y = model.prior_predictive(50, random_seed=1).idata["prior_predictive"]["y"].values
    assert np.all(y == np.round(y)) and np.all(y >= 0) and np.all(y <= model.design.trials)
