"""Personalisation on the shared fit: behaviour and errors (no extra sampling)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayeslme.errors import DataError


def _subject(sleepstudy, name, label):
    rows = sleepstudy[sleepstudy["Subject"].astype(str) == name].sort_values("Days").copy()
    rows["Subject"] = label
    return rows


def test_more_rows_shrink_uncertainty_towards_the_subject(sleepstudy_fit, sleepstudy):
    rows = _subject(sleepstudy, "308", "new")
    few = sleepstudy_fit.personalize(rows.iloc[:3], random_seed=1).coefficients()
    many = sleepstudy_fit.personalize(rows, random_seed=1).coefficients()
    assert many.loc["Days", "sd"] < few.loc["Days", "sd"]
    # with all 10 days (already in the fit as '308') the slope is close to 308's own posterior
    own = sleepstudy_fit.coef("Subject").loc["308"]
    assert many.loc["Days", "mean"] == pytest.approx(own.loc["Days", "mean"], abs=0.5 * own.loc["Days", "sd"])


def test_personalized_predictions_for_future_rows(sleepstudy_fit, sleepstudy):
    rows = _subject(sleepstudy, "308", "new")
    person = sleepstudy_fit.personalize(rows.iloc[:3], random_seed=2)
    assert person.level == "new" and person.factor == "Subject"
    future = rows.iloc[3:].drop(columns=["Subject", "Reaction"])
    pred = person.predict(future)
    coef = person.coefficients()["mean"]
    np.testing.assert_allclose(pred["mean"], coef["Intercept"] + coef["Days"] * future["Days"], rtol=1e-10)
    noisy = person.predict(future, kind="response", random_seed=3)
    assert (noisy["sd"] > pred["sd"]).all()


def test_personalize_errors(sleepstudy_fit, sleepstudy):
    rows = _subject(sleepstudy, "308", "new")
    with pytest.raises(DataError, match="'308' of 'Subject' was in the fitted data"):
        sleepstudy_fit.personalize(_subject(sleepstudy, "308", "308"))
    two = pd.concat([rows.iloc[:2], _subject(sleepstudy, "309", "other").iloc[:2]])
    with pytest.raises(DataError, match="one individual"):
        sleepstudy_fit.personalize(two)
    with pytest.raises(DataError, match="response 'Reaction'"):
        sleepstudy_fit.personalize(rows.drop(columns="Reaction"))
