"""``Fit.coef_draws``: labelled draws whose summary is exactly ``Fit.coef``."""

from __future__ import annotations

import numpy as np
import pytest

import bayeslme as bl
from bayeslme.errors import BayeslmeError
from tests.helpers import synthetic_fit


@pytest.fixture(scope="module")
def fit():
    data = bl.simulate.random_slopes(n_groups=5, n_per_group=4, seed=0).data
    return synthetic_fit(bl.LMM("y ~ x + (x | g)", data), seed=3)


def test_coef_draws_are_fixed_plus_group_effect(fit):
    draws = fit.coef_draws("g")
    assert draws.dims == ("chain", "draw", "g__level", "coefficient")
    assert list(draws.coords["coefficient"].values) == ["Intercept", "x"]
    level = draws.coords["g__level"].values[2]
    expected = fit.posterior["b"].sel(fixed="x") + fit.posterior["g__u"].sel(g__level=level, g__effect="x")
    np.testing.assert_allclose(draws.sel(g__level=level, coefficient="x").values, expected.values)


def test_coef_draws_summarise_to_coef(fit):
    means = fit.coef_draws("g").mean(("chain", "draw")).to_pandas().stack()
    table = fit.coef("g")["mean"]
    np.testing.assert_allclose(means.loc[table.index].values, table.values, rtol=1e-12)


def test_coef_draws_unknown_factor(fit):
    with pytest.raises(BayeslmeError, match="unknown grouping factor"):
        fit.coef_draws("nope")
