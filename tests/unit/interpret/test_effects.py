"""predictions, comparisons and slopes against hand computations on the draws (synthetic fits)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayeslme.errors import BayeslmeError, DataError
from bayeslme.interpret.tables import average_by, groups_of


def _flat(fit, name):
    values = fit.draws(name)
    return values.reshape((-1,) + values.shape[2:])


def _coef(fit, name):
    return _flat(fit, "b")[:, fit.spec.fixed.index(name)]


def _u(fit, factor, level, effect):
    spec = fit.spec.factor(factor)
    return _flat(fit, spec.u_var)[:, spec.levels.index(level), spec.effects.index(effect)]


def test_average_by_is_the_groupwise_mean():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"g": ["b", "a", "b", "c", "a"], "h": [1, 1, 2, 2, 2]})
    values = rng.normal(size=(7, 5))
    codes, keys = groups_of(frame, ["g"])
    assert keys["g"].tolist() == ["a", "b", "c"]
    expected = pd.DataFrame(values.T).groupby(frame["g"].to_numpy()).mean().to_numpy().T
    np.testing.assert_allclose(average_by(values, codes, 3), expected)
    codes, keys = groups_of(frame, [])
    np.testing.assert_allclose(average_by(values, codes, 1)[:, 0], values.mean(axis=1))


def test_predictions_at_a_grid_are_predict_at_its_rows(gaussian_fit):
    table = gaussian_fit.predictions({"week": [0, 12], "arm": "all"})
    assert table.columns.tolist()[:2] == ["week", "arm"] and len(table) == 6
    grid = __import__("bayeslme").datagrid(gaussian_fit, week=[0, 12], arm="all")
    direct = gaussian_fit.predict(grid, groups="population", summary=False).values.reshape(100, -1)
    np.testing.assert_allclose(table["mean"], direct.mean(axis=0))
    # Population predictions: b0 + b_age * mean(age) + b_week * week + arm terms, by hand.
    b = {name: _coef(gaussian_fit, name) for name in gaussian_fit.spec.fixed}
    age = gaussian_fit.design.data["age"].mean()
    drug_12 = b["Intercept"] + b["age"] * age + 12 * (b["week"] + b["arm[drug]:week"]) + b["arm[drug]"]
    row = table[(table["week"] == 12) & (table["arm"] == "drug")].index[0]
    assert table.loc[row, "mean"] == pytest.approx(drug_12.mean())


def test_predictions_without_grid_average_the_fitting_rows(gaussian_fit, trial):
    by_arm = gaussian_fit.predictions(by="arm")
    assert by_arm["arm"].tolist() == ["placebo", "drug", "dose2"]
    # groups="auto": no grouping column named, so population predictions.
    rows = gaussian_fit.predict(groups="population", summary=False).values.reshape(100, -1)
    placebo = (trial["arm"] == "placebo").to_numpy()
    assert by_arm.loc[0, "mean"] == pytest.approx(rows[:, placebo].mean(axis=1).mean())
    overall = gaussian_fit.predictions()
    assert len(overall) == 1 and overall.loc[0, "mean"] == pytest.approx(rows.mean())


def test_naming_a_grouping_column_includes_group_effects(gaussian_fit):
    table = gaussian_fit.predictions({"patient": ["p03"], "week": [4.0]}, summary=False)
    rows = table.values.reshape(100)
    population = gaussian_fit.predictions({"week": [4.0]}, summary=False).values.reshape(100)
    np.testing.assert_allclose(
        rows - population,
        _u(gaussian_fit, "patient", "p03", "Intercept") + 4 * _u(gaussian_fit, "patient", "p03", "week"),
    )


def test_a_contrast_is_the_difference_of_two_predictions_draw_by_draw(gaussian_fit, trial):
    draws = gaussian_fit.comparisons("arm", summary=False)
    assert draws.coords["contrast"].values.tolist() == ["drug - placebo", "dose2 - placebo"]
    lo = gaussian_fit.predict(
        trial.assign(arm=pd.Categorical(["placebo"] * 60, categories=trial["arm"].cat.categories)),
        groups="population",
        summary=False,
    )
    hi = gaussian_fit.predict(
        trial.assign(arm=pd.Categorical(["drug"] * 60, categories=trial["arm"].cat.categories)),
        groups="population",
        summary=False,
    )
    expected = (hi - lo).values.reshape(100, -1).mean(axis=1)
    np.testing.assert_allclose(draws.values.reshape(100, 2)[:, 0], expected, rtol=1e-10, atol=1e-10)
    # ... which for this linear model is b[arm[drug]] + mean(week) * b[arm[drug]:week].
    by_hand = _coef(gaussian_fit, "arm[drug]") + trial["week"].mean() * _coef(gaussian_fit, "arm[drug]:week")
    np.testing.assert_allclose(expected, by_hand, rtol=1e-10, atol=1e-10)


def test_treatment_effect_at_each_week(gaussian_fit):
    table = gaussian_fit.comparisons("arm", values=("placebo", "drug"), grid={"week": [0, 12]})
    assert table["contrast"].tolist() == ["drug - placebo"] * 2 and table["week"].tolist() == [0, 12]
    effect_12 = _coef(gaussian_fit, "arm[drug]") + 12 * _coef(gaussian_fit, "arm[drug]:week")
    assert table.loc[1, "mean"] == pytest.approx(effect_12.mean())
    assert table.loc[1, "P(>0)"] == pytest.approx((effect_12 > 0).mean())
    by_week = gaussian_fit.comparisons("arm", values=("placebo", "drug"), by="week")
    assert by_week["week"].tolist() == [0, 2, 4, 8, 12]
    assert by_week.loc[4, "mean"] == pytest.approx(effect_12.mean())


def test_numeric_comparisons(gaussian_fit):
    step = gaussian_fit.comparisons("age")
    assert step.loc[0, "contrast"] == "+1" and step.loc[0, "mean"] == pytest.approx(
        _coef(gaussian_fit, "age").mean()
    )
    pair = gaussian_fit.comparisons("age", values=(40, 60), summary=False).values.reshape(100)
    np.testing.assert_allclose(pair, 20 * _coef(gaussian_fit, "age"), rtol=1e-9, atol=1e-9)


def test_ratio_is_the_ratio_of_averaged_predictions(poisson_fit, trial):
    table = poisson_fit.comparisons("arm", comparison="ratio", summary=False).values.reshape(100, 2)
    categories = trial["arm"].cat.categories
    mean = {
        level: poisson_fit.predict(
            trial.assign(arm=pd.Categorical([level] * 60, categories=categories)),
            groups="population",
            summary=False,
        )
        .values.reshape(100, -1)
        .mean(axis=1)
        for level in ("placebo", "dose2")
    }
    np.testing.assert_allclose(table[:, 1], mean["dose2"] / mean["placebo"], rtol=1e-10)
    # log link, no interaction: the rate ratio is exp(b[arm[dose2]]) whatever the other columns.
    np.testing.assert_allclose(table[:, 1], np.exp(_coef(poisson_fit, "arm[dose2]")), rtol=1e-10)
    assert "P(>1)" in poisson_fit.comparisons("arm", comparison="ratio").columns


def test_link_scale_difference_is_the_coefficient(poisson_fit):
    draws = poisson_fit.comparisons("arm", scale="link", summary=False).values.reshape(100, 2)
    np.testing.assert_allclose(draws[:, 0], _coef(poisson_fit, "arm[drug]"), rtol=1e-10, atol=1e-12)


def test_slope_of_a_linear_gaussian_model_is_its_coefficient(gaussian_fit, trial):
    age = gaussian_fit.slopes("age", summary=False).values.reshape(100)
    np.testing.assert_allclose(age, _coef(gaussian_fit, "age"), rtol=1e-6)
    by_arm = gaussian_fit.slopes("week", by="arm", summary=False).values.reshape(100, 3)
    np.testing.assert_allclose(by_arm[:, 0], _coef(gaussian_fit, "week"), rtol=1e-6)
    np.testing.assert_allclose(
        by_arm[:, 1], _coef(gaussian_fit, "week") + _coef(gaussian_fit, "arm[drug]:week"), rtol=1e-6
    )


def test_each_patients_own_slope(gaussian_fit, trial):
    table = gaussian_fit.slopes("week", by="patient", summary=False)
    assert table.coords["patient"].values.tolist() == sorted(trial["patient"].unique())
    arm = trial.groupby("patient", observed=True)["arm"].first()["p05"]
    extra = _coef(gaussian_fit, f"arm[{arm}]:week") if arm != "placebo" else 0.0
    own = _coef(gaussian_fit, "week") + extra + _u(gaussian_fit, "patient", "p05", "week")
    np.testing.assert_allclose(table.values.reshape(100, -1)[:, 5], own, rtol=1e-6)


def test_poisson_slope_on_the_response_scale_is_the_derivative(poisson_fit):
    grid = {"week": [4.0]}
    slope = poisson_fit.slopes("week", grid=grid, summary=False).values.reshape(100)
    mean = poisson_fit.predictions(grid, summary=False).values.reshape(100)
    # d/dx exp(eta) = exp(eta) * b[week]
    np.testing.assert_allclose(slope, mean * _coef(poisson_fit, "week"), rtol=1e-6)


def test_bad_requests_are_named(gaussian_fit):
    with pytest.raises(BayeslmeError, match="'arm' is categorical: a slope needs a numeric"):
        gaussian_fit.slopes("arm")
    with pytest.raises(DataError, match="'dose' is not a column the model reads"):
        gaussian_fit.comparisons("dose")
    with pytest.raises(BayeslmeError, match="comparison must be one of"):
        gaussian_fit.comparisons("arm", comparison="odds")
    with pytest.raises(BayeslmeError, match="leave it out of by"):
        gaussian_fit.comparisons("arm", by="arm")
    with pytest.raises(BayeslmeError, match="two levels"):
        gaussian_fit.comparisons("arm", values=["drug"])
    with pytest.raises(BayeslmeError, match="groups must be"):
        gaussian_fit.predictions(groups="yes")
