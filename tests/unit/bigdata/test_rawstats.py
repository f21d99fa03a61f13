"""RawStats: sums add across blocks of rows, and centring afterwards equals centring first."""

from __future__ import annotations

import numpy as np

from bayeslme.backend.suffstats import group_stats
from bayeslme.bigdata.rawstats import RawStats


def _rows(seed=0, n=400, levels=7):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(3, 2, n), rng.integers(0, 2, n)])
    Z = np.column_stack([np.ones(n), X[:, 1]])
    index = rng.integers(0, levels, n)
    y = X @ [1.0, 0.5, -1.0] + rng.normal(size=n)
    return y, X, Z, index, levels


def test_blocks_add_up_to_the_whole():
    y, X, Z, index, levels = _rows()
    whole = RawStats.from_rows(y, X, Z, index, levels)
    parts = [
        RawStats.from_rows(y[s], X[s], Z[s], index[s], levels) for s in np.array_split(np.arange(400), 5)
    ]
    total = sum(parts[1:], parts[0])
    for name in ("counts", "ZZ", "ZX", "Zy", "Z1", "X1", "XX", "Xy"):
        np.testing.assert_allclose(getattr(total, name), getattr(whole, name), rtol=1e-12, atol=1e-9)
    assert total.n_obs == 400


def test_centring_afterwards_equals_centring_first():
    y, X, Z, index, levels = _rows(1)
    raw = RawStats.from_rows(y, X, Z, index, levels)
    centre = raw.column_means * np.array([0.0, 1.0, 1.0])  # the intercept column is not centred
    expected = group_stats(y, X - centre, Z, index, levels)
    got = raw.centered(centre)
    for name in ("ZZ", "ZX", "Zy", "XX", "Xy"):
        a, b = getattr(got, name), getattr(expected, name)
        assert np.max(np.abs(a - b)) <= 1e-10 * np.max(np.abs(b)), name
    assert got.yy == expected.yy and got.n_obs == expected.n_obs
