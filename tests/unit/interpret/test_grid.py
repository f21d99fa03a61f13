"""datagrid: named values crossed, other columns at typical values, column types kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import DataError
from bayeslme.interpret.grid import base_rows, typical_values
from tests.helpers import synthetic_fit


def test_typical_values_are_means_and_most_frequent_levels(gaussian_fit, trial):
    typical = typical_values(gaussian_fit)
    assert set(typical) == {"age", "arm", "week", "patient"}  # the response is not a predictor
    assert typical["age"] == pytest.approx(trial["age"].mean())
    assert typical["week"] == pytest.approx(trial["week"].mean())
    # Every arm has 20 rows and every patient 5: ties go to the first level in level order.
    assert typical["arm"] == "placebo"
    assert typical["patient"] == "p00"


def test_most_frequent_level_wins_over_the_first(trial):
    arms = pd.Categorical(["dose2"] * 25 + list(trial["arm"][25:]), categories=trial["arm"].cat.categories)
    model = bl.LMM("score ~ arm + (1 | patient)", trial.assign(arm=arms))
    assert typical_values(synthetic_fit(model, draws=5))["arm"] == "dose2"


def test_datagrid_crosses_named_values_in_order(gaussian_fit, trial):
    grid = bl.datagrid(gaussian_fit, week=[0, 12], arm="all")
    assert len(grid) == 6
    assert grid["week"].tolist() == [0, 0, 0, 12, 12, 12]
    assert grid["arm"].astype(str).tolist() == ["placebo", "drug", "dose2"] * 2
    # The categorical keeps its categories (so the reference level stays placebo).
    assert list(grid["arm"].cat.categories) == ["placebo", "drug", "dose2"]
    assert np.allclose(grid["age"], trial["age"].mean())
    assert list(grid.columns) == list(typical_values(gaussian_fit))


def test_datagrid_all_and_functions_of_the_column(gaussian_fit, trial):
    assert bl.datagrid(gaussian_fit, week="all")["week"].tolist() == [0, 2, 4, 8, 12]
    ages = bl.datagrid(gaussian_fit, age="all")["age"]
    assert ages.tolist() == sorted(trial["age"].unique())  # 12 distinct ages: each one
    spread = bl.datagrid(gaussian_fit, age="all", week=1.0)
    assert len(spread) == 12
    median = bl.datagrid(gaussian_fit, age=np.median)["age"]
    assert median.tolist() == [pytest.approx(trial["age"].median())]


def test_datagrid_refuses_unknown_columns_and_empty_values(gaussian_fit):
    with pytest.raises(DataError, match=r"\['weeks'\] is not a column the model reads"):
        bl.datagrid(gaussian_fit, weeks=[1])
    with pytest.raises(DataError, match="no values given"):
        bl.datagrid(gaussian_fit, week=[])


def test_base_rows(gaussian_fit, trial):
    rows, named = base_rows(gaussian_fit, None)
    assert len(rows) == len(trial) and named == []
    rows, named = base_rows(gaussian_fit, pd.DataFrame({"week": [1.0, 3.0]}))
    assert named == ["week"] and rows["arm"].astype(str).tolist() == ["placebo"] * 2
    with pytest.raises(DataError, match="grid must be a dict"):
        base_rows(gaussian_fit, [1, 2])


def test_a_wide_numeric_column_spreads_over_its_range(trial):
    data = trial.assign(dose=np.linspace(0, 10, len(trial)))
    fit = synthetic_fit(bl.LMM("score ~ dose + (1 | patient)", data), draws=5)
    doses = bl.datagrid(fit, dose="all")["dose"]
    assert len(doses) == 25 and doses.iloc[0] == 0 and doses.iloc[-1] == 10
