"""A model of Parquet files samples the same posterior as the same rows in memory (small data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.bigdata.design import StreamedDesign
from bayeslme.errors import DataError
from bayeslme.posterior_arrays import cholesky_draws

SETTINGS = {"draws": 300, "tune": 300, "chains": 2, "progressbar": False}


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    rng = np.random.default_rng(3)
    n, groups = 4000, 80
    g = rng.integers(0, groups, n)
    x1 = rng.normal(size=n)
    arm = rng.choice(["a", "b", "c"], n)
    y = 1.0 + 0.5 * x1 + (arm == "b") + rng.normal(0, 0.8, groups)[g] + rng.normal(0, 0.4, groups)[g] * x1
    frame = pd.DataFrame({"y": y + rng.normal(size=n), "x1": x1, "arm": arm, "g": g})
    directory = tmp_path_factory.mktemp("parquet")
    for k in range(4):
        frame.iloc[k::4].to_parquet(directory / f"part{k}.parquet")
    return frame, directory


@pytest.fixture(scope="module")
def fits(frames):
    frame, directory = frames
    formula = "y ~ x1 + arm + (1 + x1 | g)"
    streamed = bl.LMM(formula, str(directory / "*.parquet")).fit(random_seed=4, **SETTINGS)
    memory = bl.LMM(formula, frame).fit(random_seed=4, **SETTINGS)
    return streamed, memory


def test_same_spec_and_same_posterior(fits):
    streamed, memory = fits
    assert isinstance(streamed.design, StreamedDesign) and streamed.info["method"] == "collapsed"
    assert streamed.spec.fixed == memory.spec.fixed and streamed.spec.n_obs == memory.spec.n_obs
    for key, prior in memory.spec.priors.items():
        for name, value in prior.params:
            assert streamed.spec.priors[key][name] == pytest.approx(value, rel=1e-9), key
    # Statistics equal to rounding (1e-15 relative) and the same seed: the draws agree far below
    # Monte Carlo error (measured at commit time: posterior means equal to 6 significant digits).
    for table in ("fixed_effects", "variance_components"):
        a, b = getattr(streamed, table)(), getattr(memory, table)()
        gap = (a["mean"] - b["mean"]).abs() / b["sd"]
        assert gap.max() < 0.01, (table, gap.max())


def test_group_effects_and_new_rows(fits, frames):
    streamed, memory = fits
    frame, _ = frames
    np.testing.assert_allclose(
        streamed.coef("g")["mean"].to_numpy(), memory.coef("g")["mean"].to_numpy(), atol=0.03
    )
    a, b = streamed.predict(frame.head(5)), memory.predict(frame.head(5))
    np.testing.assert_allclose(a["mean"], b["mean"], atol=0.03)
    assert "R²" in repr(streamed) and "not available" not in repr(streamed)


def test_what_needs_rows_says_so(fits):
    streamed, _ = fits
    for call in (streamed.loo, streamed.ppc, streamed.predict):
        with pytest.raises(DataError, match="a model of Parquet files does not hold"):
            call()


def test_interpretation_of_complete_new_rows(fits, frames):
    streamed, memory = fits
    frame, _ = frames
    rows = pd.DataFrame({"x1": [0.0, 1.0], "arm": ["a", "a"], "g": [0, 0]})
    a, b = streamed.predictions(rows), memory.predictions(rows)
    np.testing.assert_allclose(a["mean"], b["mean"], atol=0.03)
    with pytest.raises(DataError, match="a model of Parquet files does not hold"):
        streamed.predictions({"x1": [0.0]})  # typical values of the other columns need the rows
    assert streamed.hypothesis("x1 > 0")["post_prob"].iloc[0] == 1.0


def test_group_effects_are_drawn_on_demand_the_same_each_time(fits):
    streamed, _ = fits
    factor = streamed.spec.factors[0]
    assert factor.u_var not in streamed.posterior  # only population draws are stored
    first, again = streamed.draws(factor.u_var), streamed.draws(factor.u_var)
    np.testing.assert_array_equal(first, again)
    assert first.shape == (2, 300, 80, 2)
    z = streamed.draws(factor.z_var)
    L = cholesky_draws(factor, streamed.posterior).reshape(2, 300, 2, 2)
    np.testing.assert_allclose(np.einsum("cdgb,cdab->cdga", z, L), first, rtol=1e-10, atol=1e-12)


def test_saved_and_loaded_answers_identically(fits, frames, tmp_path):
    streamed, _ = fits
    frame, _ = frames
    path = tmp_path / "streamed.nc"
    streamed.save(path)
    loaded = bl.load(path)
    assert isinstance(loaded.design, StreamedDesign) and loaded.design.n_obs == streamed.design.n_obs
    np.testing.assert_array_equal(loaded.design.raw.ZX, streamed.design.raw.ZX)
    for table in ("fixed_effects", "variance_components"):
        np.testing.assert_allclose(getattr(loaded, table)()["mean"], getattr(streamed, table)()["mean"])
    np.testing.assert_array_equal(loaded.draws("g__u"), streamed.draws("g__u"))  # same on-demand draws
    np.testing.assert_allclose(loaded.predict(frame.head(4))["mean"], streamed.predict(frame.head(4))["mean"])
    import h5py

    with h5py.File(path, "r") as handle:
        assert int(np.ravel(handle.attrs["bayeslme_format_version"])[0]) == 3


def test_r2_from_the_sums(fits):
    streamed, memory = fits
    a, b = streamed.r2(), memory.r2()
    # Marginal and conditional R² read the population draws, equal to rounding between the two
    # fits (same statistics, same seed); Bayesian R² also reads group effects, drawn from other
    # random streams: equal within Monte Carlo error (posterior SD about 0.005, 600 draws).
    np.testing.assert_allclose(
        a.loc[["marginal", "conditional"], "mean"], b.loc[["marginal", "conditional"], "mean"], rtol=1e-4
    )
    assert abs(a.loc["bayes", "mean"] - b.loc["bayes", "mean"]) < 0.2 * b.loc["bayes", "sd"] + 1e-3


@pytest.fixture(scope="module")
def nested_fits(tmp_path_factory):
    rng = np.random.default_rng(3)
    n, schools, per = 4000, 20, 4
    school, klass = rng.integers(0, schools, n), rng.integers(0, per, n)
    x1 = rng.normal(3, 2, size=n)
    y = (
        1.0
        + 0.5 * x1
        + rng.normal(0, 0.8, schools)[school]
        + rng.normal(0, 0.3, schools)[school] * x1
        + rng.normal(0, 0.5, schools * per)[school * per + klass]
        + rng.normal(size=n)
    )
    frame = pd.DataFrame({"y": y, "x1": x1, "school": school, "klass": klass})
    directory = tmp_path_factory.mktemp("nested")
    for k in range(3):
        frame.iloc[k::3].to_parquet(directory / f"part{k}.parquet")
    formula = "y ~ scale(x1) + (1 + scale(x1) | school) + (1 | school:klass)"  # scale() from all rows
    streamed = bl.LMM(formula, str(directory)).fit(random_seed=4, **SETTINGS)
    memory = bl.LMM(formula, frame).fit(random_seed=4, **SETTINGS)
    return streamed, memory, frame


def test_nested_factors_from_parquet(nested_fits, tmp_path):
    streamed, memory, frame = nested_fits
    assert streamed.info["method"] == memory.info["method"] == "collapsed"
    assert set(streamed.spec.nested) == set(memory.spec.nested) == {("school:klass", "school")}
    # Statistics equal to rounding (tested in tests/unit/bigdata), so both fits sample one
    # posterior; their draws start 1e-9 apart and NUTS's trajectories part during warm-up, so
    # agreement is within Monte Carlo error: ESS >= 170 of 600 draws gives a standard error of at
    # most 0.08 posterior SD per mean, 0.11 for a difference; 0.35 SD is three of those.
    for table in ("fixed_effects", "variance_components", "r2"):
        a, b = getattr(streamed, table)(), getattr(memory, table)()
        gap = (a["mean"] - b["mean"]).abs() / b["sd"]
        assert gap.max() < 0.35, (table, gap.max())
    for factor in ("school", "school:klass"):
        a, b = streamed.coef(factor)["mean"].to_numpy(), memory.coef(factor)["mean"].to_numpy()
        assert np.max(np.abs(a - b) / memory.coef(factor)["sd"].to_numpy()) < 0.35, factor
    np.testing.assert_allclose(
        streamed.predict(frame.head(5))["mean"], memory.predict(frame.head(5))["mean"], atol=0.05
    )
    path = tmp_path / "nested.nc"
    streamed.save(path)
    loaded = bl.load(path)
    assert loaded.spec.nested == streamed.spec.nested
    assert loaded.design.scale_states == streamed.design.scale_states
    np.testing.assert_array_equal(
        loaded.predict(frame.head(5))["mean"], streamed.predict(frame.head(5))["mean"]
    )
    for name in ("school__u", "school:klass__u"):
        np.testing.assert_array_equal(loaded.draws(name), streamed.draws(name))


def test_tables_over_levels_summarise_block_by_block(nested_fits, monkeypatch):
    # A table over 100,000 levels would hold every level's draws at once (6.4 GB for 4,000 draws
    # and two effects); it summarises one block of levels at a time instead: the same table as
    # one summary of all levels' draws, rows in level order.
    from bayeslme.bigdata import effects
    from bayeslme.results.effects import coefficients_table, group_effects_table

    streamed, _, _ = nested_fits
    monkeypatch.setattr(effects, "BLOCK", 7)  # blocks of about 7 levels: 1-2 schools with their classes
    for spec in streamed.spec.factors:
        assert len(streamed.level_blocks(spec)) > 5
        draws, names, _ = streamed._coefficient_draws(spec.name)
        pd.testing.assert_frame_equal(streamed.coef(spec.name), coefficients_table(spec, draws, names))
        whole = group_effects_table(spec, streamed.draws(spec.u_var))
        pd.testing.assert_frame_equal(streamed.random_effects(spec.name), whole)
    levels = np.array([5, 2])
    some = streamed.draws("school:klass__u", levels)
    np.testing.assert_array_equal(some, streamed.draws("school:klass__u")[:, :, levels])
