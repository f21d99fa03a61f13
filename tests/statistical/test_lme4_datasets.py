"""lme4's own data sets as users bring them: Orthodont (a categorical with R's level order) and
Penicillin (a grouping factor named ``sample``), against lme4's REML fits (slow).

References: ``tests/data/orthodont_lme4.json`` and ``penicillin_lme4.json``, written by
``tests/data/formula_corpus/make_corpus.R`` (lme4 1.1-31, REML).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from tests.conftest import DATA, reference

pytestmark = pytest.mark.slow

SETTINGS = {"draws": 1000, "tune": 1000, "chains": 4, "progressbar": False}


def _ours(name: str) -> str:
    """lme4's coefficient name in bayeslme's spelling (``SexFemale`` -> ``Sex[Female]``)."""
    return {"(Intercept)": "Intercept", "SexFemale": "Sex[Female]"}.get(name, name)


@pytest.fixture(scope="module")
def penicillin_fit():
    data = pd.read_csv(DATA / "penicillin.csv")
    return bl.LMM("diameter ~ 1 + (1 | plate) + (1 | sample)", data).fit(random_seed=5, **SETTINGS)


@pytest.mark.parametrize(
    ("fixture", "name"), [("orthodont_fit", "orthodont"), ("penicillin_fit", "penicillin")]
)
def test_fixed_effects_have_lme4_names_and_reml_estimates(fixture, name, request):
    fit = request.getfixturevalue(fixture)
    ref = reference(f"{name}_lme4")["fixed_effects"]
    table = fit.fixed_effects()
    assert list(table.index) == [_ours(n) for n in ref]
    for lme4_name, values in ref.items():
        row = table.loc[_ours(lme4_name)]
        # Weakly informative priors: posterior mean ~ REML estimate. 0.3 SD leaves room for
        # Monte Carlo error (~0.03 SD at ESS ~1000) and the prior's pull.
        assert abs(row["mean"] - values["estimate"]) < 0.3 * row["sd"], (lme4_name, row["mean"])


def test_penicillin_variance_components_agree_with_reml(penicillin_fit):
    ref = reference("penicillin_lme4")["variance_components"]
    posterior = penicillin_fit.posterior
    expected = {
        "plate__sd": ref["sd"]["plate"]["(Intercept)"],
        "sample__sd": ref["sd"]["sample"]["(Intercept)"],
        "sigma": ref["sigma"],
    }
    for variable, estimate in expected.items():
        draws = posterior[variable].values.ravel()
        # The posterior median, not the mean: with 6 samples the SD's posterior is right-skewed,
        # and its mode (REML's estimate) sits below the mean; the median lies between.
        assert abs(np.median(draws) - estimate) < 0.3 * draws.std(), (variable, np.median(draws))


def test_orthodont_variance_components_cover_reml(orthodont_fit):
    """The REML estimates lie inside the 95% intervals.

    Not within 0.3 SD: with the intercept at age 0, eight years before the first
    visit, the intercept SD and its correlation with the slope sit on a flat ridge
    of the likelihood (REML: 2.80 and -0.77), and the posterior (1.8 and -0.17,
    both paths, also non-centered) follows the priors along it.
    """
    ref = reference("orthodont_lme4")["variance_components"]
    table = orthodont_fit.variance_components()
    rows = {
        ("Subject", "sd", "Intercept"): ref["sd"]["Subject"]["(Intercept)"],
        ("Subject", "sd", "age"): ref["sd"]["Subject"]["age"],
        ("Subject", "cor", "Intercept, age"): ref["cor"]["Subject"]["(Intercept)__age"],
        ("Residual", "sd", ""): ref["sigma"],
    }
    for row, estimate in rows.items():
        assert table.loc[row, "q2.5"] < estimate < table.loc[row, "q97.5"], row


def test_sample_is_an_ordinary_factor_name(penicillin_fit, tmp_path):
    factor = penicillin_fit.spec.factor("sample")
    assert factor.levels == ("A", "B", "C", "D", "E", "F")
    assert penicillin_fit.posterior["sample__u"].dims[2:] == ("sample__level", "sample__effect")
    path = tmp_path / "penicillin.nc"
    penicillin_fit.save(path)
    pd.testing.assert_frame_equal(bl.load(path).coef("sample"), penicillin_fit.coef("sample"))
