"""Distributional formulas fitted: agreement with glmmTMB on real data, recovery of known truth.

Reference: ``tests/data/families/make_distributional.R`` fits nlme's Orthodont
with a residual SD by sex (Pinheiro & Bates 2000's ``varIdent`` model) by
maximum likelihood in glmmTMB 1.1.5, and checks its dispersion
parametrization against nlme. Tolerances as in ``test_family_references.py``:
the posterior mean is not the likelihood's mode (0.1-0.3 SE with these
sizes and weak priors) and Monte Carlo error adds 0.08 posterior SD.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from tests.conftest import DATA

REFS = DATA / "families"
SETTINGS = {"draws": 500, "tune": 500, "chains": 2, "progressbar": False}


@pytest.fixture(scope="module")
def orthodont():
    frame = pd.read_csv(REFS / "orthodont.csv")
    frame["Sex"] = pd.Categorical(frame["Sex"], categories=["Male", "Female"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bl.GLMM(["distance ~ age + Sex + (1 | Subject)", "sigma ~ Sex"], frame).fit(
            random_seed=5, **SETTINGS
        )
    return fit, json.loads((REFS / "orthodont_sigma.json").read_text())


@pytest.mark.slow
def test_orthodont_agrees_with_glmmtmb(orthodont):
    fit, ref = orthodont
    assert fit.diagnostics.max_rhat < 1.02
    fixed = fit.fixed_effects()
    for name, estimate, se in zip(
        ["Intercept", "age", "Sex[Female]"], ref["fixed"]["estimate"], ref["fixed"]["se"], strict=True
    ):
        assert abs(fixed.loc[name, "mean"] - estimate) < 0.5 * se, name
        assert 0.8 < fixed.loc[name, "sd"] / se < 1.25, name
    log_sigma = fit.fixed_effects(dpar="sigma")
    for name, estimate, se in zip(
        ["Intercept", "Sex[Female]"], ref["log_sigma"]["estimate"], ref["log_sigma"]["se"], strict=True
    ):
        # log sigma's posterior is a little skewed (27 children): 0.6 SE, as for the log dispersions
        assert abs(log_sigma.loc[name, "mean"] - estimate) < 0.6 * se, name
        assert 0.75 < log_sigma.loc[name, "sd"] / se < 1.35, name
    sd = fit.variance_components().loc[("Subject", "sd", "Intercept")]
    assert sd["q2.5"] < ref["sd_subject"] < sd["q97.5"]


@pytest.mark.slow
def test_orthodont_predictions_spread_by_sex(orthodont):
    """Replicated responses of girls spread less than boys' by the ratio of their sigmas."""
    fit, ref = orthodont
    frame = fit.design.data
    rows = pd.concat([frame[frame["Sex"] == "Male"].head(1), frame[frame["Sex"] == "Female"].head(1)] * 200)
    draws = fit.predict(rows, kind="response", summary=False, random_seed=2).values
    means = fit.predict(rows, kind="mean", summary=False).values
    spread = (draws - means).reshape(-1, 200, 2).std(axis=(0, 1))
    ratio = np.exp(ref["log_sigma"]["estimate"][1])  # 0.45 (nlme's varIdent: 1 / 2.22)
    # 200,000 residual draws per sex; the posterior of the ratio has SD about 0.08 of it
    assert spread[1] / spread[0] == pytest.approx(ratio, rel=0.2)


@pytest.mark.slow
def test_recovery_of_sigma_by_arm_and_clinic():
    """``sigma ~ arm + (1 | clinic)``: 1,200 rows, 12 clinics, truth inside the 90% intervals.

    Five population parameters at 90 %: all five inside has probability 0.59
    under calibration, so each is checked at 99 % (z = 2.58), which the
    truth misses with probability 0.05 over the five together.
    """
    rng = np.random.default_rng(7)
    n, groups, clinics = 1200, 30, 12
    g = rng.integers(0, groups, n)
    clinic = rng.integers(0, clinics, n)
    arm = rng.choice(["control", "treated"], n)
    x = rng.normal(size=n)
    truth = {
        "b[x]": 0.5,
        "sigma:b[Intercept]": -0.3,
        "sigma:b[arm[treated]]": 0.6,
        "sigma:sd[clinic|Intercept]": 0.4,
        "sd[g|Intercept]": 0.8,
    }
    log_sigma = -0.3 + 0.6 * (arm == "treated") + rng.normal(0, 0.4, clinics)[clinic]
    y = 2 + 0.5 * x + rng.normal(0, 0.8, groups)[g] + rng.normal(0, np.exp(log_sigma))
    frame = pd.DataFrame({"y": y, "x": x, "g": g.astype(str), "clinic": clinic.astype(str), "arm": arm})
    fit = bl.GLMM(["y ~ x + (1 | g)", "sigma ~ arm + (1 | clinic)"], frame).fit(random_seed=3, **SETTINGS)
    table = fit.summary(prob=0.99)
    for label, value in truth.items():
        assert table.loc[label, "q0.5"] < value < table.loc[label, "q99.5"], label
    assert fit.diagnostics.max_rhat < 1.02


@pytest.mark.slow
def test_recovery_of_zero_inflation_by_predictor():
    """``zi ~ dose`` on a zero-inflated Poisson GLMM (logit link): truth inside the 99 % intervals."""
    rng = np.random.default_rng(8)
    n, groups = 1500, 25
    g = rng.integers(0, groups, n)
    dose = rng.uniform(-1, 1, n)
    zi = 1 / (1 + np.exp(-(-0.8 + 1.2 * dose)))
    mu = np.exp(1.0 + 0.3 * dose + rng.normal(0, 0.5, groups)[g])
    y = np.where(rng.uniform(size=n) < zi, 0, rng.poisson(mu))
    frame = pd.DataFrame({"y": y, "dose": dose, "g": g.astype(str)})
    fit = bl.GLMM(["y ~ dose + (1 | g)", "zi ~ dose"], frame, family="zero_inflated_poisson").fit(
        random_seed=4, **SETTINGS
    )
    table = fit.summary(prob=0.99)
    for label, value in {
        "b[dose]": 0.3,
        "zi:b[Intercept]": -0.8,
        "zi:b[dose]": 1.2,
        "sd[g|Intercept]": 0.5,
    }.items():
        assert table.loc[label, "q0.5"] < value < table.loc[label, "q99.5"], label
    # the expected response (1 - zi) mu at the data's rows tracks the simulated one
    mean = fit.predict(kind="mean")["mean"].to_numpy()
    assert np.corrcoef(mean, (1 - zi) * mu)[0, 1] > 0.95
