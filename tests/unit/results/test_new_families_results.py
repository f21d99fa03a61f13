"""Every table, prediction, R², LOO, save/load and the report for each new family (synthetic draws)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.families import get_family, inverse_link
from tests.helpers import synthetic_fit

FAMILIES = {
    "gamma": "cost",
    "lognormal": "cost",
    "beta": "share",
    "zero_inflated_poisson": "count",
    "zero_inflated_negativebinomial": "count",
    "hurdle_poisson": "count",
    "hurdle_negativebinomial": "count",
}


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 120
    frame = pd.DataFrame({"g": np.repeat([f"c{i}" for i in range(12)], 10), "x": rng.normal(size=n)})
    frame["cost"] = rng.gamma(3.0, 2.0, n)
    frame["share"] = rng.beta(2.0, 5.0, n)
    frame["count"] = np.where(rng.random(n) < 0.3, 0, rng.poisson(2.0, n))
    return frame


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def fit(request):
    model = bl.GLMM(f"{FAMILIES[request.param]} ~ x + (1 + x | g)", _data(), family=request.param)
    return synthetic_fit(model, draws=30, seed=2)


def test_tables_and_latent_scale(fit):
    family = get_family(fit.spec.family)
    assert set(family.parameters()) <= set(fit.summary().index)
    components = fit.variance_components()
    assert ("ICC" in components.index.get_level_values(0)) == family.has_latent_scale
    r2 = fit.r2()
    assert list(r2.index) == (["marginal", "conditional", "bayes"] if family.has_latent_scale else ["bayes"])
    assert r2["mean"].between(0, 1).all()


def test_predictions_on_both_scales(fit):
    family = get_family(fit.spec.family)
    rows = _data().head(4)
    link = fit.predict(rows, scale="link", summary=False)
    mean = fit.predict(rows, summary=False)
    params = {name: fit.draws(name).reshape(-1, 1) for name in family.parameters()}
    expected = family.mean(inverse_link(fit.spec.link, np.asarray(link).reshape(-1, 4)), params)
    np.testing.assert_allclose(np.asarray(mean).reshape(-1, 4), expected, rtol=1e-12)
    drawn = np.asarray(fit.predict(rows, kind="response", summary=False, random_seed=1))
    if family.support == "count":
        assert (drawn % 1 == 0).all() and (drawn >= 0).all()
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
