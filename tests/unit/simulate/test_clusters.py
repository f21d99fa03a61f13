"""The clustered gallery simulators: seeded, the documented shape and truth, the design they claim."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl

SIMULATORS = {
    "village_trial": (bl.simulate.village_trial, "village", ["y", "treat", "village"]),
    "single_cell": (bl.simulate.single_cell, "donor", ["expression", "condition", "donor"]),
    "eeg_trials": (bl.simulate.eeg_trials, "subject", ["amplitude", "rt", "subject"]),
}
TRUTH = {
    "village_trial": {"Intercept", "treat", "sd_village"},
    "single_cell": {"Intercept", "condition", "sd_donor", "sigma"},
    "eeg_trials": {"Intercept", "within", "between", "sd_intercept", "sd_slope", "sigma"},
}


@pytest.mark.parametrize("name", SIMULATORS)
def test_same_seed_same_data_other_seed_other_data(name):
    simulate = SIMULATORS[name][0]
    pd.testing.assert_frame_equal(simulate(seed=3).data, simulate(seed=3).data)
    first, other = simulate(seed=3).data, simulate(seed=4).data
    assert not (len(first) == len(other) and first.equals(other))


@pytest.mark.parametrize("name", SIMULATORS)
def test_columns_truth_keys_and_one_effect_row_per_cluster(name):
    simulate, cluster, columns = SIMULATORS[name]
    sim = simulate(seed=0)
    assert list(sim.data.columns) == columns
    assert set(sim.truth) == TRUTH[name]
    assert sim.group_effects.shape[0] == sim.data[cluster].nunique()
    assert not sim.data.isna().any().any()


@pytest.mark.parametrize(("name", "arm"), [("village_trial", "treat"), ("single_cell", "condition")])
def test_treatment_is_assigned_per_cluster_to_half_of_them(name, arm):
    simulate, cluster, _ = SIMULATORS[name]
    data = simulate(seed=1).data
    per_cluster = data.groupby(cluster)[arm].agg(["min", "max"])
    assert (per_cluster["min"] == per_cluster["max"]).all()  # constant within a cluster
    assert per_cluster["min"].sum() == len(per_cluster) // 2


def test_village_sizes_follow_the_range_and_outcome_is_binary():
    data = bl.simulate.village_trial(n_villages=12, people_per_village=(5, 9), seed=2).data
    sizes = data.groupby("village").size()
    assert len(sizes) == 12 and sizes.between(5, 9).all()
    assert set(np.unique(data["y"])) <= {0, 1}
    fixed = bl.simulate.village_trial(n_villages=4, people_per_village=7, seed=2).data
    assert (fixed.groupby("village").size() == 7).all()


def test_single_cell_has_equal_cells_per_donor():
    data = bl.simulate.single_cell(n_donors=6, cells_per_donor=40, seed=0).data
    assert data.shape == (240, 3)
    assert (data.groupby("donor").size() == 40).all()


def test_eeg_trial_counts_differ_and_amplitude_follows_the_formula():
    sim = bl.simulate.eeg_trials(n_subjects=10, trials=(5, 50), sigma=0.0, seed=4)
    data, truth, u = sim.data, sim.truth, sim.group_effects
    sizes = data.groupby("subject").size()
    assert sizes.between(5, 50).all() and sizes.nunique() > 1
    # With no trial noise the amplitude is exactly the documented linear predictor.
    code = data["subject"].str[1:].astype(int).to_numpy()
    rt_bar = data.groupby("subject")["rt"].transform("mean").to_numpy()
    expected = (
        truth["Intercept"]
        + truth["between"] * rt_bar
        + (truth["within"] + u[code, 1]) * (data["rt"].to_numpy() - rt_bar)
        + u[code, 0]
    )
    np.testing.assert_allclose(data["amplitude"], expected, rtol=1e-12, atol=1e-12)
