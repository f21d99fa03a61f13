"""Predictions of the shared sleepstudy fit, and on a small crossed-factor fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import bayeslme as bl
from bayeslme.errors import BayeslmeError, DataError, UnseenLevelsError


def _draws(fit, name):
    values = fit.draws(name)
    return values.reshape((-1,) + values.shape[2:])


def test_known_subject_follows_its_own_line(sleepstudy_fit):
    days = np.arange(10.0)
    rows = pd.DataFrame({"Days": days, "Subject": "308"})
    pred = sleepstudy_fit.predict(rows)
    coef = sleepstudy_fit.coef("Subject").loc["308", "mean"]
    # E[a + b d] = E[a] + E[b] d exactly, so only rounding separates them
    assert_allclose(pred["mean"], coef["Intercept"] + coef["Days"] * days, rtol=1e-10)
    # the columns of every summary table: equal-tailed 95% by default
    assert list(pred.columns) == ["mean", "sd", "q2.5", "q97.5"]
    assert np.all(pred["q2.5"] < pred["mean"]) and np.all(pred["mean"] < pred["q97.5"])
    narrow = sleepstudy_fit.predict(rows, prob=0.5)
    assert list(narrow.columns) == ["mean", "sd", "q25", "q75"]
    assert np.all(narrow["q75"] - narrow["q25"] < pred["q97.5"] - pred["q2.5"])


def test_fitted_rows_default_equals_explicit_newdata(sleepstudy_fit, sleepstudy):
    implicit = sleepstudy_fit.predict()
    explicit = sleepstudy_fit.predict(sleepstudy)
    assert_allclose(implicit["mean"], explicit["mean"])
    assert len(implicit) == len(sleepstudy)


def test_new_subject_is_wider_than_a_known_one(sleepstudy_fit):
    rows = pd.DataFrame({"Days": [0.0, 9.0, 0.0, 9.0], "Subject": ["308", "308", "new", "new"]})
    pred = sleepstudy_fit.predict(rows, random_seed=1)
    width = pred["q97.5"] - pred["q2.5"]
    assert width.iloc[2] > 1.5 * width.iloc[0]
    assert width.iloc[3] > 1.5 * width.iloc[1]
    # a fresh effect has mean zero: the new subject sits near the population line
    population = sleepstudy_fit.predict(rows, groups="population")
    assert abs(pred["mean"].iloc[3] - population["mean"].iloc[3]) < 0.2 * pred["sd"].iloc[3]


def test_rows_of_one_new_level_share_its_effect(sleepstudy_fit):
    rows = pd.DataFrame({"Days": [3.0, 3.0], "Subject": ["new", "new"]})
    draws = sleepstudy_fit.predict(rows, summary=False, random_seed=2)
    assert_allclose(draws.isel(obs=0), draws.isel(obs=1))


def test_population_predictions_are_fixed_effects_only(sleepstudy_fit):
    rows = pd.DataFrame({"Days": [0.0, 5.0], "Subject": ["308", "anything"]})
    pred = sleepstudy_fit.predict(rows, groups="population")
    b = _draws(sleepstudy_fit, "b")
    expected = (b @ np.array([[1.0, 1.0], [0.0, 5.0]])).mean(axis=0)
    assert_allclose(pred["mean"], expected)


def test_unseen_levels_error_lists_them(sleepstudy_fit):
    rows = pd.DataFrame({"Days": [1.0, 2.0, 3.0], "Subject": ["308", "A1", "B2"]})
    with pytest.raises(UnseenLevelsError, match=r"'Subject'.*\['A1', 'B2'\]"):
        sleepstudy_fit.predict(rows, new_groups="error")


def test_response_draws_are_wider_and_seeded(sleepstudy_fit):
    rows = pd.DataFrame({"Days": [4.0], "Subject": ["309"]})
    mean = sleepstudy_fit.predict(rows)
    response = sleepstudy_fit.predict(rows, kind="response", random_seed=3)
    assert response["sd"].iloc[0] > 2 * mean["sd"].iloc[0]
    # sd of y = sqrt(sd_mean^2 + sigma^2); sigma ~ 25.5; MC error of an sd from 2000 draws ~ 2%
    sigma = _draws(sleepstudy_fit, "sigma")
    expected = np.sqrt(mean["sd"].iloc[0] ** 2 + np.mean(sigma**2))
    assert response["sd"].iloc[0] == pytest.approx(expected, rel=0.06)
    again = sleepstudy_fit.predict(rows, kind="response", random_seed=3)
    assert_allclose(again["mean"], response["mean"])


def test_draws_have_named_dims(sleepstudy_fit):
    rows = pd.DataFrame({"Days": [1.0, 2.0], "Subject": ["308", "309"]}, index=[10, 20])
    draws = sleepstudy_fit.predict(rows, summary=False)
    assert draws.dims == ("chain", "draw", "obs")
    assert draws.sizes["chain"] == 4 and draws.sizes["draw"] == 500
    assert draws["obs"].values.tolist() == [10, 20]


def test_bad_input_errors(sleepstudy_fit):
    with pytest.raises(DataError, match="'Days'"):
        sleepstudy_fit.predict(pd.DataFrame({"Subject": ["308"]}))
    with pytest.raises(DataError, match="'Days'"):
        sleepstudy_fit.predict(pd.DataFrame({"Days": [np.nan], "Subject": ["308"]}))
    with pytest.raises(DataError, match="zero rows"):
        sleepstudy_fit.predict(pd.DataFrame({"Days": [], "Subject": []}))
    with pytest.raises(BayeslmeError, match="kind"):
        sleepstudy_fit.predict(kind="link")
    with pytest.raises(BayeslmeError, match="groups"):
        sleepstudy_fit.predict(groups="none")
    with pytest.raises(BayeslmeError, match="prob"):
        sleepstudy_fit.predict(prob=1.5)
    with pytest.warns(FutureWarning, match="hdi_prob is deprecated"):
        old = sleepstudy_fit.predict(hdi_prob=0.9)
    assert list(old.columns) == ["mean", "sd", "q5", "q95"]


@pytest.fixture(scope="module")
def crossed_fit():
    rng = np.random.default_rng(7)
    sites, raters = 6, 5
    site = np.repeat(np.arange(sites), raters * 4)
    rater = np.tile(np.repeat(np.arange(raters), 4), sites)
    x = rng.normal(size=site.size)
    u_site = rng.normal(0, 2.0, sites)
    u_rater = rng.normal(0, 1.0, raters)
    y = 1 + 0.5 * x + u_site[site] + u_rater[rater] + rng.normal(0, 0.5, site.size)
    frame = pd.DataFrame({"y": y, "x": x, "site": [f"s{i}" for i in site], "rater": rater})
    model = bl.LMM("y ~ x + (1 | site) + (1 | rater)", frame)
    return model.fit(draws=300, tune=300, chains=2, random_seed=5, progressbar=False)


def test_crossed_factors_with_partly_unseen_levels(crossed_fit):
    rows = pd.DataFrame({"x": [0.0, 0.0, 0.0], "site": ["s1", "s1", "new"], "rater": [2, 99, 2]})
    pred = crossed_fit.predict(rows, random_seed=4)
    b = _draws(crossed_fit, "b")[:, 0]
    u_site = _draws(crossed_fit, "site__u")[:, 1, 0]
    u_rater = _draws(crossed_fit, "rater__u")[:, 2, 0]
    assert_allclose(pred["mean"].iloc[0], np.mean(b + u_site + u_rater))
    # rows with an unseen level: the known part plus a fresh zero-mean effect (sd 1-2);
    # MC error of a mean over 600 draws of sd ~2.5 is ~0.1
    assert pred["mean"].iloc[1] == pytest.approx(np.mean(b + u_site), abs=0.35)
    assert pred["mean"].iloc[2] == pytest.approx(np.mean(b + u_rater), abs=0.6)
    assert pred["sd"].iloc[1] > 2 * pred["sd"].iloc[0]
    assert pred["sd"].iloc[2] > 2 * pred["sd"].iloc[0]
    with pytest.raises(UnseenLevelsError, match=r"'rater'.*\['99'\]"):
        crossed_fit.predict(rows.iloc[:2], new_groups="error")
