"""Every table, prediction, R², LOO, save/load and the report for each new family (synthetic draws)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.families import get_family
from tests.helpers import synthetic_fit

FAMILIES = {
    "gamma": "cost",
    "lognormal": "cost",
    "beta": "share",
    "zero_inflated_poisson": "count",
    "zero_inflated_negativebinomial": "count",
    "hurdle_poisson": "count",
    "hurdle_negativebinomial": "count",
    "cumulative": "grade",
}


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 120
    frame = pd.DataFrame({"g": np.repeat([f"c{i}" for i in range(12)], 10), "x": rng.normal(size=n)})
    frame["cost"] = rng.gamma(3.0, 2.0, n)
    frame["share"] = rng.beta(2.0, 5.0, n)
    frame["count"] = np.where(rng.random(n) < 0.3, 0, rng.poisson(2.0, n))
    frame["grade"] = pd.Categorical(rng.choice(["poor", "fair", "good"], n), ["poor", "fair", "good"])
    return frame


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def fit(request):
    model = bl.GLMM(f"{FAMILIES[request.param]} ~ x + (1 + x | g)", _data(), family=request.param)
    return synthetic_fit(model, draws=30, seed=2)


def test_tables_and_latent_scale(fit):
    family = get_family(fit.spec.family)
    labels = {label.split("[")[0] for label in fit.summary().index}
    assert set(family.parameters()) <= labels
    components = fit.variance_components()
    assert ("ICC" in components.index.get_level_values(0)) == family.has_latent_scale
    r2 = fit.r2()
    assert list(r2.index) == (["marginal", "conditional", "bayes"] if family.has_latent_scale else ["bayes"])
    assert r2["mean"].between(0, 1).all()


def test_predictions_on_both_scales(fit):
    family = get_family(fit.spec.family, fit.spec.link)
    rows = _data().head(4)
    link = fit.predict(rows, scale="link", summary=False)
    mean = fit.predict(rows, summary=False)
    params = {n: fit.draws(n).reshape(-1, 1, *fit.draws(n).shape[2:]) for n in family.parameters()}
    expected = family.mean(family.location(fit.spec.link, np.asarray(link).reshape(-1, 4)), params)
    np.testing.assert_allclose(np.asarray(mean).reshape(-1, 4), expected, rtol=1e-12)
    drawn = np.asarray(fit.predict(rows, kind="response", summary=False, random_seed=1))
    if family.support == "count":
        assert (drawn % 1 == 0).all() and (drawn >= 0).all()
    elif family.support == "ordinal":  # category numbers of poor, fair, good
        assert set(np.unique(drawn)) <= {1.0, 2.0, 3.0}
        assert ((np.asarray(mean) >= 1) & (np.asarray(mean) <= 3)).all()
    elif family.support == "unit":
        assert ((drawn >= 0) & (drawn <= 1)).all()  # a draw can round to 0 or 1 (mu phi < 1)
    else:
        assert (drawn > 0).all()


def test_loo_save_load_and_report(fit, tmp_path):
    pointwise = fit.log_likelihood()
    assert np.isfinite(np.asarray(pointwise)).all()
    fit.save(tmp_path / "fit.nc")
    loaded = bl.load(tmp_path / "fit.nc")
    pd.testing.assert_frame_equal(loaded.fixed_effects(), fit.fixed_effects())
    np.testing.assert_allclose(loaded.predict(_data().head(3))["mean"], fit.predict(_data().head(3))["mean"])
    path = fit.report(tmp_path / "report.html")
    assert "Average effects" in path.read_text()


def test_ordinal_categories_follow_the_response_and_new_data_is_checked():
    data = _data()
    fit = synthetic_fit(bl.GLMM("grade ~ x + (1 | g)", data, family="cumulative"), draws=30)
    assert fit.spec.response_levels == ("poor", "fair", "good") and fit.spec.fixed == ("x",)
    assert list(fit.summary().index[-2:]) == ["thresholds[poor|fair]", "thresholds[fair|good]"]
    # the pointwise likelihood of new rows codes their categories against the fit's
    new = data.head(3).assign(grade=["good", "poor", "fair"])
    from bayeslme.crossval import heldout_log_likelihood

    assert np.isfinite(heldout_log_likelihood(fit, new, random_seed=0)).all()
    with pytest.raises(bl.errors.FamilyError, match="values \\['great'\\] that are not among its categories"):
        heldout_log_likelihood(fit, data.head(2).assign(grade=["great", "poor"]), random_seed=0)
    with pytest.raises(bl.errors.FamilyError, match="has one level \\('poor'\\)"):
        bl.GLMM("grade ~ x + (1 | g)", data.assign(grade="poor"), family="cumulative")
