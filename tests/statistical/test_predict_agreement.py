"""R² against performance::r2_nakagawa and brms::bayes_R2; personalize against a full refit."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import bayeslme as bl

pytestmark = pytest.mark.slow


def reference(name: str) -> dict:
    return json.loads((Path(__file__).parents[1] / "data" / f"{name}.json").read_text())


def test_r2_matches_lme4_performance_and_brms(sleepstudy_fit):
    table = sleepstudy_fit.r2()
    nakagawa = reference("sleepstudy_lme4")["performance"]["r2_nakagawa"]
    # Posterior means vs REML plug-in values: the slope-SD posterior is right-skewed, so the
    # mean marginal R² sits ~0.027 below lme4's 0.279; Monte Carlo error of the means ~0.003.
    assert table.loc["marginal", "mean"] == pytest.approx(nakagawa["marginal"], abs=0.03)
    assert table.loc["conditional", "mean"] == pytest.approx(nakagawa["conditional"], abs=0.03)
    brms = reference("sleepstudy_brms")["bayes_R2"]
    assert table.loc["bayes", "mean"] == pytest.approx(brms["mean"], abs=0.03)
    assert table.loc["bayes", "sd"] == pytest.approx(brms["sd"], rel=0.3)


def test_personalize_matches_refit_with_the_new_rows(sleepstudy):
    """Hold out subject 308, personalise with its first 3 days, refit with those rows.

    Tolerances from the issue: means within 0.2 posterior SD, interval widths within 20%.
    Monte Carlo error of each mean is ~0.03 SD (ESS ~1000), of each width ~5%.
    """
    data = sleepstudy.assign(Subject=sleepstudy["Subject"].astype(str))
    held = data[data["Subject"] == "308"].sort_values("Days")
    rest = data[data["Subject"] != "308"]
    formula = "Reaction ~ Days + (Days | Subject)"
    settings = {"draws": 500, "tune": 500, "chains": 4, "progressbar": False}
    fit = bl.LMM(formula, rest).fit(random_seed=21, **settings)
    person = fit.personalize(held.iloc[:3], random_seed=1)
    refit = bl.LMM(formula, pd.concat([rest, held.iloc[:3]])).fit(random_seed=22, **settings)

    assert person.pareto_k < 0.7 and person.ess > 500
    mine = person.coefficients()
    full = refit.coef("Subject").loc["308"]
    for name in ("Intercept", "Days"):
        assert abs(mine.loc[name, "mean"] - full.loc[name, "mean"]) < 0.2 * full.loc[name, "sd"]
        width = mine.loc[name, "q97.5"] - mine.loc[name, "q2.5"]
        assert width == pytest.approx(full.loc[name, "q97.5"] - full.loc[name, "q2.5"], rel=0.2)

    future = held.iloc[3:]
    ours, theirs = person.predict(future), refit.predict(future)
    assert ((ours["mean"] - theirs["mean"]).abs() < 0.2 * theirs["sd"]).all()
    ratio = (ours["q97.5"] - ours["q2.5"]) / (theirs["q97.5"] - theirs["q2.5"])
    assert ratio.between(0.8, 1.2).all()
