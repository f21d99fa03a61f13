"""marginal_means(): the emmeans reference grid and equal weights, by hand on the draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import BayeslmeError
from bayeslme.interpret.means import reference_grid
from tests.helpers import synthetic_fit


def _coef(fit, name):
    return fit.draws("b")[..., fit.spec.fixed.index(name)].reshape(-1)


def test_reference_grid_crosses_levels_with_numeric_means(gaussian_fit, trial):
    grid = reference_grid(gaussian_fit)
    assert grid["arm"].astype(str).tolist() == ["placebo", "drug", "dose2"]
    assert np.allclose(grid["week"], trial["week"].mean()) and np.allclose(grid["age"], trial["age"].mean())


def test_means_of_a_gaussian_model_by_hand(gaussian_fit, trial):
    table = gaussian_fit.marginal_means("arm")
    assert table["arm"].tolist() == ["placebo", "drug", "dose2"]
    b = {name: _coef(gaussian_fit, name) for name in gaussian_fit.spec.fixed}
    week, age = trial["week"].mean(), trial["age"].mean()
    base = b["Intercept"] + b["age"] * age + b["week"] * week
    drug = base + b["arm[drug]"] + b["arm[drug]:week"] * week
    assert table.loc[0, "mean"] == pytest.approx(base.mean())
    assert table.loc[1, "mean"] == pytest.approx(drug.mean())
    assert table.loc[1, "sd"] == pytest.approx(drug.std(ddof=1), rel=1e-6)


def test_other_factors_weigh_equally_whatever_their_frequencies(trial):
    site = np.where(np.arange(len(trial)) < 45, "north", "south")  # 45 rows against 15
    model = bl.LMM("score ~ arm + site + (1 | patient)", trial.assign(site=site))
    fit = synthetic_fit(model, draws=50, seed=4)
    table = fit.marginal_means("arm", summary=False).values.reshape(100, 3)
    b = {name: _coef(fit, name) for name in fit.spec.fixed}
    # Equal weights on north and south (emmeans' default), not 3:1 as in the data.
    drug = b["Intercept"] + b["arm[drug]"] + 0.5 * b["site[south]"]
    np.testing.assert_allclose(table[:, 1], drug, rtol=1e-10)
    by_site = fit.marginal_means("arm", by="site")
    assert by_site[["arm", "site"]].values.tolist()[:2] == [["placebo", "north"], ["placebo", "south"]]


def test_response_scale_is_the_inverse_link_of_the_link_mean(poisson_fit):
    link = poisson_fit.marginal_means("arm", scale="link", summary=False).values
    response = poisson_fit.marginal_means("arm", summary=False).values
    np.testing.assert_allclose(response, np.exp(link), rtol=1e-12)


def test_marginal_means_need_categorical_predictors(gaussian_fit):
    with pytest.raises(BayeslmeError, match=r"\['week'\] is not one"):
        gaussian_fit.marginal_means("week")
    with pytest.raises(BayeslmeError, match=r"\['patient'\] is not one"):
        gaussian_fit.marginal_means("patient")


def test_a_logical_predictor_is_a_factor(trial):
    model = bl.LMM("score ~ treated + (1 | patient)", trial.assign(treated=trial["arm"] != "placebo"))
    fit = synthetic_fit(model, draws=20)
    table = fit.marginal_means("treated")
    assert table["treated"].tolist() == [False, True]
    assert isinstance(table, pd.DataFrame)
