"""Marginal means, contrasts and trends against emmeans on the same models fitted by lme4 (slow).

References: ``tests/data/emmeans/emmeans.json`` from ``make_emmeans.R`` (emmeans
1.8.4 on lme4 1.1-31: glmer's Laplace fit of cbpp, lmer's REML fit of
Orthodont). The fits are the shared ``cbpp_fit`` (4 x 500 draws) and
``orthodont_fit`` (4 x 1000 draws) of ``tests/conftest.py``.

Tolerances: the posterior mean against emmeans' estimate within 0.3
posterior SD, the posterior SD against emmeans' SE within 25%. Monte Carlo
error of a posterior mean is about 0.03 SD with 1000+ effective draws; the
rest of the gap is the prior and the difference between a full posterior
and a Laplace/REML fit with plug-in variances, which the glmer agreement
test (test_glmm_recovery.py) bounds the same way. Posterior SDs mostly
exceed plug-in SEs because they carry the variance components'
uncertainty. Measured at commit time: gaps 0.00-0.20 SD, SD/SE 0.94-1.09.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import DATA

pytestmark = pytest.mark.slow

REF = json.loads((DATA / "emmeans" / "emmeans.json").read_text())


def _agree(table, rows, estimate, label):
    for row, ref in zip(table.itertuples(index=False), rows, strict=True):
        gap = abs(row.mean - ref[estimate]) / row.sd
        assert gap < 0.3, (label, row, ref, gap)
        assert row.sd / ref["SE"] == pytest.approx(1, abs=0.25), (label, row, ref)


def test_cbpp_marginal_means_on_both_scales(cbpp_fit):
    ref = REF["cbpp"]["binomial"]
    link = cbpp_fit.marginal_means("period", scale="link")
    assert link["period"].tolist() == [r["period"] for r in ref["link"]]
    _agree(link, ref["link"], "emmean", "link")
    _agree(cbpp_fit.marginal_means("period"), ref["response"], "prob", "response")


def test_cbpp_treatment_contrasts_on_both_scales(cbpp_fit):
    ref = REF["cbpp"]["binomial"]
    link = cbpp_fit.comparisons("period", scale="link")
    assert link["contrast"].tolist() == ["2 - 1", "3 - 1", "4 - 1"]
    _agree(link, ref["trt_vs_ctrl_link"], "estimate", "link contrast")
    # Population-level probabilities depend on period alone, so the average over the
    # data equals emmeans' contrast of back-transformed means.
    _agree(cbpp_fit.comparisons("period"), ref["trt_vs_ctrl_response"], "estimate", "response contrast")


def test_orthodont_means_contrast_and_trend(orthodont_fit):
    ref = REF["orthodont"]["reml"]
    means = orthodont_fit.marginal_means("Sex")
    assert means["Sex"].tolist() == ["Male", "Female"]
    _agree(means, ref["means"], "emmean", "means")
    _agree(orthodont_fit.comparisons("Sex"), ref["pairs"], "estimate", "Female - Male")
    trend = orthodont_fit.slopes("age")
    _agree(trend, ref["trend"], "age.trend", "trend")
    # The trend of a linear model is its coefficient, draw by draw.
    b = orthodont_fit.draws("b")[..., orthodont_fit.spec.fixed.index("age")]
    assert trend.loc[0, "mean"] == pytest.approx(np.mean(b), rel=1e-6)
