"""Gallery study-design simulators: seeded, the documented shape, the documented truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl

DESIGNS = {
    "chipseq": (
        bl.simulate.chipseq,
        {"n_donors": 6, "n_batches": 4, "replicates": 2},
        6 * 2 * 2,
        {"log_signal", "condition", "donor", "batch", "sample"},
        {"Intercept", "condition[treated]", "sd_donor", "sd_batch", "sigma"},
    ),
    "ecological": (
        bl.simulate.ecological,
        {"n_patients": 7, "n_visits": 3},
        7 * 3,
        {"bp", "dose", "patient", "visit"},
        {"within", "between", "pooled", "sd_patient", "sigma"},
    ),
    "nutrition": (
        bl.simulate.nutrition,
        {"n_people": 9, "n_meals": 5},
        9 * 5,
        {"glucose", "fiber", "person", "meal"},
        {"Intercept", "fiber", "sd_intercept", "sd_fiber", "correlation", "sigma"},
    ),
}


@pytest.mark.parametrize("name", DESIGNS)
def test_same_seed_same_data(name):
    simulate, kwargs, *_ = DESIGNS[name]
    first, again, other = simulate(**kwargs, seed=4), simulate(**kwargs, seed=4), simulate(**kwargs, seed=5)
    pd.testing.assert_frame_equal(first.data, again.data)
    assert first.truth == again.truth
    assert not first.data.equals(other.data)


@pytest.mark.parametrize("name", DESIGNS)
def test_shape_columns_and_truth_keys(name):
    simulate, kwargs, n_rows, columns, keys = DESIGNS[name]
    sim = simulate(**kwargs, seed=0)
    assert len(sim.data) == n_rows
    assert set(sim.data.columns) == columns
    assert keys <= set(sim.truth)
    assert not sim.data.isna().any().any()


def test_chipseq_is_crossed_and_balanced():
    data = bl.simulate.chipseq(n_donors=12, n_batches=6, replicates=2, seed=0).data
    per_donor = data.groupby("donor")["batch"].nunique()
    assert (per_donor > 1).all()  # batches cut across donors: crossed, not nested
    assert (data.groupby("donor")["condition"].value_counts() == 2).all()
    sizes = data["batch"].value_counts()
    assert sizes.max() - sizes.min() <= 1


def test_chipseq_zero_variances_give_exact_fixed_effects():
    sim = bl.simulate.chipseq(sd_donor=0.0, sd_batch=0.0, sigma=0.0, condition=1.5, seed=0)
    means = sim.data.groupby("condition")["log_signal"].mean()
    np.testing.assert_allclose(means["treated"] - means["control"], 1.5)


def test_ecological_naive_slope_has_the_wrong_sign():
    # With 200 patients the pooled OLS slope's SD across seeds is ~0.25 (0.6 at 30 patients), far
    # below its ~1.8 expectation, so it is positive for practically every seed.
    sim = bl.simulate.ecological(n_patients=200, seed=0)
    slope = np.polyfit(sim.data["dose"], sim.data["bp"], 1)[0]
    assert sim.truth["within"] < 0 < slope
    assert abs(slope - sim.truth["pooled"]) < 0.5


def test_ecological_noise_free_within_slope():
    sim = bl.simulate.ecological(sd_patient=0.0, sigma=0.0, within=-2.0, seed=0)
    frame = sim.data.assign(centered=lambda d: d["dose"] - d.groupby("patient")["dose"].transform("mean"))
    frame = frame.assign(bp_c=lambda d: d["bp"] - d.groupby("patient")["bp"].transform("mean"))
    np.testing.assert_allclose(np.polyfit(frame["centered"], frame["bp_c"], 1)[0], -2.0)


def test_nutrition_group_effects_give_each_persons_slope():
    sim = bl.simulate.nutrition(n_people=5, n_meals=10, sigma=0.0, seed=2)
    assert sim.group_effects.shape == (5, 2)
    for j, (_person, rows) in enumerate(sim.data.groupby("person")):
        slope = np.polyfit(rows["fiber"], rows["glucose"], 1)[0]
        np.testing.assert_allclose(slope, sim.truth["fiber"] + sim.group_effects[j, 1])
