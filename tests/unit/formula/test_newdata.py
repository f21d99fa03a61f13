"""Evaluating a fitted design on new rows, and every bad-input error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from bayeslme.errors import DataError, UnseenLevelsError
from bayeslme.formula.design import build_design
from bayeslme.formula.newdata import build_new_data
from bayeslme.formula.parse import parse_formula


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "cond": np.tile(["a", "b", "c"], n // 3),
            "site": np.repeat(["s1", "s2", "s3", "s4"], n // 4),
            "rater": np.tile([1, 2, 3, 4, 5], n // 5),
            "school": np.repeat(["A", "B"], n // 2),
            "klass": np.tile(["k1", "k2", "k3"], n // 3),
        }
    )


def _design(formula, frame):
    return build_design(parse_formula(formula), frame)


def test_fitted_rows_reproduce_the_design(frame):
    design = _design("y ~ x + cond + (1 + x | site) + (1 | rater)", frame)
    new = build_new_data(design, frame)
    assert_allclose(new.X, design.X)
    for fitted, evaluated in zip(design.factors, new.factors, strict=True):
        assert_allclose(evaluated.Z, fitted.Z)
        assert evaluated.index.tolist() == fitted.index.tolist()
        assert evaluated.unseen == ()
    assert_allclose(new.y, design.y)


def test_response_is_optional_and_rows_keep_their_labels(frame):
    design = _design("y ~ x + (1 | site)", frame)
    rows = pd.DataFrame({"x": [0.5, 1.0], "site": ["s2", "s9"]}, index=["r1", "r2"])
    new = build_new_data(design, rows)
    assert new.y is None
    assert list(new.row_labels) == ["r1", "r2"]
    assert_allclose(new.X, [[1, 0.5], [1, 1.0]])
    site = new.factors[0]
    assert site.index.tolist() == [1, -1]
    assert site.unseen == ("s9",)


def test_numeric_factor_labels_match_whether_int_or_float(frame):
    design = _design("y ~ x + (1 | rater)", frame)
    rows = pd.DataFrame({"x": [0.0, 0.0], "rater": [2.0, 7.0]})
    assert build_new_data(design, rows).factors[0].index.tolist() == [1, -1]


def test_crossed_factors_with_some_levels_known(frame):
    design = _design("y ~ x + (1 | site) + (1 | rater)", frame)
    rows = pd.DataFrame({"x": [0.0] * 3, "site": ["s1", "new", "s4"], "rater": [9, 1, 5]})
    site, rater = build_new_data(design, rows).factors
    assert site.index.tolist() == [0, -1, 3]
    assert rater.index.tolist() == [-1, 0, 4]


def test_nested_factor_levels_are_interactions(frame):
    design = _design("y ~ x + (1 | school/klass)", frame)
    names = [f.name for f in design.factors]
    rows = pd.DataFrame({"x": [0.0, 0.0, 0.0], "school": ["A", "A", "C"], "klass": ["k2", "k9", "k1"]})
    new = build_new_data(design, rows)
    school, nested = (new.factors[names.index(n)] for n in names)
    assert school.index.tolist() == [0, 0, -1]
    assert nested.index[0] >= 0
    assert nested.unseen == ("A:k9", "C:k1")


def test_missing_column_is_named(frame):
    design = _design("y ~ x + cond + (1 | site)", frame)
    with pytest.raises(DataError, match="'cond'"):
        build_new_data(design, frame.drop(columns="cond"))
    with pytest.raises(DataError, match="'site'"):
        build_new_data(design, frame.drop(columns="site"))


def test_unseen_categorical_fixed_level_is_named(frame):
    design = _design("y ~ x + cond + (1 | site)", frame)
    rows = pd.DataFrame({"x": [0.0, 1.0], "cond": ["a", "zz"], "site": ["s1", "s1"]})
    with pytest.raises(UnseenLevelsError, match=r"'cond'.*\['zz'\]"):
        build_new_data(design, rows)


def test_missing_predictor_values_are_reported(frame):
    design = _design("y ~ x + (1 | site)", frame)
    rows = pd.DataFrame({"x": [0.0, np.nan], "site": ["s1", "s2"]})
    with pytest.raises(DataError, match=r"missing values.*'x' \(1 rows\)"):
        build_new_data(design, rows)


def test_empty_and_non_frame_newdata(frame):
    design = _design("y ~ x + (1 | site)", frame)
    with pytest.raises(DataError, match="zero rows"):
        build_new_data(design, frame.iloc[:0])
    with pytest.raises(DataError, match="DataFrame"):
        build_new_data(design, {"x": [1.0]})


def test_required_response(frame):
    design = _design("y ~ x + (1 | site)", frame)
    with pytest.raises(DataError, match="response 'y'"):
        build_new_data(design, frame.drop(columns="y"), require_response=True)


def test_centering_uses_fitted_group_means(frame):
    design = _design("y ~ within(x, site) + between(x, site) + (1 | site)", frame)
    s1_mean = frame.loc[frame.site == "s1", "x"].mean()
    rows = pd.DataFrame({"x": [1.0, 1.0, 3.0], "site": ["s1", "new", "new"]})
    X = build_new_data(design, rows).X
    # known level: fitted mean; unseen level: its mean in the new rows (2.0)
    assert_allclose(X[:, 1], [1.0 - s1_mean, -1.0, 1.0])
    assert_allclose(X[:, 2], [s1_mean, 2.0, 2.0])
