"""Linear predictor, fresh group effects and prediction summaries against hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from bayeslme.results import predict
from bayeslme.results.prediction import unseen_codes


def _loop_eta(X, b, groups):
    draws, n = b.shape[0], X.shape[0]
    eta = np.zeros((draws, n))
    for s in range(draws):
        for i in range(n):
            eta[s, i] = X[i] @ b[s]
            for Z, index, u in groups:
                eta[s, i] += Z[i] @ u[s, index[i]]
    return eta


def test_linear_predictor_matches_loops():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 2))
    b = rng.normal(size=(5, 2))
    groups = [
        (rng.normal(size=(7, 2)), rng.integers(0, 3, 7), rng.normal(size=(5, 3, 2))),
        (np.ones((7, 1)), rng.integers(0, 4, 7), rng.normal(size=(5, 4, 1))),
    ]
    assert_allclose(predict.linear_predictor(X, b, groups), _loop_eta(X, b, groups))


def test_linear_predictor_without_fixed_columns():
    u = np.arange(6.0).reshape(2, 3, 1)
    eta = predict.linear_predictor(
        np.zeros((2, 0)), np.zeros((2, 0)), [(np.ones((2, 1)), np.array([2, 0]), u)]
    )
    assert_allclose(eta, [[2.0, 0.0], [5.0, 3.0]])


def test_group_contribution_chunking_gives_same_result(monkeypatch):
    rng = np.random.default_rng(1)
    Z, index, u = rng.normal(size=(50, 2)), rng.integers(0, 5, 50), rng.normal(size=(4, 5, 2))
    full = predict.group_contribution(Z, index, u)
    monkeypatch.setattr(predict, "_CHUNK_ELEMENTS", 16)  # two rows per chunk
    assert_allclose(predict.group_contribution(Z, index, u), full)


def test_unseen_codes_one_code_per_label():
    codes = unseen_codes(("a", "x", "y", "x", "b"), np.array([0, -1, -1, -1, 1]))
    assert codes.tolist() == [0, -1, -2, -1, 1]


def test_draw_new_effects_shared_by_rows_of_a_level_and_with_right_covariance():
    rng = np.random.default_rng(2)
    draws = 20000
    cov = np.array([[4.0, 1.2], [1.2, 1.0]])
    u = np.zeros((draws, 3, 2))
    index = np.array([0, -1, -2, -1])
    u_all, idx = predict.draw_new_effects(u, index, np.broadcast_to(cov, (draws, 2, 2)), rng)
    assert u_all.shape == (draws, 5, 2)
    assert idx.tolist() == [0, 3, 4, 3]
    # Sample covariance of 20000 draws: SE of a variance ~ var*sqrt(2/n) ~ 0.04 for var 4.
    assert_allclose(np.cov(u_all[:, 3].T), cov, atol=0.15)
    assert_allclose(np.cov(u_all[:, 4].T), cov, atol=0.15)
    # the two unseen levels are independent
    assert abs(np.corrcoef(u_all[:, 3, 0], u_all[:, 4, 0])[0, 1]) < 0.05


def test_draw_new_effects_without_unseen_is_identity():
    u = np.ones((2, 3, 1))
    out, idx = predict.draw_new_effects(u, np.array([0, 2]), np.ones((2, 1, 1)), np.random.default_rng(0))
    assert out is u and idx.tolist() == [0, 2]


def test_sample_mvnormal_handles_singular_covariance():
    cov = np.array([[[1.0, 1.0], [1.0, 1.0]]])  # correlation exactly 1
    z = predict.sample_mvnormal(cov, 1000, np.random.default_rng(3))
    assert_allclose(z[0, :, 0], z[0, :, 1], atol=1e-4)


def test_prediction_summary_is_the_equal_tailed_table_of_every_other_summary():
    from bayeslme.results.prediction import summary_table

    draws = np.random.default_rng(5).exponential(size=(20000, 2))
    table = summary_table(draws, pd.Index(["a", "b"]), 0.9)
    assert list(table.columns) == ["mean", "sd", "q5", "q95"]
    assert_allclose(table["q5"], np.quantile(draws, 0.05, axis=0))
    assert_allclose(table["q95"], np.quantile(draws, 0.95, axis=0))
    assert_allclose(table["mean"], draws.mean(axis=0))


def test_per_draw_accepts_scalar_vector_and_column():
    from bayeslme.results.prediction import per_draw

    assert_allclose(per_draw(3.29, 3), [3.29, 3.29, 3.29])
    assert_allclose(per_draw(np.array([1.0, 2.0]), 2), [1.0, 2.0])
    assert_allclose(per_draw(np.array([[1.0], [2.0]]), 2), [1.0, 2.0])
