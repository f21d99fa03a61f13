"""R² formulas against hand calculations."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

from bayeslme.results.latent import latent_r2
from bayeslme.results.r2 import bayes_r2


def test_nakagawa_r2_by_hand():
    fixed = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    v_random = np.array([2.0, 1.0])
    v_resid = np.array([1.0, 3.0])
    marginal, conditional = latent_r2(fixed.var(axis=1, ddof=1), v_random, v_resid)
    # var([1, 2, 3], ddof=1) = 1
    assert_allclose(marginal, [1 / 4, 0.0])
    assert_allclose(conditional, [3 / 4, 1 / 4])


def test_bayes_r2_by_hand():
    y = np.array([1.0, 2.0, 4.0])
    mu = np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]])
    # draw 1: var(mu)=1, residuals [0,0,1] var=1/3; draw 2: var(mu)=0
    assert_allclose(bayes_r2(y, mu), [1 / (1 + 1 / 3), 0.0])


def test_perfect_fit_has_bayes_r2_one():
    y = np.arange(5.0)
    assert_allclose(bayes_r2(y, y[None, :]), [1.0])


def test_r2_table_of_a_fit_summarises_the_latent_variances():
    import bayeslme as bl
    from tests.helpers import synthetic_fit

    data = bl.simulate.random_slopes(n_groups=6, n_per_group=5, seed=1).data
    fit = synthetic_fit(bl.LMM("y ~ x + (x | g)", data), seed=4)
    table = fit.r2()
    assert list(table.index) == ["marginal", "conditional", "bayes"]
    assert {"mean", "sd", "q2.5", "q97.5", "r_hat"} <= set(table.columns)
    parts = fit.latent_variances()
    assert_allclose(parts.residual, fit.draws("sigma") ** 2)  # Gaussian: the residual variance
    total = parts.fixed + parts.random + parts.residual
    assert_allclose(table.loc["marginal", "mean"], np.mean(parts.fixed / total))
    assert_allclose(table.loc["conditional", "mean"], np.mean((parts.fixed + parts.random) / total))
    assert table.loc["marginal", "mean"] < table.loc["conditional", "mean"]
