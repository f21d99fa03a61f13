"""Tables, labels and text of a fitted sleepstudy LMM (no MCMC: synthetic draws)."""

from __future__ import annotations

import numpy as np
import pytest

import bayeslme as bl
from bayeslme.results.variance import covariance_matrices, design_moment, random_effect_variance
from tests.helpers import synthetic_fit


@pytest.fixture(scope="module")
def fit():
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy())
    return synthetic_fit(model, chains=2, draws=100, seed=11)


def test_fixed_effects_table_layout(fit):
    table = fit.fixed_effects()
    assert list(table.index) == ["Intercept", "Days"]
    assert list(table.columns) == ["mean", "sd", "q2.5", "q97.5", "ess_bulk", "ess_tail", "r_hat"]
    b = fit.draws("b")
    assert table.loc["Days", "mean"] == pytest.approx(b[..., 1].mean())
    assert table.loc["Days", "q2.5"] == pytest.approx(np.quantile(b[..., 1], 0.025))


def test_variance_components_rows(fit):
    table = fit.variance_components(prob=0.9)
    expected = {
        ("Subject", "sd", "Intercept"),
        ("Subject", "var", "Days"),
        ("Subject", "cor", "Intercept, Days"),
        ("Subject", "cov", "Intercept, Days"),
        ("Residual", "sd", ""),
        ("ICC", "icc", "adjusted"),
    }
    assert expected <= set(table.index)
    sd = fit.draws("Subject__sd")
    cor = fit.draws("Subject__cor")[..., 0]
    sigma = fit.draws("sigma")
    assert table.loc[("Subject", "var", "Intercept"), "mean"] == pytest.approx((sd[..., 0] ** 2).mean())
    assert table.loc[("Subject", "cor", "Intercept, Days"), "mean"] == pytest.approx(cor.mean())
    assert table.loc[("Subject", "cov", "Intercept, Days"), "mean"] == pytest.approx(
        (cor * sd[..., 0] * sd[..., 1]).mean()
    )
    # adjusted ICC: V_random / (V_random + sigma^2), V_random the mean of z' Sigma z over the rows
    factor = fit.spec.factor("Subject")
    moment = design_moment(np.column_stack([np.ones(180), fit.design.data["Days"].to_numpy(float)]))
    v_random = np.array(
        [
            random_effect_variance(covariance_matrices(s, c[None], factor), moment)
            for s, c in zip(sd.reshape(-1, 2), cor.reshape(-1), strict=True)
        ]
    )
    expected_icc = v_random / (v_random + sigma.reshape(-1) ** 2)
    assert table.loc[("ICC", "icc", "adjusted"), "mean"] == pytest.approx(expected_icc.mean())


def test_coef_is_fixed_plus_random(fit):
    coef = fit.coef("Subject")
    ranef = fit.random_effects("Subject")
    fixed = fit.fixed_effects()
    assert coef.index.names == ["Subject", "coefficient"]
    assert len(coef) == 18 * 2 and len(ranef) == 18 * 2
    # means are linear: mean(b + u) = mean(b) + mean(u)
    expected = fixed.loc["Days", "mean"] + ranef.loc[("308", "Days"), "mean"]
    assert coef.loc[("308", "Days"), "mean"] == pytest.approx(expected)


def test_summary_and_text(fit):
    summary = fit.summary()
    assert {"b[Intercept]", "sd[Subject|Days]", "cor[Subject|Intercept, Days]", "sigma"} <= set(summary.index)
    text = repr(fit)
    assert "Fixed effects:" in text and "Variance components:" in text and "ICC" in text


def test_unknown_factor_name(fit):
    with pytest.raises(bl.errors.BayeslmeError, match="unknown grouping factor 'Patient'"):
        fit.coef("Patient")
