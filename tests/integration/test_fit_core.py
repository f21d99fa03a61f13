"""Real LMM fits: convergence, the sampler's saved tree, dims and seeded reproducibility.

Table layout and arithmetic run on synthetic draws in tests/unit/results/test_fit_tables.py.
"""

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl


def test_shared_fit_converges(sleepstudy_fit):
    # Layout and arithmetic of the tables: tests/unit/results/test_fit_tables.py (synthetic draws).
    # 4 x 500 draws of a well-identified posterior: R-hat near 1 and hundreds of effective draws.
    table = sleepstudy_fit.fixed_effects()
    assert table["r_hat"].max() < 1.05
    assert table["ess_bulk"].min() > 400


def test_idata_has_named_dims_and_level_coords(sleepstudy_fit):
    posterior = sleepstudy_fit.idata["posterior"]
    assert posterior["Subject__u"].dims == ("chain", "draw", "Subject__level", "Subject__effect")
    assert list(posterior["Subject__level"].values[:3]) == ["308", "309", "310"]
    assert list(posterior["fixed"].values) == ["Intercept", "Days"]


def test_save_load_round_trip_keeps_the_sampler_tree(sleepstudy_fit, tmp_path):
    # Tables of a loaded fit: tests/unit/test_io.py (synthetic draws). Only a real fit has the
    # sampler's groups (sample_stats with its messages, observed and constant data): all survive.
    path = tmp_path / "fit.nc"
    sleepstudy_fit.save(path)
    loaded = bl.load(path)
    assert loaded.spec == sleepstudy_fit.spec
    assert set(loaded.idata.children) == set(sleepstudy_fit.idata.children)
    for name, node in sleepstudy_fit.idata.children.items():
        original = node.to_dataset()
        again = loaded.idata[name].to_dataset()
        kept = [v for v in original.data_vars if original[v].dtype != object]
        assert set(again.data_vars) == set(kept), name
        for var in kept:
            np.testing.assert_array_equal(again[var].values, original[var].values, err_msg=f"{name}/{var}")
            assert again[var].dims == original[var].dims, f"{name}/{var}"
    pd.testing.assert_frame_equal(loaded.variance_components(), sleepstudy_fit.variance_components())


@pytest.fixture(scope="module")
def crossed_data():
    rng = np.random.default_rng(5)
    n = 120
    donor = rng.integers(0, 6, n)
    batch = rng.integers(0, 5, n)
    x = rng.normal(size=n)
    y = (
        1
        + 0.5 * x
        + rng.normal(0, 0.8, 6)[donor]
        + (rng.normal(0, 0.5, 5) * x.mean())[batch]
        + rng.normal(0, 0.3, n)
    )
    return pd.DataFrame(
        {"y": y, "x": x, "donor": [f"d{k}" for k in donor], "batch": batch, "site": donor % 2}
    )


def test_crossed_nested_uncorrelated_fit_and_same_seed(crossed_data):
    formula = "y ~ x + (1 | donor) + (x || batch) + (1 | site/donor)"
    # lme4 keeps a repeated term as a term of its own, g.1 in VarCorr
    repeated = bl.LMM("y ~ x + (1 | donor) + (1 | donor)", crossed_data)
    assert [f.name for f in repeated.spec.factors] == ["donor", "donor.1"]
    model = bl.LMM(formula, crossed_data)
    assert [f.name for f in model.spec.factors] == ["donor", "batch", "site", "site:donor"]
    first = model.fit(draws=60, tune=60, chains=2, random_seed=3, progressbar=False)
    again = model.fit(draws=60, tune=60, chains=2, random_seed=3, progressbar=False)
    other = model.fit(draws=60, tune=60, chains=2, random_seed=4, progressbar=False)
    np.testing.assert_array_equal(first.draws("b"), again.draws("b"))
    assert not np.array_equal(first.draws("b"), other.draws("b"))
    assert first.posterior["batch__sd"].dims[-1] == "batch__effect"
    assert "batch__cor" not in first.posterior
    table = first.variance_components()
    assert ("site:donor", "sd", "Intercept") in table.index
    assert first.info["sampler"] == "nutpie"
