"""``Fit.predict`` on synthetic draws: columns, dims, arithmetic, fresh levels and errors (no MCMC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import bayeslme as bl
from bayeslme.errors import BayeslmeError, DataError, UnseenLevelsError
from tests.helpers import synthetic_fit


def _draws(fit, name):
    values = fit.draws(name)
    return values.reshape((-1,) + values.shape[2:])


@pytest.fixture(scope="module")
def sleepstudy():
    return bl.datasets.sleepstudy()


@pytest.fixture(scope="module")
def fit(sleepstudy):
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy)
    return synthetic_fit(model, chains=3, draws=80, seed=11)


def test_known_subject_follows_its_own_line(fit):
    days = np.arange(10.0)
    rows = pd.DataFrame({"Days": days, "Subject": "308"})
    pred = fit.predict(rows)
    coef = fit.coef("Subject").loc["308", "mean"]
    # E[a + b d] = E[a] + E[b] d exactly, so only rounding separates them
    assert_allclose(pred["mean"], coef["Intercept"] + coef["Days"] * days, rtol=1e-10)
    # the columns of every summary table: equal-tailed 95% by default
    assert list(pred.columns) == ["mean", "sd", "q2.5", "q97.5"]
    draws = fit.predict(rows, summary=False).values.reshape(-1, 10)
    assert_allclose(pred["q2.5"], np.quantile(draws, 0.025, axis=0))
    assert_allclose(pred["sd"], draws.std(axis=0, ddof=1))
    narrow = fit.predict(rows, prob=0.5)
    assert list(narrow.columns) == ["mean", "sd", "q25", "q75"]
    assert_allclose(narrow["q75"], np.quantile(draws, 0.75, axis=0))


def test_fitted_rows_default_equals_explicit_newdata(fit, sleepstudy):
    implicit = fit.predict()
    explicit = fit.predict(sleepstudy)
    assert_allclose(implicit["mean"], explicit["mean"])
    assert len(implicit) == len(sleepstudy)


def test_rows_of_one_new_level_share_its_effect(fit):
    rows = pd.DataFrame({"Days": [3.0, 3.0], "Subject": ["new", "new"]})
    draws = fit.predict(rows, summary=False, random_seed=2)
    assert_allclose(draws.isel(obs=0), draws.isel(obs=1))


def test_population_predictions_are_fixed_effects_only(fit):
    rows = pd.DataFrame({"Days": [0.0, 5.0], "Subject": ["308", "anything"]})
    pred = fit.predict(rows, groups="population")
    b = _draws(fit, "b")
    expected = (b @ np.array([[1.0, 1.0], [0.0, 5.0]])).mean(axis=0)
    assert_allclose(pred["mean"], expected)


def test_unseen_levels_error_lists_them(fit):
    rows = pd.DataFrame({"Days": [1.0, 2.0, 3.0], "Subject": ["308", "A1", "B2"]})
    with pytest.raises(UnseenLevelsError, match=r"'Subject'.*\['A1', 'B2'\]"):
        fit.predict(rows, new_groups="error")


def test_draws_have_named_dims(fit):
    rows = pd.DataFrame({"Days": [1.0, 2.0], "Subject": ["308", "309"]}, index=[10, 20])
    draws = fit.predict(rows, summary=False)
    assert draws.dims == ("chain", "draw", "obs")
    assert draws.sizes["chain"] == 3 and draws.sizes["draw"] == 80
    assert draws["obs"].values.tolist() == [10, 20]


def test_bad_input_errors(fit):
    with pytest.raises(DataError, match="'Days'"):
        fit.predict(pd.DataFrame({"Subject": ["308"]}))
    with pytest.raises(DataError, match="'Days'"):
        fit.predict(pd.DataFrame({"Days": [np.nan], "Subject": ["308"]}))
    with pytest.raises(DataError, match="zero rows"):
        fit.predict(pd.DataFrame({"Days": [], "Subject": []}))
    with pytest.raises(BayeslmeError, match="kind"):
        fit.predict(kind="link")
    with pytest.raises(BayeslmeError, match="groups"):
        fit.predict(groups="none")
    with pytest.raises(BayeslmeError, match="prob"):
        fit.predict(prob=1.5)
    with pytest.warns(FutureWarning, match="hdi_prob is deprecated"):
        old = fit.predict(hdi_prob=0.9)
    assert list(old.columns) == ["mean", "sd", "q5", "q95"]


def test_crossed_factors_with_partly_unseen_levels():
    rng = np.random.default_rng(7)
    sites, raters = 6, 5
    site = np.repeat(np.arange(sites), raters * 4)
    rater = np.tile(np.repeat(np.arange(raters), 4), sites)
    frame = pd.DataFrame(
        {"y": rng.normal(size=site.size), "x": rng.normal(size=site.size), "site": [f"s{i}" for i in site]}
    ).assign(rater=rater)
    model = bl.LMM("y ~ x + (1 | site) + (1 | rater)", frame)
    # Known effects pinned down (draw sd 0.1), group SDs 2 (site) and 1 (rater): a fresh
    # effect of an unseen level dominates the spread of its row.
    shape = (2, 300)
    fit = synthetic_fit(
        model,
        chains=2,
        draws=300,
        seed=5,
        posterior={
            "b": 0.1 * rng.normal(size=shape + (2,)),
            "site__u": 0.1 * rng.normal(size=shape + (sites, 1)),
            "rater__u": 0.1 * rng.normal(size=shape + (raters, 1)),
            "site__sd": 2 + 0.05 * rng.normal(size=shape + (1,)),
            "rater__sd": 1 + 0.05 * rng.normal(size=shape + (1,)),
        },
    )
    rows = pd.DataFrame({"x": [0.0, 0.0, 0.0], "site": ["s1", "s1", "new"], "rater": [2, 99, 2]})
    pred = fit.predict(rows, random_seed=4)
    b = _draws(fit, "b")[:, 0]
    u_site = _draws(fit, "site__u")[:, 1, 0]
    u_rater = _draws(fit, "rater__u")[:, 2, 0]
    assert_allclose(pred["mean"].iloc[0], np.mean(b + u_site + u_rater))
    # rows with an unseen level: the known part plus a fresh zero-mean effect of that factor's SD;
    # the Monte Carlo error of a mean over 600 draws is 1/sqrt(600) = 0.04 (rater), 0.08 (site)
    assert pred["mean"].iloc[1] == pytest.approx(np.mean(b + u_site), abs=0.2)
    assert pred["mean"].iloc[2] == pytest.approx(np.mean(b + u_rater), abs=0.4)
    assert pred["sd"].iloc[1] == pytest.approx(1.0, abs=0.15)
    assert pred["sd"].iloc[2] == pytest.approx(2.0, abs=0.25)
    assert pred["sd"].iloc[0] < 0.3
    with pytest.raises(UnseenLevelsError, match=r"'rater'.*\['99'\]"):
        fit.predict(rows.iloc[:2], new_groups="error")
