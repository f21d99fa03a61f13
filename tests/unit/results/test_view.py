"""The results layer's view of a fit: names, labels, the plot accessor and its aliases."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import BayeslmeError
from bayeslme.results.fit_plots import FitPlots
from bayeslme.results.view import draw_labels, factor_or_error, population_var_names
from tests.helpers import synthetic_fit


@pytest.fixture(scope="module")
def fit() -> bl.Fit:
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {"y": rng.normal(size=60), "x": rng.normal(size=60), "g": np.repeat(list("abcdef"), 10)}
    )
    return synthetic_fit(bl.LMM("y ~ x + (1 + x | g)", data=data))


def test_population_names_follow_the_spec_and_the_stored_variables(fit):
    spec = fit.spec
    factor = spec.factor("g")
    assert population_var_names(spec, {"sigma", "b"}) == ["b", factor.sd_var, factor.cor_var, "sigma"]
    # a family parameter absent from the posterior is not listed
    assert "nu" not in fit.population_var_names()
    assert fit.population_var_names() == population_var_names(spec, set(fit.posterior.data_vars))


def test_labels_are_the_spec_labels(fit):
    factor = fit.spec.factor("g")
    assert draw_labels(fit.spec, "b") == ["b[Intercept]", "b[x]"]
    assert draw_labels(fit.spec, factor.sd_var) == factor.sd_labels()
    assert draw_labels(fit.spec, factor.cor_var) == factor.cor_labels()
    expected = ["b[Intercept]", "b[x]", *factor.sd_labels(), *factor.cor_labels(), "sigma"]
    assert list(fit.summary().index) == expected


def test_unknown_factor_names_the_known_ones(fit):
    with pytest.raises(BayeslmeError, match=r"unknown grouping factor 'h'; the model has \['g'\]"):
        factor_or_error(fit.spec, "h")
    with pytest.raises(BayeslmeError, match="unknown grouping factor 'h'"):
        fit.coef("h")


def test_plot_accessor_and_aliases_draw_the_same(fit):
    assert isinstance(fit.plot, FitPlots)
    a = fit.plot.random_effects("g", "x")
    b = fit.plot_random_effects("g", "x")
    # same caterpillar: the same level labels in the same order
    assert [t.get_text() for t in a.get_yticklabels()] == [t.get_text() for t in b.get_yticklabels()]
    panels = fit.plot_variance_components()
    assert len(np.ravel(panels)) == len(np.ravel(fit.plot.variance_components())) > 0
    matplotlib.pyplot.close("all")


def test_fit_is_frozen(fit):
    with pytest.raises(AttributeError):
        fit.spec = None
