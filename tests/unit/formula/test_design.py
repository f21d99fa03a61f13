import numpy as np
import pandas as pd
import pytest

from bayeslme.errors import DataError, DroppedRowsWarning
from bayeslme.formula.design import build_design
from bayeslme.formula.parse import parse_formula


def design(formula, data):
    return build_design(parse_formula(formula), data)


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "y": rng.normal(size=12),
            "x": np.tile([0.0, 1.0, 2.0], 4),
            "treat": np.repeat(["a", "b"], 6),
            "g": np.repeat([10, 2, 3, 4], 3),
            "h": np.tile(["u", "v"], 6),
        }
    )


def test_levels_sorted_numerically_and_index(frame):
    d = design("y ~ x + (x | g)", frame)
    factor = d.factor("g")
    assert factor.levels == ("2", "3", "4", "10")
    assert factor.index.tolist() == [3, 3, 3, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert factor.effects == ("Intercept", "x")
    np.testing.assert_array_equal(factor.Z[:, 1], frame["x"])
    assert factor.blocks[0].correlated


def test_categorical_fixed_effect_uses_treatment_coding(frame):
    d = design("y ~ x * treat + (1 | g)", frame)
    assert d.fixed_names == ("Intercept", "x", "treat[b]", "x:treat[b]")
    np.testing.assert_array_equal(d.X[:, 2], (frame["treat"] == "b").astype(float))


def test_uncorrelated_terms_make_single_effect_blocks(frame):
    d = design("y ~ x + (x || g)", frame)
    factor = d.factor("g")
    assert factor.effects == ("Intercept", "x")
    assert [b.effects for b in factor.blocks] == [("Intercept",), ("x",)]
    assert not any(b.correlated for b in factor.blocks)


def test_nested_factor_levels_combine_columns(frame):
    d = design("y ~ 1 + (1 | g/h)", frame)
    assert [f.name for f in d.factors] == ["g", "g:h"]
    assert len(d.factor("g:h").levels) == 8
    assert d.factor("g:h").levels[0] == "2:u"


def test_missing_rows_dropped_with_warning_naming_columns(frame):
    frame.loc[[1, 4], "x"] = np.nan
    frame.loc[7, "y"] = np.nan
    with pytest.warns(DroppedRowsWarning, match=r"dropped 3 of 12 rows") as record:
        d = design("y ~ x + (1 | g)", frame)
    message = str(record[0].message)
    assert "'x': 2" in message and "'y': 1" in message
    assert d.n_obs == 9
    assert d.dropped.by_column == {"y": 1, "x": 2}


def test_missing_in_unused_column_keeps_rows(frame):
    frame["other"] = np.nan
    d = design("y ~ x + (1 | g)", frame)
    assert d.n_obs == 12


def test_unknown_column_suggests_close_match(frame):
    with pytest.raises(DataError, match=r"column 'tret' .* did you mean 'treat'"):
        design("y ~ tret + (1 | g)", frame)


def test_unknown_grouping_column(frame):
    with pytest.raises(DataError, match="column 'subject'"):
        design("y ~ x + (1 | subject)", frame)


def test_single_level_factor_rejected(frame):
    frame["one"] = "only"
    with pytest.raises(DataError, match="'one' has only one level"):
        design("y ~ x + (1 | one)", frame)


def test_infinite_values_rejected(frame):
    frame.loc[5, "x"] = np.inf
    with pytest.raises(DataError, match=r"column 'x' has 1 infinite"):
        design("y ~ x + (1 | g)", frame)


def test_everything_missing(frame):
    frame["y"] = np.nan
    with pytest.raises(DataError, match="no rows left"):
        design("y ~ x + (1 | g)", frame)


def test_collinear_columns_named(frame):
    frame["x2"] = 2 * frame["x"]
    with pytest.raises(DataError, match=r"collinear: 'x2' is a linear combination of \['x'\]"):
        design("y ~ x + x2 + (1 | g)", frame)


def test_terms_repeating_an_effect_are_separate_factors_as_in_lme4(frame):
    # lme4 builds (1 | g) + (1 + x | g) as two terms, named g and g.1 in VarCorr
    d = design("y ~ x + (1 | g) + (1 + x | g)", frame)
    assert [(f.name, f.effects, f.columns, f.terms) for f in d.factors] == [
        ("g", ("Intercept",), ("g",), (0,)),
        ("g.1", ("Intercept", "x"), ("g",), (1,)),
    ]
    np.testing.assert_array_equal(d.factors[0].index, d.factors[1].index)
    # terms with different effects of one factor stay one factor, one block each
    d = design("y ~ x + (1 | g) + (0 + x | g)", frame)
    assert [(f.name, [b.effects for b in f.blocks]) for f in d.factors] == [("g", [("Intercept",), ("x",)])]


def test_within_between_decomposition_values(frame):
    shift = np.repeat([0.0, 5.0, 1.0, 3.0], 3)
    frame["x"] = frame["x"] + shift  # each group has x = shift + (0, 1, 2)
    d = design("y ~ within(x, g) + between(x, g) + (1 | g)", frame)
    assert d.fixed_names == ("Intercept", "x_within_g", "x_between_g")
    within, between = d.X[:, 1], d.X[:, 2]
    np.testing.assert_allclose(within + between, frame["x"])
    np.testing.assert_allclose(between, shift + 1.0)
    np.testing.assert_allclose(within, np.tile([-1.0, 0.0, 1.0], 4))


def test_transform_in_formula(frame):
    d = design("y ~ np.log(x + 1) + (1 | g)", frame)
    np.testing.assert_allclose(d.X[:, 1], np.log(frame["x"] + 1))
