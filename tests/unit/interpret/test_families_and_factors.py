"""Every interpretation function on every family, on crossed and nested factors, and on a loaded fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.families import get_family
from tests.helpers import synthetic_fit
from tests.unit.interpret.conftest import trial_data

FAMILIES = {
    "gaussian": ("score ~ arm + week + (1 | patient)", {}),
    "student_t": ("score ~ arm + week + (1 | patient)", {}),
    "bernoulli": ("event ~ arm + week + (1 | patient)", {}),
    "binomial": ("cbind(hits, 10 - hits) ~ arm + week + (1 | patient)", {}),
    "poisson": ("count ~ arm + week + (1 | patient)", {}),
    "negativebinomial": ("count ~ arm + week + (1 | patient)", {}),
    "gamma": ("score ~ arm + week + (1 | patient)", {}),
    "lognormal": ("score ~ arm + week + (1 | patient)", {}),
    "beta": ("share ~ arm + week + (1 | patient)", {}),
    "zero_inflated_poisson": ("count ~ arm + week + (1 | patient)", {}),
    "hurdle_negativebinomial": ("count ~ arm + week + (1 | patient)", {}),
    "cumulative": ("grade ~ arm + week + (1 | patient)", {}),
}


def _data():
    data = trial_data()
    rng = np.random.default_rng(9)
    return data.assign(
        event=rng.integers(0, 2, len(data)),
        hits=rng.integers(0, 11, len(data)),
        share=rng.uniform(0.05, 0.95, len(data)),
        grade=pd.Categorical(rng.choice(["low", "mid", "high"], len(data)), ["low", "mid", "high"]),
    )


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_function_runs_and_agrees_with_the_link(family):
    formula, _ = FAMILIES[family]
    model = bl.GLMM(formula, _data(), family=family)
    fit = synthetic_fit(model, draws=20, seed=3)
    response = fit.marginal_means("arm", summary=False).values
    link = fit.marginal_means("arm", scale="link", summary=False).values
    # the expected response at each mean linear predictor (zero-inflated: (1 - zi) exp(eta); lognormal:
    # exp(eta + sigma^2 / 2); ordinal: the expected category)
    family = get_family(fit.spec.family, fit.spec.link)
    params = {
        name: fit.draws(name).reshape(-1, 1, *fit.draws(name).shape[2:]) for name in family.parameters()
    }
    shape = link.shape
    expected = family.mean(family.location(fit.spec.link, link.reshape(-1, shape[-1])), params)
    np.testing.assert_allclose(response, expected.reshape(shape), rtol=1e-12)
    assert len(fit.comparisons("arm")) == 2
    assert len(fit.comparisons("arm", comparison="ratio", scale="response")) == 2
    slope = fit.slopes("week", scale="link", summary=False).values.reshape(-1)
    np.testing.assert_allclose(
        slope, fit.draws("b")[..., fit.spec.fixed.index("week")].reshape(-1), rtol=1e-5
    )
    assert fit.predictions({"week": [0, 12]}).shape[0] == 2
    assert fit.hypothesis("week > 0")["post_prob"].between(0, 1).all()


def test_crossed_and_nested_grouping_columns():
    data = _data().assign(site=lambda d: np.where(d["patient"] < "p06", "north", "south"))
    data["rater"] = np.tile(["r1", "r2", "r3", "r4", "r5"], 12)
    crossed = synthetic_fit(bl.LMM("score ~ arm + week + (1 | patient) + (1 | rater)", data), draws=20)
    by_rater = crossed.slopes("week", by="rater")
    assert by_rater["rater"].tolist() == ["r1", "r2", "r3", "r4", "r5"]
    # week has no group slope: every rater's slope is the population slope.
    np.testing.assert_allclose(by_rater["mean"], crossed.slopes("week").loc[0, "mean"], rtol=1e-6)
    nested = synthetic_fit(bl.LMM("score ~ arm + week + (1 | site/patient)", data), draws=20)
    table = nested.predictions({"week": [4.0], "site": ["north", "south"], "patient": ["p00", "p07"]})
    assert len(table) == 4
    assert nested.comparisons("arm", by="site")["site"].tolist() == ["north", "south"] * 2


def test_a_loaded_fit_answers_identically(tmp_path):
    fit = synthetic_fit(bl.LMM("score ~ age + arm * week + (1 + week | patient)", trial_data()), draws=20)
    path = tmp_path / "fit.nc"
    fit.save(path)
    loaded = bl.load(path)
    for call in (
        lambda f: f.predictions({"week": [0, 12], "arm": "all"}),
        lambda f: f.comparisons("arm", grid={"week": [12]}),
        lambda f: f.slopes("week", by="patient"),
        lambda f: f.marginal_means("arm"),
        lambda f: f.hypothesis(["week > 0", "arm[drug] = 0"], random_seed=1),
    ):
        a, b = call(fit), call(loaded)
        np.testing.assert_allclose(a.select_dtypes("number"), b.select_dtypes("number"), rtol=1e-12)
        assert a.columns.tolist() == b.columns.tolist()
