"""Recovery of known GLMM parameters and agreement with lme4::glmer on cbpp.

Each family is fitted once on simulated data (40 groups x 15 rows, fixed
seeds). Per family, every true value must lie within 4 posterior SDs of the
posterior mean (a gross-failure check, chance of a false alarm ~1e-4); over
all families, the true values must fall in their central 90% intervals at the
nominal rate (at most 4 of 18 outside). Should it fail, compare with a
fixed-effects MLE on the same data before blaming the sampler.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import bayeslme as bl
from tests.conftest import reference

pytestmark = pytest.mark.slow

# Intercepts and group SDs of these non-centered GLMMs mix slowly (bulk ESS
# 50-130 per 1000 draws with 500 tune, see docs/dev-notes.md): 2 x 1000 draws
# after 1000 tune keep the R-hat check below from hinging on the starting
# points a seed gives (at 2 x 500 draws the negative binomial's R-hat reached 1.053
# when only the jitter of the starting points changed).
SETTINGS = {"draws": 1000, "tune": 1000, "chains": 2, "progressbar": False}

RECOVERY = {
    # family: (formula, link, truth overrides)
    "bernoulli": ("y ~ x + (1 | g)", "logit", {"intercept": -0.3, "slope": 0.8}),
    "binomial": (
        "cbind(y, n - y) ~ x + (1 | g)",
        "probit",
        {"intercept": -0.5, "slope": 0.4, "sd_intercept": 0.5},
    ),
    "poisson": ("y ~ x + offset(log(exposure)) + (1 | g)", "log", {"intercept": 0.5, "slope": 0.3}),
    "negativebinomial": (
        "y ~ x + offset(log(exposure)) + (1 | g)",
        "log",
        {"intercept": 1.0, "slope": -0.4, "alpha": 3.0},
    ),
    "student_t": ("y ~ x + (1 | g)", "identity", {"intercept": 2.0, "slope": 1.0, "sigma": 0.7, "nu": 4.0}),
}
LABELS = {"Intercept": "b[Intercept]", "x": "b[x]", "sd_intercept": "sd[g|Intercept]"}


@functools.cache
def recovered(family):
    """Fit one family once per session: (truth, summary at 90%, fit)."""
    formula, link, overrides = RECOVERY[family]
    sim = bl.simulate.glmm(family, link=link, n_groups=40, n_per_group=15, seed=1, **overrides)
    fit = bl.GLMM(formula, sim.data, family=family, link=link).fit(random_seed=7, **SETTINGS)
    return sim.truth, fit.summary(prob=0.9), fit


def misses(truth, summary, low, high):
    out = {}
    for name, true in truth.items():
        row = summary.loc[LABELS.get(name, name)]
        if not row[low] <= true <= row[high]:
            out[name] = (true, round(row[low], 3), round(row[high], 3))
    return out


@pytest.mark.parametrize("family", sorted(RECOVERY))
def test_recovery_per_family(family):
    """No gross failure: every true value within 4 posterior SDs of the posterior mean."""
    truth, summary, fit = recovered(family)
    for name, true in truth.items():
        row = summary.loc[LABELS.get(name, name)]
        assert abs(row["mean"] - true) < 4 * row["sd"], (family, name, true, row["mean"], row["sd"])
    # Non-centered intercepts with informative groups trade off against the
    # intercept (low ESS for Intercept and sd with a diagonal mass matrix), so
    # we require no divergences and R-hat < 1.05 rather than the full ESS bar.
    assert fit.diagnostics.divergences == 0
    assert fit.diagnostics.max_rhat < 1.05, fit.diagnostics.problems()
    r2 = fit.r2()
    assert 0 < r2.loc["marginal", "mean"] < r2.loc["conditional", "mean"] < 1


def test_recovery_coverage_of_90_percent_intervals():
    """True values inside their 90% intervals at the nominal rate.

    18 values over the five families: with correct 90% intervals the number
    of misses is about Binomial(18, 0.1) (mean 1.8); P(5 or more) = 0.028,
    so more than 4 misses signals miscalibrated posteriors. The 90% intervals
    of every value are printed on failure.
    """
    found = {}
    for family in sorted(RECOVERY):
        truth, summary90, _ = recovered(family)
        found.update({f"{family}:{k}": v for k, v in misses(truth, summary90, "q5", "q95").items()})
    assert len(found) <= 4, found


def test_cbpp_matches_glmer(cbpp_fit):
    """Fixed effects within 0.3 posterior SD of glmer's, herd SD within 25%.

    With ~1000+ effective draws the Monte Carlo error of a posterior mean is
    about 0.03 posterior SD, far inside the 0.3 SD tolerance; the remaining gap
    is Laplace approximation vs full posterior (the herd SD posterior is
    right-skewed, so its mean sits above glmer's mode: we compare the median).
    """
    ref = reference("cbpp_lme4")
    fixed = cbpp_fit.fixed_effects()
    names = {
        "(Intercept)": "Intercept",
        "period2": "period[2]",
        "period3": "period[3]",
        "period4": "period[4]",
    }
    for r_name, ours in names.items():
        estimate = ref["fixed_effects"][r_name]["estimate"]
        gap = abs(fixed.loc[ours, "mean"] - estimate) / fixed.loc[ours, "sd"]
        assert gap < 0.3, (ours, fixed.loc[ours, "mean"], estimate, gap)
    sd_draws = cbpp_fit.draws("herd__sd")[..., 0]
    herd_sd = ref["variance_components"]["sd"]["herd"]["(Intercept)"]
    assert abs(np.median(sd_draws) / herd_sd - 1) < 0.25


def test_cbpp_latent_r2_and_icc_near_performance(cbpp_fit):
    """Posterior medians of R² and ICC near performance's plug-in values (tolerance: the posterior
    SD of the herd variance is ~0.3, so the latent ratios move by a few hundredths)."""
    perf = reference("cbpp_lme4")["performance"]
    r2 = cbpp_fit.latent_variances()
    marginal, conditional = (np.median(v) for v in r2.r2())
    assert abs(marginal - perf["r2_nakagawa"]["marginal"]) < 0.03
    assert abs(conditional - perf["r2_nakagawa"]["conditional"]) < 0.05
    assert abs(np.median(r2.icc()) - perf["icc"]["ICC_adjusted"]) < 0.05
    text = repr(cbpp_fit)
    assert "Variance components (on the logit scale)" in text


def _true_average_slope(family, sim):
    """d E[y] / dx at each row with group effects at zero, averaged: the truth of fit.slopes("x")."""
    from scipy import stats as st

    _, link, _ = RECOVERY[family]
    truth, data = sim.truth, sim.data
    eta = truth["Intercept"] + truth["x"] * data["x"].to_numpy()
    if "exposure" in data:
        eta = eta + np.log(data["exposure"].to_numpy())
    derivative = {
        "identity": np.ones_like(eta),
        "logit": np.exp(-eta) / (1 + np.exp(-eta)) ** 2,
        "probit": st.norm.pdf(eta),
        "log": np.exp(eta),
    }[link]
    return float(np.mean(derivative * truth["x"]))


def test_average_slopes_on_the_response_scale_cover_the_truth():
    """fit.slopes("x") against the true average derivative of E[y] (group effects at zero).

    Per family within 4 posterior SDs; over the five families at most 2 true
    values outside their 90% intervals (P(3 or more of 5) = 0.009 when calibrated).
    Measured at commit time: all five inside, 0.1-1.1 posterior SDs from the truth.
    """
    outside = {}
    for family in sorted(RECOVERY):
        formula, link, overrides = RECOVERY[family]
        sim = bl.simulate.glmm(family, link=link, n_groups=40, n_per_group=15, seed=1, **overrides)
        _, _, fit = recovered(family)
        table = fit.slopes("x", groups="population", prob=0.9)
        true = _true_average_slope(family, sim)
        row = table.loc[0]
        assert abs(row["mean"] - true) < 4 * row["sd"], (family, true, row["mean"], row["sd"])
        if not row["q5"] <= true <= row["q95"]:
            outside[family] = (true, row["q5"], row["q95"])
    assert len(outside) <= 2, outside
