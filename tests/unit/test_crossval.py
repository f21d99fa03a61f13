"""K-fold and reloo bookkeeping on synthetic draws (refits replaced by synthetic fits: no MCMC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.crossval import RefitWrapper, heldout_log_likelihood
from bayeslme.errors import BayeslmeError
from bayeslme.results.checks import log_likelihood_draws
from tests.helpers import synthetic_fit, synthetic_sampling


@pytest.fixture(scope="module")
def fit():
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy())
    return synthetic_fit(model, draws=40, seed=1)


def test_heldout_rows_of_known_levels_score_as_the_fitted_rows(fit):
    rows = fit.design.data.iloc[[0, 5, 170]].reset_index(drop=True)
    held = heldout_log_likelihood(fit, rows, random_seed=0)
    fitted = log_likelihood_draws(fit).reshape(80, -1)[:, [0, 5, 170]]
    np.testing.assert_allclose(held, fitted, rtol=1e-12)


def test_a_new_subject_gets_population_effects(fit):
    rows = fit.design.data.iloc[[0, 1]].assign(Subject="new").reset_index(drop=True)
    a = heldout_log_likelihood(fit, rows, random_seed=3)
    b = heldout_log_likelihood(fit, rows, random_seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, heldout_log_likelihood(fit, rows, random_seed=4))


def _record_training_rows(monkeypatch) -> list[pd.DataFrame]:
    """The list to which each refit's training rows are appended."""
    trained: list[pd.DataFrame] = []
    original = RefitWrapper.sample

    def record(self, data):
        trained.append(data)
        return original(self, data)

    monkeypatch.setattr(RefitWrapper, "sample", record)
    return trained


def test_kfold_refits_on_the_training_rows_and_scores_the_rest(fit, monkeypatch):
    calls = synthetic_sampling(monkeypatch, seed=7)
    trained = _record_training_rows(monkeypatch)
    result = bl.kfold(fit, k=6, groups="Subject", pointwise=True, random_seed=1)
    assert len(calls) == 6 and calls[0]["draws"] == 40 and calls[0]["progressbar"] is False
    for data in trained:
        # Leave-group-out: each refit misses 3 subjects entirely (18 subjects / 6 folds).
        assert data["Subject"].nunique() == 15 and len(data) == 150
    # elpd is the sum over rows of log mean_s p(y_i | draw s of the fold's refit).
    assert result.elpd == pytest.approx(float(result.elpd_i.sum()))
    assert result.n_data_points == 180 and result.kind == "loo_kfold"


def test_pointwise_elpd_is_the_log_mean_density(fit, monkeypatch):
    synthetic_sampling(monkeypatch, seed=7)
    wrapper = RefitWrapper(fit, {}, random_seed=2)
    train, test = wrapper.sel_observations([3, 4])
    refit = wrapper.get_inference_data(wrapper.sample(train))
    values = wrapper.log_likelihood__i(test, refit).values.reshape(-1, 2)
    expected = heldout_log_likelihood(refit, test, 2)
    np.testing.assert_allclose(values, expected)


def test_refusals_are_named(fit):
    with pytest.raises(BayeslmeError, match="only 18 levels"):
        bl.kfold(fit, k=20, groups="Subject")
    with pytest.raises(BayeslmeError, match="unknown grouping factor 'Patient'"):
        bl.kfold(fit, groups="Patient")
    series = synthetic_fit(
        bl.LMM("Reaction ~ Days + (1 | Subject) + ar(Days, Subject)", bl.datasets.sleepstudy()), draws=5
    )
    with pytest.raises(BayeslmeError, match="residual correlation of ar"):
        bl.kfold(series)


def _ordinal_fit(rare_rows: int):
    rng = np.random.default_rng(5)
    y = np.concatenate([rng.integers(1, 4, 60 - rare_rows), np.full(rare_rows, 4)])
    data = pd.DataFrame({"y": y, "x": rng.normal(size=60), "g": np.repeat([f"g{k}" for k in range(10)], 6)})
    return synthetic_fit(bl.GLMM("y ~ x + (1 | g)", data, family="cumulative"), draws=20, seed=2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ordinal_folds_keep_every_category_in_training(monkeypatch, seed):
    """Two rows of the top category: random folds may hold both out (the refit then lacks the
    category and cannot score them); folds stratified by category never do."""
    synthetic_sampling(monkeypatch, seed=7)
    trained = _record_training_rows(monkeypatch)
    result = bl.kfold(_ordinal_fit(2), k=5, random_seed=seed)
    assert all(set(data["y"]) == {1, 2, 3, 4} for data in trained)
    assert result.n_data_points == 60


def test_ordinal_category_with_one_row_is_refused_for_kfold():
    with pytest.raises(BayeslmeError, match=r"categories \['4'\] of 'y' have a single row"):
        bl.kfold(_ordinal_fit(1), k=5)
