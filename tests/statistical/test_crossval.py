"""Refitting cross-validation on sleepstudy: new subjects are harder to predict than new days (slow)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import bayeslme as bl

pytestmark = pytest.mark.slow


def test_leaving_subjects_out_scores_below_leaving_rows_out(sleepstudy_fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.errors.ConvergenceWarning)
        rows = bl.kfold(sleepstudy_fit, k=5, random_seed=1)
        subjects = bl.kfold(sleepstudy_fit, k=6, groups="Subject", random_seed=1)
        warnings.simplefilter("ignore", UserWarning)  # ArviZ's note on rows of high Pareto k
        loo = sleepstudy_fit.loo()
    # Random 5-fold leaves 20% of each subject's days out: close to PSIS-LOO (measured at
    # commit time -863.2 against -861.0, SE 22.2). Leaving whole subjects out removes what the
    # model learns about each one: measured -949.5 (SE 8.4), 86 below, about 10 SE.
    assert abs(rows.elpd - loo.elpd) < 2 * loo.se
    assert subjects.elpd < rows.elpd - 2 * subjects.se
    assert np.isfinite(subjects.elpd)


def test_reloo_refits_the_rows_of_high_pareto_k(sleepstudy_fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loo = sleepstudy_fit.loo(pointwise=True)
        exact = bl.reloo(sleepstudy_fit, k_threshold=0.5)
    high = loo.pareto_k.values > 0.5
    assert high.any()
    assert np.all(exact.pareto_k.values[high] == 0)
    # Exact LOO for those rows moves the total by little (PSIS was close even at k > 0.5).
    assert abs(exact.elpd - loo.elpd) < 0.2 * loo.se
