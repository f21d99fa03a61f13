"""hypothesis(): posterior probabilities, evidence ratios and Savage-Dickey ratios against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import bayeslme as bl
from bayeslme.errors import BayeslmeError
from bayeslme.interpret.hypothesis import PriorDraws
from tests.helpers import synthetic_fit


def _coef(fit, name):
    return fit.draws("b")[..., fit.spec.fixed.index(name)].reshape(-1)


def test_inequalities_give_the_share_of_draws(gaussian_fit):
    table = gaussian_fit.hypothesis(["week > 0.5", "b[age] < -0.2", "2 * week + age >= 0"])
    week, age = _coef(gaussian_fit, "week"), _coef(gaussian_fit, "age")
    p = [(week > 0.5).mean(), (age < -0.2).mean(), (2 * week + age >= 0).mean()]
    np.testing.assert_allclose(table["post_prob"], p)
    np.testing.assert_allclose(table["evidence_ratio"], [q / (1 - q) for q in p])
    assert table.loc[0, "mean"] == pytest.approx((week - 0.5).mean())
    assert table.columns.tolist() == [
        "hypothesis",
        "mean",
        "sd",
        "q2.5",
        "q97.5",
        "post_prob",
        "evidence_ratio",
    ]


def test_names_of_every_kind(gaussian_fit):
    table = gaussian_fit.hypothesis(
        ["sd[patient|week] > 1", "cor[patient|Intercept, week] > 0", "sigma < 1", "exp(b[arm[drug]]) > 1.2"]
    )
    sd = gaussian_fit.draws(gaussian_fit.spec.factor("patient").sd_var)[..., 1].reshape(-1)
    assert table.loc[0, "post_prob"] == pytest.approx((sd > 1).mean())
    drug = _coef(gaussian_fit, "arm[drug]")
    assert table.loc[3, "post_prob"] == pytest.approx((np.exp(drug) > 1.2).mean())


def test_savage_dickey_matches_the_normal_closed_form(trial):
    model = bl.LMM("score ~ week + (1 | patient)", trial)
    rng = np.random.default_rng(1)
    # A posterior N(0.1, 0.1) for b[week]; the prior is the spec's normal(0, s).
    b = np.stack([rng.normal(20, 1, size=(2, 4000)), rng.normal(0.1, 0.1, size=(2, 4000))], axis=-1)
    fit = synthetic_fit(model, draws=4000, posterior={"b": b})
    prior = model.spec.coefficient_prior("week")
    table = fit.hypothesis(["week = 0", "week = 0.1"], random_seed=2)
    for row, point in enumerate((0.0, 0.1)):
        exact = stats.norm(0.1, 0.1).pdf(point) / stats.norm(prior["mu"], prior["sigma"]).pdf(point)
        # Kernel density estimates from 8000 posterior and 20000 prior draws, at most one
        # posterior SD from the mode: a few per cent (20 repeats at 1 SD: SD of the error 3%).
        assert table.loc[row, "evidence_ratio"] == pytest.approx(exact, rel=0.1)
    assert np.isnan(table.loc[0, "post_prob"])


def test_flat_priors_and_derived_results_have_no_savage_dickey_ratio(trial):
    model = bl.LMM("score ~ week + (1 | patient)", trial, priors={"b[week]": bl.Prior("flat")})
    fit = synthetic_fit(model, draws=200)
    assert np.isnan(fit.hypothesis("week = 0")["evidence_ratio"].iloc[0])


def test_prior_of_the_intercept_on_the_data_scale(trial):
    model = bl.LMM("score ~ week + age + (1 | patient)", trial)
    spec = model.spec
    draws = PriorDraws(spec, np.random.default_rng(0), n=200_000)
    intercept = draws["Intercept"]
    means = dict(zip(spec.fixed, spec.x_means, strict=True))
    centred = spec.priors["Intercept"]
    variance = centred["sigma"] ** 2 + sum(
        means[s] ** 2 * spec.coefficient_prior(s)["sigma"] ** 2 for s in spec.slopes
    )
    # 200,000 draws: the SD of the sample SD is about SD / 630.
    assert intercept.std() == pytest.approx(np.sqrt(variance), rel=0.01)
    assert intercept.mean() == pytest.approx(centred["mu"], abs=0.01 * np.sqrt(variance))
    assert draws["b[week]"] is draws["week"] or np.array_equal(draws["b[week]"], draws["week"])


def test_lkj_marginal_of_one_correlation(gaussian_fit):
    draws = PriorDraws(gaussian_fit.spec, np.random.default_rng(0), n=200_000)
    r = draws["cor[patient|Intercept, week]"]
    # LKJ(1) on 2 x 2: uniform on (-1, 1), variance 1/3.
    assert r.var() == pytest.approx(1 / 3, rel=0.01)


def test_hypotheses_on_rows_of_a_result(gaussian_fit):
    draws = gaussian_fit.predictions({"week": [0, 12]}, summary=False)
    table = gaussian_fit.hypothesis(["b2 - b1 = 0", "b2 > b1"], on=draws)
    flat = draws.values.reshape(-1, 2)
    assert table.loc[0, "mean"] == pytest.approx((flat[:, 1] - flat[:, 0]).mean())
    assert np.isnan(table.loc[0, "evidence_ratio"])
    assert table.loc[1, "post_prob"] == pytest.approx((flat[:, 1] > flat[:, 0]).mean())


def test_bad_hypotheses_are_named(gaussian_fit):
    with pytest.raises(BayeslmeError, match=r"unknown names \['weeks'\]"):
        gaussian_fit.hypothesis("weeks > 0")
    with pytest.raises(BayeslmeError, match="needs one relation"):
        gaussian_fit.hypothesis("week + 1")
    with pytest.raises(BayeslmeError, match="cannot read 'week % 2'"):
        gaussian_fit.hypothesis("week % 2 > 0")
    with pytest.raises(BayeslmeError, match=r"unknown names \['sin'\]"):
        gaussian_fit.hypothesis("sin(week) > 0")
    with pytest.raises(BayeslmeError, match="is not an expression"):
        gaussian_fit.hypothesis("week >> > 0")
    with pytest.raises(BayeslmeError, match="summary=False"):
        gaussian_fit.hypothesis("b1 > 0", on=gaussian_fit.posterior["b"])
