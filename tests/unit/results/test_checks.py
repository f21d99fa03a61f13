"""Posterior predictive check table and the Gaussian log-likelihood hook."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose
from scipy import stats

from bayeslme.families import get_family
from bayeslme.results.checks import ppc_table


def test_ppc_table_by_hand():
    y = np.array([1.0, 2.0, 3.0])
    replicated = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [0.0, 1.0, 2.0], [3.0, 3.0, 3.0]])
    table = ppc_table(y, replicated, prob=0.5)
    assert table.loc["mean", "observed"] == 2.0
    assert_allclose(table.loc["mean", "rep_mean"], np.mean([2.0, 3.0, 1.0, 3.0]))
    # T(yrep) >= T(y) for means [2, 3, 1, 3] vs 2: 3 of 4
    assert table.loc["mean", "p_value"] == 0.75
    assert table.loc["sd", "p_value"] == 0.75  # sds [1, 1, 1, 0] vs 1
    assert table.loc["max", "observed"] == 3.0
    assert {"rep_q25", "rep_q75"} <= set(table.columns)


def test_gaussian_log_likelihood_matches_scipy():
    y = np.array([0.5, -1.0, 2.0])
    mean = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 3.0]])
    sigma = np.array([[1.0], [2.0]])
    got = get_family("gaussian").log_likelihood(y, mean, {"sigma": sigma})
    assert_allclose(got, stats.norm.logpdf(y, mean, sigma))
