"""The collapsed marginal log-likelihood against a dense multivariate normal (no MCMC)."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from bayeslme.backend.collapsed import collapsed_loglik
from bayeslme.backend.suffstats import conditional_effects, group_stats


def _problem(seed: int, k: int, p: int, groups: int = 6):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 9, size=groups)  # includes groups with fewer rows than effects
    index = np.repeat(np.arange(groups), sizes)
    rng.shuffle(index)
    n = index.size
    X = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])
    Z = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = rng.normal(2.0, 3.0, size=n)
    theta = rng.normal(size=p)
    L = np.tril(rng.normal(size=(k, k)))
    L[np.diag_indices(k)] = np.abs(L[np.diag_indices(k)]) + 0.1
    sigma = float(rng.uniform(0.5, 2.0))
    return y, X, Z, index, groups, theta, L, sigma


def _dense_loglik(y, X, Z, index, groups, theta, L, sigma):
    total = 0.0
    for g in range(groups):
        rows = index == g
        cov = Z[rows] @ L @ L.T @ Z[rows].T + sigma**2 * np.eye(rows.sum())
        total += stats.multivariate_normal(X[rows] @ theta, cov).logpdf(y[rows])
    return total


def _collapsed(y, X, Z, index, groups, theta, L, sigma):
    suff = group_stats(y, X, Z, index, groups)
    data = {name: pt.as_tensor(value) for name, value in suff.arrays().items()}
    theta_t, L_t, sigma_t = pt.vector("theta"), pt.matrix("L"), pt.scalar("sigma")
    out = collapsed_loglik(data, theta_t, L_t, sigma_t, k=Z.shape[1])
    return pytensor.function([theta_t, L_t, sigma_t], out, mode="FAST_COMPILE")(theta, L, sigma)


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_dense_multivariate_normal(seed, k):
    problem = _problem(seed, k=k, p=3)
    # Both are exact; only floating-point error separates them.
    assert_allclose(_collapsed(*problem), _dense_loglik(*problem), rtol=1e-9)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_conditional_effects_match_dense_posterior(k):
    y, X, Z, index, groups, theta, L, sigma = _problem(3, k=k, p=2)
    suff = group_stats(y, X, Z, index, groups)
    draws = 4000
    u, z = conditional_effects(
        suff,
        np.tile(theta, (draws, 1)),
        np.tile(L, (draws, 1, 1)),
        np.full(draws, sigma),
        np.random.default_rng(0),
    )
    assert_allclose(u, z @ L.T)
    Sigma_inv = np.linalg.inv(L @ L.T)
    for g in range(groups):
        rows = index == g
        V = np.linalg.inv(Sigma_inv + Z[rows].T @ Z[rows] / sigma**2)
        m = V @ Z[rows].T @ (y[rows] - X[rows] @ theta) / sigma**2
        # Monte Carlo error of a mean from 4000 draws: sd / 63; allow 4 of them.
        assert_allclose(u[:, g].mean(axis=0), m, atol=4 * np.sqrt(np.diag(V)).max() / np.sqrt(draws))
        assert_allclose(np.atleast_2d(np.cov(u[:, g].T)), V, atol=0.1 * np.abs(V).max())
