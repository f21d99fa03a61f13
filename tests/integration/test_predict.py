"""Predictions of the shared sleepstudy fit that depend on its posterior.

Columns, dims, arithmetic, fresh levels and errors run on synthetic draws:
tests/unit/results/test_fit_predictions.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose


def _draws(fit, name):
    values = fit.draws(name)
    return values.reshape((-1,) + values.shape[2:])


def test_new_subject_is_wider_than_a_known_one(sleepstudy_fit):
    rows = pd.DataFrame({"Days": [0.0, 9.0, 0.0, 9.0], "Subject": ["308", "308", "new", "new"]})
    pred = sleepstudy_fit.predict(rows, random_seed=1)
    width = pred["q97.5"] - pred["q2.5"]
    assert width.iloc[2] > 1.5 * width.iloc[0]
    assert width.iloc[3] > 1.5 * width.iloc[1]
    # a fresh effect has mean zero: the new subject sits near the population line
    population = sleepstudy_fit.predict(rows, groups="population")
    assert abs(pred["mean"].iloc[3] - population["mean"].iloc[3]) < 0.2 * pred["sd"].iloc[3]


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
