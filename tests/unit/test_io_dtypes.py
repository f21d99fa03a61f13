"""save/load is exact for every dtype of a grouping or categorical column (no MCMC: synthetic draws).

The spec owns the levels: a loaded fit is coded against the stored levels, so
its tables and predictions equal the fresh fit's whatever the column's dtype
or category order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from tests.helpers import synthetic_fit

LABELS = ["k", "b", "x", "a", "m", "c"]


def _column(kind: str, codes: np.ndarray) -> pd.Series:
    """Six groups of a column of dtype ``kind``, in an order that is not sorted."""
    values = {
        "str": pd.Series(np.array(LABELS)[codes], dtype="str"),
        "object": pd.Series(np.array(LABELS, dtype=object)[codes], dtype=object),
        "category": pd.Series(pd.Categorical(np.array(LABELS)[codes], categories=LABELS)),
        "category_ordered": pd.Series(
            pd.Categorical(np.array(LABELS)[codes], categories=LABELS, ordered=True)
        ),
        "category_int": pd.Series(pd.Categorical((codes * 7 + 3) % 11, categories=[3, 10, 6, 2, 9, 5])),
        "int": pd.Series((codes * 7 + 3) % 11, dtype=np.int64),
        "float": pd.Series(((codes * 7 + 3) % 11) / 2.0),
        "Int64": pd.Series((codes * 7 + 3) % 11, dtype="Int64"),
        "datetime": pd.Series(pd.Timestamp("2026-03-01") + pd.to_timedelta(codes, unit="D")),
        "datetime_tz": pd.Series(
            (pd.Timestamp("2026-03-28 22:00") + pd.to_timedelta(codes * 3, unit="h")).tz_localize(
                "Europe/Berlin"
            )
        ),
    }
    return values[kind]


KINDS = [
    "str",
    "object",
    "category",
    "category_ordered",
    "category_int",
    "int",
    "float",
    "Int64",
    "datetime",
    "datetime_tz",
]


def _data(kind: str) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    codes = np.repeat(np.arange(6), 5)
    rng.shuffle(codes)
    treat = np.array(["placebo", "drug", "dose2"])[codes % 3]
    return pd.DataFrame(
        {
            "y": rng.normal(size=30),
            "x": rng.normal(size=30),
            "g": _column(kind, codes).to_numpy(),
            "treat": pd.Categorical(treat, categories=["placebo", "drug", "dose2"]),
            "flag": codes % 2 == 0,
        }
    ).astype({"g": _column(kind, codes).dtype})


def _newdata(data: pd.DataFrame) -> pd.DataFrame:
    return data.iloc[[0, 3, 7, 12]].reset_index(drop=True)


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_is_exact_for_every_dtype(kind, tmp_path):
    data = _data(kind)
    fit = synthetic_fit(bl.LMM("y ~ x + treat + flag + (1 + x | g)", data), seed=5)
    path = tmp_path / "fit.nc"
    fit.save(path)
    loaded = bl.load(path)

    assert loaded.spec == fit.spec
    assert loaded.spec.factor("g").levels == fit.spec.factor("g").levels
    columns = list(loaded.design.data.columns)
    assert set(columns) == {"y", "x", "g", "treat", "flag"}
    pd.testing.assert_frame_equal(loaded.design.data, fit.design.data[columns])
    np.testing.assert_array_equal(loaded.design.factor("g").index, fit.design.factor("g").index)
    np.testing.assert_array_equal(loaded.design.X, fit.design.X)
    for table in (lambda f: f.fixed_effects(), lambda f: f.coef("g"), lambda f: f.variance_components()):
        pd.testing.assert_frame_equal(table(loaded), table(fit), check_exact=True)
    for newdata in (None, _newdata(data)):
        pd.testing.assert_frame_equal(
            loaded.predict(newdata, random_seed=1), fit.predict(newdata, random_seed=1), check_exact=True
        )


@pytest.mark.parametrize("kind", ["category", "category_ordered"])
def test_categorical_category_order_decides_levels_and_reference(kind):
    data = _data(kind)
    model = bl.LMM("y ~ x + treat + (1 | g)", data)
    # the categorical's order, not the sorted order, as in R, patsy and statsmodels
    assert model.spec.factor("g").levels == tuple(LABELS)
    assert model.spec.fixed == ("Intercept", "x", "treat[drug]", "treat[dose2]")
    assert model.spec.column_levels["treat"] == ("placebo", "drug", "dose2")


def test_unused_categories_are_dropped_as_in_r():
    data = _data("category")
    data["treat"] = data["treat"].cat.add_categories(["never"])
    data["g"] = data["g"].cat.set_categories(LABELS + ["empty"])
    model = bl.LMM("y ~ treat + (1 | g)", data)
    assert model.spec.column_levels["treat"] == ("placebo", "drug", "dose2")
    assert "empty" not in model.spec.factor("g").levels


def test_strings_sort_and_booleans_are_two_level_factors():
    data = _data("str")
    data["treat"] = data["treat"].astype(str)
    model = bl.LMM("y ~ treat + flag + (1 | g)", data)
    assert model.spec.factor("g").levels == tuple(sorted(LABELS))
    # strings sort (dose2 < drug < placebo); logicals are factors as in R and patsy
    assert model.spec.fixed == ("Intercept", "treat[drug]", "treat[placebo]", "flag[True]")


def test_numeric_grouping_levels_sort_numerically():
    data = _data("int")
    model = bl.LMM("y ~ x + (1 | g)", data)
    assert model.spec.factor("g").levels == ("2", "3", "5", "6", "9", "10")
