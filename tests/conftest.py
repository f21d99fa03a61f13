"""Shared fixtures: reference data and small seeded fits reused by many tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bayeslme as bl

DATA = Path(__file__).parent / "data"


def reference(name: str) -> dict:
    """Load a reference result copied from ../shared/reference."""
    return json.loads((DATA / f"{name}.json").read_text())


@pytest.fixture(scope="session")
def sleepstudy():
    return bl.datasets.sleepstudy()


@pytest.fixture(scope="session")
def sleepstudy_fit(sleepstudy):
    """One correlated intercept+slope fit of sleepstudy, shared by many tests.

    4 chains x 500 draws give Monte Carlo errors around sd/sqrt(1000), small
    against the tolerances used (0.2-0.3 posterior SD).
    """
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy)
    return model.fit(draws=500, tune=500, chains=4, random_seed=11, progressbar=False)


@pytest.fixture(scope="session")
def cbpp_fit():
    """glmer's cbpp model, shared by the glmer and emmeans agreement tests."""
    model = bl.GLMM(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", bl.datasets.cbpp(), family="binomial"
    )
    return model.fit(draws=500, tune=500, chains=4, random_seed=3, progressbar=False)


@pytest.fixture(scope="session")
def orthodont_fit():
    """lme4's Orthodont model, shared by the REML and emmeans agreement tests."""
    import pandas as pd

    data = pd.read_csv(DATA / "orthodont.csv")
    # As R users have it (nlme's factor): Male first, so Male is the reference level.
    data["Sex"] = pd.Categorical(data["Sex"], categories=["Male", "Female"])
    settings = {"draws": 1000, "tune": 1000, "chains": 4, "progressbar": False}
    return bl.LMM("distance ~ age + Sex + (age | Subject)", data).fit(random_seed=5, **settings)
