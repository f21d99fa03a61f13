"""apim / apim_formula on small hand-built frames: values, row order, NaN partners, every error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme import dyadic
from bayeslme.errors import DataError, DroppedRowsWarning


def _cross_sectional() -> pd.DataFrame:
    # rows deliberately not grouped by dyad; the index is not 0..n-1
    return pd.DataFrame(
        {
            "couple": [2, 1, 1, 2],
            "id": ["c", "a", "b", "d"],
            "quality": [4.0, 5.0, 3.0, 6.0],
            "stress": [1.0, 2.0, 0.0, 3.0],
        },
        index=[10, 11, 12, 13],
    )


def _diary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "couple": ["k1"] * 4 + ["k2"] * 4,
            "id": ["w1", "m1", "w1", "m1", "w2", "m2", "w2", "m2"],
            "role": ["woman", "man"] * 4,
            "day": [1, 1, 2, 2, 1, 1, 2, 2],
            "quality": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )


def test_indistinguishable_cross_sectional_by_hand():
    data = _cross_sectional()
    out = dyadic.apim(data, dyad="couple", person="id", predictors=["quality", "stress"])
    assert list(out.index) == [10, 11, 12, 13]
    np.testing.assert_array_equal(out["quality_actor"], [4.0, 5.0, 3.0, 6.0])
    np.testing.assert_array_equal(out["quality_partner"], [6.0, 3.0, 5.0, 4.0])
    np.testing.assert_array_equal(out["stress_partner"], [3.0, 0.0, 2.0, 1.0])
    assert "quality_partner" not in data.columns  # the input is not modified


def test_distinguishable_diary_matches_partner_on_the_same_day():
    out = dyadic.apim(_diary(), dyad="couple", person="id", predictors="quality", role="role", occasion="day")
    np.testing.assert_array_equal(out["quality_partner"], [2.0, 1.0, 4.0, 3.0, 6.0, 5.0, 8.0, 7.0])
    np.testing.assert_array_equal(out["quality_actor"], out["quality"])


def test_missing_partner_day_gives_nan_partner_value():
    data = _diary().drop(index=3)  # m1 skipped day 2
    out = dyadic.apim(data, dyad="couple", person="id", predictors="quality", occasion="day")
    assert np.isnan(out.loc[2, "quality_partner"])  # w1 on day 2 has no partner row
    assert out["quality_partner"].isna().sum() == 1
    assert out.loc[0, "quality_partner"] == 2.0


def test_missing_partner_value_propagates_as_nan():
    data = _cross_sectional()
    data.loc[11, "quality"] = np.nan
    out = dyadic.apim(data, dyad="couple", person="id", predictors="quality")
    assert np.isnan(out.loc[12, "quality_partner"]) and np.isnan(out.loc[11, "quality_actor"])


def test_formula_text():
    assert dyadic.apim_formula("y", "x", dyad="d") == "y ~ x_actor + x_partner + (1 | d)"
    assert (
        dyadic.apim_formula("y", ["x", "z"], dyad="d", role="r")
        == "y ~ 0 + r + r:x_actor + r:x_partner + r:z_actor + r:z_partner + (1 | d)"
    )
    with pytest.raises(DataError, match="at least one predictor"):
        dyadic.apim_formula("y", [], dyad="d")


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda d: d.assign(couple=[1, 1, 1, 2]), {}, "dyad 1 has 3 person"),
        (lambda d: d.assign(couple=[2, 1, 1, 3]), {}, "dyad 2 has 1 person"),
        (
            lambda d: pd.concat([d, d.iloc[[1]].assign(couple=2)]),
            {"occasion": None},
            "person 'a' appears in more than one dyad",
        ),
        (
            lambda d: pd.concat([d, d.iloc[[1]]]),
            {},
            "person 'a' of dyad 1 has more than one row; pass occasion",
        ),
        (lambda d: d, {"dyad": "cuople"}, "column 'cuople' is not in the data; did you mean 'couple'"),
        (lambda d: d.assign(quality=list("wxyz")), {}, "predictor column 'quality' must be numeric"),
        (lambda d: d.assign(id=["c", None, "b", "d"]), {}, "column 'id' has 1 missing"),
        (lambda d: d.assign(quality_partner=1.0), {}, "column 'quality_partner' already exists"),
        (lambda d: d, {"predictors": []}, "at least one predictor"),
    ],
)
def test_cross_sectional_errors(change, kwargs, message):
    options = {"dyad": "couple", "person": "id", "predictors": "quality", **kwargs}
    with pytest.raises(DataError, match=message):
        dyadic.apim(change(_cross_sectional()), **options)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.assign(role=["woman", "man", "woman", "man", "woman", "woman", "woman", "woman"]),
            "dyad 'k2' has two persons with role 'woman'",
        ),
        (
            lambda d: d.assign(role=["woman", "man", "man", "man", "woman", "man", "woman", "man"]),
            "person 'w1' has more than one value in role column 'role'",
        ),
        (
            lambda d: d.assign(role=["woman", "man", "woman", "man", "a", "b", "a", "b"]),
            "exactly two roles .* found 4",
        ),
        (lambda d: pd.concat([d, d.iloc[[5]]]), "person 'm2' of dyad 'k2' has more than one row for day 1"),
    ],
)
def test_diary_errors(change, message):
    with pytest.raises(DataError, match=message):
        dyadic.apim(
            change(_diary()), dyad="couple", person="id", predictors="quality", role="role", occasion="day"
        )


def test_not_a_frame():
    with pytest.raises(DataError, match="pandas DataFrame"):
        dyadic.apim({"a": [1]}, dyad="a", person="a", predictors="a")


def test_ids_numbered_within_dyad_get_a_hint():
    data = pd.DataFrame({"couple": [1, 1, 2, 2], "id": [1, 2, 1, 2], "quality": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DataError, match=r"person 1 appears in more than one dyad \(1, 2\).*make them unique"):
        dyadic.apim(data, dyad="couple", person="id", predictors="quality")


def test_model_drops_rows_without_partner_value_with_a_warning():
    data = _diary().drop(index=3).assign(y=np.arange(7.0))
    prepared = dyadic.apim(data, dyad="couple", person="id", predictors="quality", occasion="day")
    with pytest.warns(DroppedRowsWarning, match="dropped 1 of 7 rows.*quality_partner"):
        model = bl.LMM(dyadic.apim_formula("y", "quality", dyad="couple"), prepared)
    assert model.design.n_obs == 6
