"""Two nested factors: the collapsed log-density and conditional draws against dense algebra (no MCMC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytensor
import pytensor.tensor as pt
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.linalg import block_diag

from bayeslme.backend.collapsed_nested import nested_loglik
from bayeslme.backend.nested_stats import nested_conditional_effects, nested_stats, spec_nesting
from bayeslme.blocks import BlockSpec
from bayeslme.formula.design import FactorDesign
from bayeslme.formula.factors import nested_pairs, parent_levels
from bayeslme.spec import FactorSpec, ModelSpec


def _factor(name, index, Z):
    effects = tuple(f"e{j}" for j in range(Z.shape[1]))
    levels = tuple(str(j) for j in range(index.max() + 1))
    return FactorDesign(name, (name,), levels, index, effects, Z, (BlockSpec(effects),))


def _chol(rng, k):
    L = np.tril(rng.normal(size=(k, k)))
    L[np.diag_indices(k)] = np.abs(L[np.diag_indices(k)]) + 0.1
    return L


def _problem(seed, ka, kb, p=2, n_outer=4):
    rng = np.random.default_rng(seed)
    per_outer = rng.integers(1, 4, size=n_outer)  # inner levels per outer level
    parent = np.repeat(np.arange(n_outer), per_outer)
    sizes = rng.integers(1, 6, size=parent.size)  # includes inner levels with fewer rows than effects
    inner = np.repeat(np.arange(parent.size), sizes)
    rng.shuffle(inner)
    n = inner.size
    X = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])
    Za = np.column_stack([np.ones(n), rng.normal(size=(n, ka - 1))])
    Zb = np.column_stack([np.ones(n), rng.normal(size=(n, kb - 1))])
    y = rng.normal(1.0, 2.0, size=n)
    outer_f, inner_f = _factor("a", parent[inner], Za), _factor("a:b", inner, Zb)
    params = (rng.normal(size=p), _chol(rng, ka), _chol(rng, kb), float(rng.uniform(0.5, 2.0)))
    return y, X, outer_f, inner_f, params


def _dense_loglik(y, X, outer, inner, params):
    theta, La, Lb, sigma = params
    total = 0.0
    for j in range(len(outer.levels)):
        rows = outer.index == j
        D = pd.get_dummies(inner.index[rows]).to_numpy(float)  # rows x inner levels of j
        Zb = np.hstack([D[:, [c]] * inner.Z[rows] for c in range(D.shape[1])])
        cov = outer.Z[rows] @ La @ La.T @ outer.Z[rows].T
        cov += Zb @ np.kron(np.eye(D.shape[1]), Lb @ Lb.T) @ Zb.T + sigma**2 * np.eye(rows.sum())
        total += stats.multivariate_normal(X[rows] @ theta, cov).logpdf(y[rows])
    return total


def _collapsed(y, X, outer, inner, params):
    suff = nested_stats(y, X, outer, inner, parent_levels(inner.index, outer.index, len(inner.levels)))
    data = {name: pt.as_tensor(value) for name, value in suff.arrays().items()}
    theta, La, Lb, sigma = pt.vector("theta"), pt.matrix("La"), pt.matrix("Lb"), pt.scalar("sigma")
    ka, kb = outer.Z.shape[1], inner.Z.shape[1]
    out = nested_loglik(data, theta, La, Lb, sigma, k_outer=ka, k_inner=kb)
    # FAST_COMPILE: no C compilation; the test checks the algebra, not the backend.
    return pytensor.function([theta, La, Lb, sigma], out, mode="FAST_COMPILE")(*params)


@pytest.mark.parametrize(("ka", "kb"), [(1, 1), (1, 2), (2, 1), (2, 2), (3, 2)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nested_loglik_matches_dense_multivariate_normal(seed, ka, kb):
    problem = _problem(seed, ka, kb)
    # Both are exact; only floating-point error separates them.
    assert_allclose(_collapsed(*problem), _dense_loglik(*problem), rtol=1e-9)


def _spec(factors):
    specs = tuple(FactorSpec(f.name, f.levels, f.effects, f.blocks, f.columns) for f in factors)
    return ModelSpec("y ~ 1", "gaussian", "identity", "y", (), (), specs, {}, 5, nested=nested_pairs(factors))


class _Design:
    def __init__(self, factors):
        self.factors = tuple(factors)


def test_nesting_is_found_from_data_not_names():
    index_a = np.array([0, 0, 1, 1, 2])
    index_b = np.array([0, 1, 2, 2, 3])  # unique ids: each within one level of a
    a, b = _factor("a", index_a, np.ones((5, 1))), _factor("b", index_b, np.ones((5, 1)))
    crossed = _factor("c", np.array([0, 1, 0, 1, 0]), np.ones((5, 1)))
    assert nested_pairs((a, b, crossed)) == (("b", "a"),)
    same = _factor("s", index_b.copy(), np.ones((5, 1)))
    assert nested_pairs((b, same)) == (("b", "s"), ("s", "b"))
    assert_array_equal(parent_levels(index_b, index_a, 4), [0, 0, 1, 2])
    assert parent_levels(index_a, index_b, 3) is None


def test_spec_nesting_reads_the_spec():
    index_a = np.array([0, 0, 1, 1, 2])
    index_b = np.array([0, 1, 2, 2, 3])
    a, b = _factor("a", index_a, np.ones((5, 1))), _factor("b", index_b, np.ones((5, 1)))
    nesting = spec_nesting(_spec([a, b]), _Design([a, b]))
    assert (nesting.outer, nesting.inner) == (0, 1)
    assert_array_equal(nesting.parent, [0, 0, 1, 2])
    flipped = spec_nesting(_spec([b, a]), _Design([b, a]))
    assert (flipped.outer, flipped.inner) == (1, 0)
    same = _factor("s", index_b.copy(), np.ones((5, 1)))
    tied = spec_nesting(_spec([b, same]), _Design([b, same]))
    assert (tied.outer, tied.inner) == (0, 1)  # the same partition: the first factor is the outer
    crossed = _factor("c", np.array([0, 1, 0, 1, 0]), np.ones((5, 1)))
    assert spec_nesting(_spec([a, crossed]), _Design([a, crossed])) is None
    assert spec_nesting(_spec([a, b, crossed]), _Design([a, b, crossed])) is None
    # A spec that records no nesting (version 2) takes the crossed path whatever the rows say.
    unrecorded = _spec([a, b]).__class__(**{**_spec([a, b]).__dict__, "nested": ()})
    assert spec_nesting(unrecorded, _Design([a, b])) is None


@pytest.mark.parametrize(("ka", "kb"), [(1, 1), (2, 2)])
def test_nested_conditional_effects_match_dense_posterior(ka, kb):
    y, X, outer, inner, (theta, La, Lb, sigma) = _problem(3, ka, kb)
    suff = nested_stats(y, X, outer, inner, parent_levels(inner.index, outer.index, len(inner.levels)))
    draws = 4000
    ua, za, ub, zb = nested_conditional_effects(
        suff,
        np.tile(theta, (draws, 1)),
        np.tile(La, (draws, 1, 1)),
        np.tile(Lb, (draws, 1, 1)),
        np.full(draws, sigma),
        np.random.default_rng(0),
    )
    assert_allclose(ua, za @ La.T)
    assert_allclose(ub, zb @ Lb.T)
    # Dense joint posterior of (u, v): prior precision blockdiag(Sigma^-1), data precision W'W / s^2.
    n_a, n_b = len(outer.levels), len(inner.levels)
    n = y.size
    W = np.zeros((n, n_a * ka + n_b * kb))
    for row in range(n):
        j, i = outer.index[row], inner.index[row]
        W[row, j * ka : (j + 1) * ka] = outer.Z[row]
        W[row, n_a * ka + i * kb : n_a * ka + (i + 1) * kb] = inner.Z[row]
    prior = block_diag(
        np.kron(np.eye(n_a), np.linalg.inv(La @ La.T)), np.kron(np.eye(n_b), np.linalg.inv(Lb @ Lb.T))
    )
    V = np.linalg.inv(prior + W.T @ W / sigma**2)
    m = V @ W.T @ (y - X @ theta) / sigma**2
    both = np.concatenate([ua.reshape(draws, -1), ub.reshape(draws, -1)], axis=1)
    # Monte Carlo error of a mean from 4000 draws: sd / 63; allow 4 of them.
    assert_allclose(both.mean(axis=0), m, atol=4 * np.sqrt(np.diag(V)).max() / np.sqrt(draws))
    assert_allclose(np.cov(both.T), V, atol=0.1 * np.abs(V).max())
