"""A trial-like data set and synthetic fits of it (no MCMC): treatment x week, patients as groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from tests.helpers import synthetic_fit


def trial_data(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    patients = 12
    frame = pd.DataFrame(
        {
            "patient": np.repeat([f"p{i:02d}" for i in range(patients)], 5),
            "week": np.tile([0.0, 2.0, 4.0, 8.0, 12.0], patients),
            # "placebo" is the reference level although it sorts last: the category order rules.
            "arm": pd.Categorical(
                np.repeat(rng.permutation(["drug", "placebo", "dose2"] * 4), 5),
                categories=["placebo", "drug", "dose2"],
            ),
            "age": np.repeat(rng.normal(50, 10, size=patients), 5),
        }
    )
    frame["score"] = 20 + 0.5 * frame["week"] + rng.normal(size=len(frame))
    frame["count"] = rng.poisson(3, size=len(frame))
    return frame


@pytest.fixture(scope="session")
def trial() -> pd.DataFrame:
    return trial_data()


@pytest.fixture(scope="session")
def gaussian_fit(trial):
    model = bl.LMM("score ~ age + arm * week + (1 + week | patient)", trial)
    return synthetic_fit(model, chains=2, draws=50, seed=5)


@pytest.fixture(scope="session")
def poisson_fit(trial):
    model = bl.GLMM("count ~ arm + week + (1 | patient)", trial, family="poisson")
    return synthetic_fit(model, chains=2, draws=50, seed=6)
