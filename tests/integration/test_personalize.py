"""Personalisation on the shared fit: more rows move a new subject towards its own posterior.

Predictions and errors of a personalised fit run on synthetic draws: tests/unit/results/test_personalize.py.
"""

from __future__ import annotations

import pytest


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
