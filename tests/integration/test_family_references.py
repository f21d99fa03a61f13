"""The families of issue 21 agree with glmmTMB / lme4 on real data (references in tests/data/families).

Each reference is a maximum-likelihood fit made by ``make_references.R``; the
posterior is compared on the scale where it is close to normal (coefficients;
log SDs and log dispersions), in units of the reference's standard error or,
for SDs, relative to the estimate. The tolerances come from two sources:
the posterior mean is not the likelihood's mode (with these sample sizes and
weak priors, coefficients differ by 0.1-0.3 SE), and Monte Carlo error
(2 chains x 500 draws, ESS above 150: 0.08 posterior SD).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from tests.conftest import DATA

REFS = DATA / "families"
SETTINGS = {"draws": 500, "tune": 500, "chains": 2, "progressbar": False, "random_seed": 11}


def _reference(name: str) -> dict:
    return json.loads((REFS / f"{name}.json").read_text())


def _data(csv: str, categories: dict[str, list[str]]) -> pd.DataFrame:
    frame = pd.read_csv(REFS / csv, dtype={c: str for c in categories})
    for column, levels in categories.items():
        frame[column] = pd.Categorical(frame[column], categories=levels)
    return frame


MODELS = {
    # name: (formula, family, data file, categorical columns)
    "gamma": ("Reaction ~ Days + (Days | Subject)", "gamma", "sleepstudy.csv", ["Subject"]),
    "lognormal": ("Reaction ~ Days + (Days | Subject)", "lognormal", "sleepstudy.csv", ["Subject"]),
    "beta": ("seatbelt ~ yr + (1 | state)", "beta", "usseatbelts.csv", ["state"]),
    "zip_intercept": (
        "count ~ mined + (1 | site)",
        "zero_inflated_poisson",
        "salamanders.csv",
        ["mined", "site"],
    ),
    "zinb": (
        "count ~ mined + (1 | site)",
        "zero_inflated_negativebinomial",
        "salamanders.csv",
        ["mined", "site"],
    ),
    "hurdle_poisson": ("count ~ mined + (1 | site)", "hurdle_poisson", "salamanders.csv", ["mined", "site"]),
    "hurdle_nb": (
        "count ~ mined + (1 | site)",
        "hurdle_negativebinomial",
        "salamanders.csv",
        ["mined", "site"],
    ),
    "ordinal_logit": ("rating ~ temp + contact + (1 | judge)", "cumulative", "wine.csv", ["judge"]),
    "ordinal_probit": ("rating ~ temp + contact + (1 | judge)", "cumulative", "wine.csv", ["judge"]),
}
FLAT = {"b": bl.Prior("flat"), "thresholds": bl.Prior("flat")}
"""Ordinal models with flat priors: 72 rows, where the default thresholds prior Student-t(3, 0, 2.5)
pulls the outer cut points (4.2 and 6.1 on the logit scale) in by half an SE."""


@pytest.fixture(scope="module")
def fits():
    out = {}
    for name, (formula, family, csv, categorical) in MODELS.items():
        reference = _reference(name)
        levels = reference["dataset"]["factor_levels"]
        frame = _data(csv, {c: levels[c] for c in categorical})
        link = reference["estimates"]["family"].get("link")
        priors = FLAT if family == "cumulative" else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = bl.GLMM(formula, frame, family=family, link=link, priors=priors)
            out[name] = (model.fit(**SETTINGS), reference)
    return out


def _fixed(reference: dict) -> dict:
    return reference["estimates"].get("fixed", reference["estimates"].get("fixed_conditional"))


@pytest.mark.parametrize("name", list(MODELS))
def test_coefficients_agree_with_the_reference(fits, name):
    fit, reference = fits[name]
    table = fit.summary()
    ours_labels = list(fit.fixed_effects().index)
    refs = list(_fixed(reference).items())
    if "thresholds" in reference["estimates"]:
        # the cut points, named as R's ordinal names them ("1|2", ...)
        ours_labels += [f"thresholds[{label}]" for label in reference["estimates"]["thresholds"]]
        refs += list(reference["estimates"]["thresholds"].items())
    for (label, ref), ours in zip(refs, ours_labels, strict=True):
        ours = ours if ours in table.index else f"b[{ours}]"
        gap = abs(table.loc[ours, "mean"] - ref["estimate"]) / ref["se"]
        assert gap < 0.5, (name, label, table.loc[ours, "mean"], ref)
        assert 0.8 < table.loc[ours, "sd"] / ref["se"] < 1.25, (name, label)


@pytest.mark.parametrize("name", list(MODELS))
def test_group_sds_and_family_parameters_agree(fits, name):
    fit, reference = fits[name]
    for factor, values in reference["estimates"]["random_effects"].items():
        spec = fit.spec.factor(factor)
        for term, sd in values["sd"].items():
            draws = fit.draws(spec.sd_var)[..., spec.effects.index(term.replace("(Intercept)", "Intercept"))]
            # The ML estimate lies inside the central 90% posterior interval. The posterior of an SD
            # is skewed right, more so near zero (hurdle_nb's site SD: ML 0.105, posterior median
            # 0.175-0.193 over parametrizations and seeds), so the median is held to the estimate
            # only within a factor of 2.
            low, median, high = np.quantile(draws, [0.05, 0.5, 0.95])
            assert low < sd < high and abs(np.log(median / sd)) < np.log(2), (name, factor, term, median, sd)
    family = reference["estimates"]["family"]
    checks = {
        "shape": family.get("log_shape_internal"),
        "phi": family.get("log_phi_internal"),
        "alpha": family.get("log_theta_internal"),
    }
    for parameter, log_ref in checks.items():
        if log_ref is not None and parameter in fit.posterior:
            draws = np.log(fit.draws(parameter).ravel())
            assert abs(draws.mean() - log_ref["estimate"]) / log_ref["se"] < 0.6, (name, parameter)
    zero = reference["estimates"].get("fixed_zero_inflation", {}).get("(Intercept)")
    if zero is not None:
        parameter = "zi" if "zi" in fit.posterior else "hu"
        logit = np.log(fit.draws(parameter) / (1 - fit.draws(parameter))).ravel()
        assert abs(logit.mean() - zero["estimate"]) / zero["se"] < 0.6, (name, parameter)
