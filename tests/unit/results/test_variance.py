import numpy as np
import pytest

from bayeslme.results.summaries import interval_labels, summarize_draws
from bayeslme.results.variance import (
    covariance_matrices,
    design_moment,
    icc,
    random_effect_variance,
    variance_components_table,
)
from bayeslme.spec import BlockSpec, FactorSpec

FACTOR = FactorSpec(
    "g", ("a", "b"), ("Intercept", "x", "z"), (BlockSpec(("Intercept", "x")), BlockSpec(("z",)))
)


def test_covariance_matrix_by_hand():
    sd = np.array([2.0, 3.0, 0.5])
    cov = covariance_matrices(sd, np.array([-0.5]), FACTOR)
    expected = np.array([[4.0, -3.0, 0.0], [-3.0, 9.0, 0.0], [0.0, 0.0, 0.25]])
    np.testing.assert_allclose(cov, expected)


def test_johnson_variance_equals_mean_quadratic_form():
    rng = np.random.default_rng(1)
    Z = np.column_stack([np.ones(50), rng.uniform(0, 9, 50), rng.normal(size=50)])
    cov = covariance_matrices(np.array([24.7, 5.9, 1.0]), np.array([0.066]), FACTOR)
    direct = np.mean([z @ cov @ z for z in Z])
    assert random_effect_variance(cov, design_moment(Z)) == pytest.approx(direct)


def test_icc_reduces_to_classic_for_intercepts():
    assert icc(np.array(3.0), np.array(1.0)) == pytest.approx(0.75)


def test_sleepstudy_lme4_variance_random_reproduced():
    # performance::get_variance on sleepstudy: var.random 1698.08 from lme4's
    # estimates (sd 24.7407, 5.9221, cor 0.06555) and Days = 0..9 per subject.
    factor = FactorSpec("Subject", tuple("ab"), ("Intercept", "Days"), (BlockSpec(("Intercept", "Days")),))
    Z = np.column_stack([np.ones(180), np.tile(np.arange(10.0), 18)])
    cov = covariance_matrices(
        np.array([24.7406579949841, 5.92213765889808]), np.array([0.0655512382381282]), factor
    )
    assert random_effect_variance(cov, design_moment(Z)) == pytest.approx(1698.08370043695, rel=1e-9)


def test_table_layout_and_values():
    rng = np.random.default_rng(2)
    sds = {"g": np.abs(rng.normal(size=(2, 50, 3))) + 1}
    cors = {"g": rng.uniform(-0.5, 0.5, size=(2, 50, 1))}
    moments = {"g": np.eye(3)}
    sigma = np.abs(rng.normal(size=(2, 50))) + 1
    table = variance_components_table((FACTOR,), sds, cors, moments, sigma, prob=0.9)
    assert table.loc[("g", "sd", "x"), "mean"] == pytest.approx(sds["g"][..., 1].mean())
    assert table.loc[("g", "var", "z"), "mean"] == pytest.approx((sds["g"][..., 2] ** 2).mean())
    expected_cov = cors["g"][..., 0] * sds["g"][..., 0] * sds["g"][..., 1]
    assert table.loc[("g", "cov", "Intercept, x"), "mean"] == pytest.approx(expected_cov.mean())
    v_random = (sds["g"] ** 2).sum(axis=-1)  # moment = identity -> trace of Sigma
    assert table.loc[("ICC", "icc", "adjusted"), "mean"] == pytest.approx(
        (v_random / (v_random + sigma**2)).mean()
    )
    assert list(table.columns[:4]) == ["mean", "sd", "q5", "q95"]


def test_summary_quantiles_and_labels():
    draws = np.arange(1000.0).reshape(2, 500, 1)
    table = summarize_draws(draws, ["a"], prob=0.9)
    assert table.loc["a", "q5"] == pytest.approx(np.quantile(np.arange(1000.0), 0.05))
    assert interval_labels(0.95) == ("q2.5", "q97.5")
    assert interval_labels(0.5) == ("q25", "q75")
