"""A value's label depends on the value alone, so new data code exactly as the fitting data did."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.formula.levels import labels
from tests.helpers import synthetic_fit


def _frame(group: pd.Series) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"y": rng.normal(size=len(group)), "x": rng.normal(size=len(group)), "grp": group})


@pytest.mark.parametrize(
    "position",
    [0, 1],
    ids=["float", "datetime"],
)
def test_subset_of_the_fitting_rows_predicts_as_the_fitting_rows(position):
    # Before: without its 0.5 rows, a float column labelled 1.0 "1" where the
    # fitting data said "1.0"; without its 12:00 rows, a datetime column
    # labelled midnight as a date. Fitted groups then became new ones.
    values = [
        [0.5, 1.0, 2.0] * 8,
        list(pd.to_datetime(["2024-03-01 00:00", "2024-03-01 12:00", "2024-03-02 00:00"] * 8)),
    ][position]
    data = _frame(pd.Series(values))
    fit = synthetic_fit(bl.LMM("y ~ x + (1 | grp)", data))
    subset = data[data["grp"] != data["grp"].iloc[position]]
    full = fit.predict(data, summary=False, random_seed=1)
    part = fit.predict(subset, summary=False, random_seed=1)
    np.testing.assert_array_equal(part, full[..., subset.index.to_numpy()])


def test_float_labels_follow_r():
    assert labels(pd.Series([1.0, 0.5, 2.0, 1e20, 0.1 + 0.2])).tolist() == ["1", "0.5", "2", "1e+20", "0.3"]


def test_logical_column_used_directly_and_in_calls():
    # flag enters directly (a factor, as R codes a logical) and inside ifelse():
    # the call must see the logical, not the non-empty strings "False"/"True".
    rng = np.random.default_rng(1)
    data = pd.DataFrame(
        {
            "y": rng.normal(size=40),
            "x": rng.normal(size=40),
            "flag": rng.random(40) < 0.5,
            "g": np.repeat(list("abcd"), 10),
        }
    )
    model = bl.LMM("y ~ flag + x:ifelse(flag, 1, 0) + (1 | g)", data)
    column = model.design.X[:, model.design.fixed_names.index("x:ifelse(flag, 1, 0)")]
    np.testing.assert_allclose(column, np.where(data["flag"], data["x"], 0.0))


def test_cs_block_does_not_narrow_an_ar1_block_of_the_same_factor():
    rng = np.random.default_rng(2)
    n = 120
    data = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "t": np.tile(["t1", "t2", "t3"], n // 3),
            "g": np.repeat([f"g{i}" for i in range(12)], 10),
        }
    )
    model = bl.LMM("y ~ x + cs(1 + x + z | g) + ar1(0 + t | g)", data)
    prior = model.spec.priors["rho[g]"]
    assert (prior["lower"], prior["upper"]) == (-1.0, 1.0)  # each block keeps its own valid range


def test_group_names_in_any_script():
    data = pd.DataFrame(
        {"y": np.arange(12.0), "größe": np.arange(12.0) % 5, "schüler": np.repeat(list("abcd"), 3)}
    )
    model = bl.LMM("y ~ größe + (1 | schüler)", data)
    assert model.spec.factors[0].name == "schüler"
