"""Small SBC runs of the new parametrizations of issue 21: the ordinal thresholds, zero inflation,
and group intercepts centred on the fixed intercept (hierarchical centering, PyMC's model).

Same design and thresholds as tests/statistical/test_sbc.py: ``y ~ x + (1 | g)``,
8 groups of 6 rows, 40 data sets drawn from the default priors, fits of
2 x 150 draws refitted with more draws until the bulk ESS reaches 100.
Under calibration, chi-square and ECDF p-values are uniform (below 0.001
with probability under 1% over 4-5 parameters); 90% coverage counts are
Binomial(40, 0.9) (31 or fewer: 0.005); 50% coverage counts are
Binomial(40, 0.5) (outside [12, 28]: 0.006 per parameter).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.validate import run_sbc
from tests.helpers import assert_sbc_calibrated

N_DATASETS = 40


def _template(family: str) -> bl.GLMM:
    rng = np.random.default_rng(0)
    g = np.repeat([f"g{k}" for k in range(8)], 6)
    y = rng.integers(1, 5, g.size) if family == "cumulative" else rng.poisson(2, g.size)
    data = pd.DataFrame({"y": y, "x": rng.uniform(0, 4, g.size), "g": g})
    return bl.GLMM("y ~ x + (1 | g)", data, family=family)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("family", "centered", "parameters"),
    [
        (
            "cumulative",
            None,
            ["b[x]", "sd[g|Intercept]", "thresholds[1|2]", "thresholds[2|3]", "thresholds[3|4]"],
        ),
        # zi and the hierarchical centering in one run (both passed apart too: zi non-centered at
        # commit 30cb761, smallest p-value 0.07)
        ("zero_inflated_poisson", True, ["b[Intercept]", "b[x]", "sd[g|Intercept]", "zi"]),
    ],
)
def test_sbc_new_parametrizations(family, centered, parameters):
    result = run_sbc(
        _template(family),
        N_DATASETS,
        draws=150,
        tune=200,
        chains=2,
        seed=11,
        sampler="nutpie",
        min_ess=100,
        fit_options={"centered": centered},
    )
    table = result.table(bins=4, ecdf_sims=1000)
    assert list(table.index) == parameters
    assert len(result.fits) == N_DATASETS
    assert_sbc_calibrated(table, N_DATASETS)


@pytest.mark.slow
def test_sbc_distributional_sigma():
    """A residual SD with a formula, ``sigma ~ x``: its log-linear coefficients are calibrated too."""
    rng = np.random.default_rng(0)
    g = np.repeat([f"g{k}" for k in range(8)], 6)
    data = pd.DataFrame({"y": rng.normal(size=g.size), "x": rng.uniform(0, 4, g.size), "g": g})
    template = bl.GLMM(["y ~ x + (1 | g)", "sigma ~ x"], data)
    result = run_sbc(
        template, N_DATASETS, draws=150, tune=200, chains=2, seed=12, sampler="nutpie", min_ess=100
    )
    table = result.table(bins=4, ecdf_sims=1000)
    assert list(table.index) == [
        "b[Intercept]",
        "b[x]",
        "sd[g|Intercept]",
        "sigma:b[Intercept]",
        "sigma:b[x]",
    ]
    assert_sbc_calibrated(table, N_DATASETS)
