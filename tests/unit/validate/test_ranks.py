"""Rank statistics of SBC: chi-square uniformity, interval coverage and the ECDF band test (no MCMC)."""

from __future__ import annotations

import numpy as np
import pytest

from bayeslme.errors import BayeslmeError
from bayeslme.validate import coverage, ecdf_band_test, rank_uniformity


def test_uniform_ranks_pass_and_miscalibrated_ranks_fail():
    rng = np.random.default_rng(6)
    L, n = 99, 400
    assert rank_uniformity(rng.integers(0, L + 1, n), L) > 0.01
    # Posterior too narrow: truth often outside all draws, ranks pile at both ends.
    truth = rng.normal(size=n)
    narrow = np.array([np.sum(rng.normal(t * 0.3, 0.5, L) < t) for t in truth])
    assert rank_uniformity(narrow, L) < 1e-6
    assert coverage(narrow, L, 0.9)[0] < 0.8
    # Calibrated posterior (normal-normal with known conjugate posterior): ranks uniform.
    theta = rng.normal(size=n)
    y = theta + rng.normal(size=n)
    good = np.array([np.sum(rng.normal(yi / 2, np.sqrt(0.5), L) < t) for yi, t in zip(y, theta, strict=True)])
    assert rank_uniformity(good, L) > 0.001
    cover, se = coverage(good, L, 0.9)
    assert abs(cover - 0.9) < 4 * se and se == pytest.approx(np.sqrt(0.09 / n))


def test_coverage_counts_interval_bounds():
    # L = 99: the central 50% interval holds ranks 24.75..74.25, i.e. 25..74.
    ranks = np.array([0, 24, 25, 74, 75, 99])
    assert coverage(ranks, 99, 0.5)[0] == pytest.approx(2 / 6)


def test_ecdf_band_p_values_are_uniform_under_uniform_ranks():
    # 200 independent sets of uniform ranks: the band test rejects at 5% in about 5% of them
    # (binomial SE 1.5%, so 0-12% accepts a calibrated test and rejects one twice too liberal).
    rng = np.random.default_rng(7)
    tests = [ecdf_band_test(rng.integers(0, 20, 60), 19, n_sim=300, seed=k) for k in range(200)]
    rejected = np.mean([t.outside for t in tests])
    assert rejected <= 0.12
    assert np.mean([t.p_value <= 0.05 for t in tests]) <= 0.12
    # Within a test the band holds the expected ECDF and lies within [0, 1].
    band = tests[0]
    assert (band.lower <= band.z).all() and (band.z <= band.upper).all()
    assert (band.lower >= 0).all() and (band.upper <= 1).all()


def test_ecdf_band_detects_overdispersion_and_bias_that_bins_can_miss():
    rng = np.random.default_rng(8)
    L, n = 99, 200
    # Too-wide posterior: ranks bunch in the middle.
    middle = np.clip(np.round(rng.normal(L / 2, L / 6, n)), 0, L).astype(int)
    result = ecdf_band_test(middle, L)
    assert result.outside and result.p_value < 0.01
    # A small shift of every rank (biased posterior) bends the ECDF one way.
    shifted = np.minimum(rng.integers(0, L + 1, n) + 12, L)
    assert ecdf_band_test(shifted, L).p_value < 0.01
    # Uniform ranks of the same size stay inside.
    assert not ecdf_band_test(rng.integers(0, L + 1, n), L, seed=1).outside


def test_ecdf_band_is_reproducible_and_checks_inputs():
    ranks = np.random.default_rng(9).integers(0, 50, 80)
    first, again = ecdf_band_test(ranks, 49, seed=3), ecdf_band_test(ranks, 49, seed=3)
    assert (first.p_value, first.gamma) == (again.p_value, again.gamma)
    with pytest.raises(BayeslmeError, match="0..49"):
        ecdf_band_test(np.array([0, 50]), 49)
    with pytest.raises(BayeslmeError, match="non-empty"):
        ecdf_band_test(np.array([], dtype=int), 49)
    with pytest.raises(BayeslmeError, match="alpha"):
        ecdf_band_test(ranks, 49, alpha=1.5)
