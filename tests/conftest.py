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
