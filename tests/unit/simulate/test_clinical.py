"""Clinical gallery simulators: seeded, right shapes, truth under the fitted names, promised designs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl

SIMULATORS = {
    "clinical_trial": (bl.simulate.clinical_trial, "patient"),
    "anxiety_therapy": (bl.simulate.anxiety_therapy, "patient"),
    "tumor_growth": (bl.simulate.tumor_growth, "mouse"),
}


@pytest.mark.parametrize("name", SIMULATORS)
def test_same_seed_same_data_other_seed_other_data(name):
    simulate, _ = SIMULATORS[name]
    pd.testing.assert_frame_equal(simulate(seed=3).data, simulate(seed=3).data)
    assert not simulate(seed=3).data.equals(simulate(seed=4).data)


@pytest.mark.parametrize("name", SIMULATORS)
def test_group_effects_one_row_per_subject_and_truth_has_variance_components(name):
    simulate, factor = SIMULATORS[name]
    sim = simulate(seed=0)
    n = sim.data[factor].nunique()
    assert sim.group_effects.shape == (n, 2)
    assert {"Intercept", "sd_intercept", "sd_slope", "correlation", "sigma"} <= set(sim.truth)
    assert not sim.data.isna().any().any()


def test_clinical_trial_design():
    sim = bl.simulate.clinical_trial(n_patients=400, seed=1)
    data = sim.data
    assert list(data.columns) == ["patient", "treatment", "visit", "months", "qol"]
    assert set(sim.truth) >= {"months", "treatment", "months:treatment", "missed"}
    # Randomized 1:1 and everyone attends baseline, on time.
    assert data.groupby("patient")["treatment"].first().mean() == 0.5
    baseline = data[data["visit"] == 0]
    assert len(baseline) == 400 and (baseline["months"] == 0).all()
    # 1600 follow-up visits missed with p = 0.2: SD of the rate is 0.01, so +-0.04 is 4 SD.
    missed = 1 - (data["visit"] > 0).sum() / (400 * 4)
    assert abs(missed - 0.2) < 0.04
    # Visits fall within jitter (0.5 months) of their schedule.
    scheduled = np.array([0, 3, 6, 9, 12])[data["visit"]]
    assert np.all(np.abs(data["months"] - scheduled) <= 0.5)
    assert data["months"].nunique() > 1000  # irregular times, not a grid


def test_clinical_trial_without_missed_visits_is_complete():
    data = bl.simulate.clinical_trial(n_patients=10, missed=0.0, seed=2).data
    assert (data.groupby("patient").size() == 5).all()


def test_anxiety_therapy_design_and_covariance():
    sim = bl.simulate.anxiety_therapy(n_patients=7, n_weeks=5, sd_intercept=2.0, sd_slope=0.5, seed=0)
    assert sim.data.shape == (35, 3)
    assert sorted(sim.data["week"].unique()) == [0, 1, 2, 3, 4]
    assert sim.truth["covariance"] == pytest.approx(sim.truth["correlation"] * 2.0 * 0.5)


def test_anxiety_therapy_effects_follow_the_requested_correlation():
    # 4000 draws: the sample correlation's SD is (1 - 0.36) / sqrt(4000) ~ 0.01.
    sim = bl.simulate.anxiety_therapy(n_patients=4000, n_weeks=2, correlation=-0.6, seed=5)
    assert np.corrcoef(sim.group_effects.T)[0, 1] == pytest.approx(-0.6, abs=0.05)


def test_tumor_growth_endpoint_removes_later_measurements():
    sim = bl.simulate.tumor_growth(seed=0)
    data = sim.data
    assert set(data["group"]) == {"control", "treated"}
    assert np.allclose(np.log(data["volume"]), data["log_volume"])
    # Only a mouse's last kept measurement may exceed the endpoint.
    for _, rows in data.groupby("mouse"):
        assert (rows["volume"].iloc[:-1] <= 2000).all()
    # With this seed some fast control tumors do reach it and lose measurements.
    assert data.groupby("mouse").size().min() < 9
    no_endpoint = bl.simulate.tumor_growth(endpoint=np.inf, seed=0).data
    assert len(no_endpoint) == 24 * 9
