"""The nested simulator: classes lie within schools, labels repeat, seeds reproduce."""

from __future__ import annotations

import pandas as pd

import bayeslme as bl


def test_classes_are_nested_in_schools_and_seeded():
    sim = bl.simulate.nested(n_schools=5, classes_per_school=(2, 3), n_per_class=4, seed=3)
    data = sim.data
    assert data.groupby("class_id")["school"].nunique().max() == 1
    assert data.groupby(["school", "class"]).ngroups == data["class_id"].nunique()
    assert data["class"].nunique() < data["class_id"].nunique()  # labels repeat across schools
    assert len(data) == 4 * data["class_id"].nunique()
    assert sim.group_effects.shape == (5, 2)
    pd.testing.assert_frame_equal(
        data, bl.simulate.nested(n_schools=5, classes_per_school=(2, 3), n_per_class=4, seed=3).data
    )
