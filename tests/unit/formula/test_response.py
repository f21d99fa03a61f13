"""Binomial response forms, offsets, two-level Bernoulli responses and every bad-input error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import bayeslme as bl
from bayeslme.errors import DataError, FamilyError, FormulaError
from bayeslme.formula.design import build_design, used_columns
from bayeslme.formula.parse import parse_formula
from bayeslme.formula.response import split_offsets


def frame(**columns):
    n = len(next(iter(columns.values())))
    base = {"x": np.linspace(-1, 1, n), "g": ["a", "b"] * (n // 2) + ["a"] * (n % 2)}
    return pd.DataFrame({**base, **columns})


def design(formula, data, family):
    return build_design(parse_formula(formula), data, family=family)


def test_cbind_gives_successes_and_trials():
    data = frame(s=[1, 0, 3, 2], n=[4, 2, 3, 5])
    d = design("cbind(s, n - s) ~ x + (1 | g)", data, "binomial")
    assert_array_equal(d.y, [1, 0, 3, 2])
    assert_array_equal(d.trials, [4, 2, 3, 5])
    assert d.fixed_names == ("Intercept", "x")


def test_trials_form_equals_cbind():
    data = frame(s=[1, 0, 3, 2], f=[3, 2, 0, 3])
    data["n"] = data.s + data.f
    a = design("cbind(s, f) ~ x + (1 | g)", data, "binomial")
    b = design("s | trials(n) ~ x + (1 | g)", data, "binomial")
    assert_array_equal(a.y, b.y)
    assert_array_equal(a.trials, b.trials)
    assert_array_equal(a.X, b.X)


def test_binomial_columns_are_checked_and_drop_missing():
    data = frame(s=[1, 0, 3, 2], n=[4, 2, np.nan, 5])
    assert used_columns(parse_formula("cbind(s, n - s) ~ x + (1 | g)"), data)[:2] == ["s", "n"]
    with pytest.warns(bl.errors.DroppedRowsWarning, match="'n': 1"):
        d = design("cbind(s, n - s) ~ x + (1 | g)", data, "binomial")
    assert d.n_obs == 3
    with pytest.raises(DataError, match="column 'size' used in the formula is not in the data"):
        design("s | trials(size) ~ x + (1 | g)", data, "binomial")


def test_cbpp_binomial_design():
    d = design("cbind(incidence, size - incidence) ~ period + (1 | herd)", bl.datasets.cbpp(), "binomial")
    assert d.n_obs == 56 and d.trials.sum() == bl.datasets.cbpp()["size"].sum()


def test_plain_binary_binomial_is_one_trial():
    d = design("y ~ x + (1 | g)", frame(y=[0, 1, 1, 0]), "binomial")
    assert_array_equal(d.trials, [1, 1, 1, 1])


def test_offset_is_removed_from_fixed_and_evaluated():
    assert split_offsets("x + offset(log(e))") == ("x", ("offset(log(e))",))
    assert split_offsets("offset(e)") == ("1", ("offset(e)",))
    data = frame(y=[1, 0, 3, 2], e=[1.0, 2.0, 4.0, 0.5])
    d = design("y ~ x + offset(log(e)) + (1 | g)", data, "poisson")
    assert d.fixed_names == ("Intercept", "x")
    assert_allclose(d.offset, np.log([1.0, 2.0, 4.0, 0.5]))
    d = design("y ~ x + offset(np.log(e)) + offset(x) + (1 | g)", data, "poisson")
    assert_allclose(d.offset, np.log([1.0, 2.0, 4.0, 0.5]) + data.x)
    assert design("y ~ x + (1 | g)", data, "poisson").offset is None


def test_offset_errors():
    data = frame(y=[1, 0, 3, 2], e=[1.0, 0.0, 4.0, -1.0])
    with pytest.raises(DataError, match=r"offset 'offset\(log\(e\)\)' is not finite in rows \[1, 3\]"):
        design("y ~ x + offset(log(e)) + (1 | g)", data, "poisson")
    with pytest.raises(FormulaError, match=r"offset\(\) needs an expression"):
        split_offsets("x + offset( )")


def test_offset_takes_arithmetic_as_in_r():
    data = frame(y=[1, 0, 3, 2], e=[1.0, 2.0, 4.0, 0.5])
    d = design("y ~ x + offset(log(e) + 1) + offset(2 * sqrt(e)) + (1 | g)", data, "poisson")
    assert_allclose(d.offset, np.log(data.e) + 1 + 2 * np.sqrt(data.e))
    d = design("y ~ x + offset(log(e, 2)) + (1 | g)", data, "poisson")
    assert_allclose(d.offset, np.log2(data.e))


def test_two_level_strings_map_second_sorted_level_to_one():
    data = frame(y=["no", "yes", "yes", "no"])
    with pytest.warns(UserWarning, match=r"levels \['no', 'yes'\]; modelling P\(y == 'yes'\)"):
        d = design("y ~ x + (1 | g)", data, "bernoulli")
    assert_array_equal(d.y, [0, 1, 1, 0])


def test_categorical_bernoulli_uses_category_order():
    data = frame(y=pd.Categorical(["hi", "lo", "lo", "hi"], categories=["lo", "hi"]))
    with pytest.warns(UserWarning, match="P\\(y == 'hi'\\)"):
        d = design("y ~ x + (1 | g)", data, "bernoulli")
    assert_array_equal(d.y, [1, 0, 0, 1])


def test_boolean_bernoulli():
    d = design("y ~ x + (1 | g)", frame(y=[True, False, True, True]), "bernoulli")
    assert_array_equal(d.y, [1, 0, 1, 1])


@pytest.mark.parametrize(
    ("formula", "columns", "family", "error", "message"),
    [
        (
            "y ~ x + (1 | g)",
            {"y": [0, 1, 2, 1, 3]},
            "bernoulli",
            FamilyError,
            r"Bernoulli response 'y' must be 0/1.*values \[2.0, 3.0\] in rows \[2, 4\]",
        ),
        (
            "y ~ x + (1 | g)",
            {"y": ["a", "b", "c", "a", "b"]},
            "bernoulli",
            FamilyError,
            r"'y' must have exactly two levels.*found 3: \['a', 'b', 'c'\]",
        ),
        (
            "cbind(s, n - s) ~ x + (1 | g)",
            {"s": [1, 5, 2, 0, 1], "n": [3, 4, 2, 1, 1]},
            "binomial",
            FamilyError,
            r"'cbind\(s, n - s\)' has negative failures \('n - s'\) in rows \[1\]",
        ),
        (
            "s | trials(n) ~ x + (1 | g)",
            {"s": [1, 5, 2, 0, 2], "n": [3, 4, 2, 1, 1]},
            "binomial",
            FamilyError,
            r"binomial response 's' has more successes than trials in rows \[1, 4\]",
        ),
        (
            "s | trials(n) ~ x + (1 | g)",
            {"s": [1, -1, 2, 0, 1], "n": [3, 4, 2, 1, 1]},
            "binomial",
            FamilyError,
            r"binomial response 's' has negative successes in rows \[1\]",
        ),
        (
            "y ~ x + (1 | g)",
            {"y": [0, 3, 2, 1, 1]},
            "binomial",
            FamilyError,
            r"needs a number of trials: write 'cbind\(y, failures\)",
        ),
        (
            "cbind(s, f) ~ x + (1 | g)",
            {"s": [0, 1, 2, 1, 1], "f": [1, 1, 1, 1, 1]},
            "poisson",
            FamilyError,
            "only family='binomial' uses; got family='poisson'",
        ),
        (
            "y ~ x + (1 | g)",
            {"y": [0, -3, 2, 1, -1]},
            "poisson",
            FamilyError,
            r"poisson response 'y' must be non-negative integer counts; negative values \[-3.0, -1.0\] "
            r"in rows \[1, 4\]",
        ),
        (
            "y ~ x + (1 | g)",
            {"y": [0, 3, 2.5, 1, 1]},
            "negativebinomial",
            FamilyError,
            r"negativebinomial response 'y'.*non-integer values \[2.5\] in rows \[2\]",
        ),
        (
            "cbind(s) ~ x + (1 | g)",
            {"s": [0, 1, 2, 1, 1]},
            "binomial",
            FormulaError,
            r"cbind\(\) on the left of '~' takes two arguments",
        ),
    ],
)
def test_bad_responses(formula, columns, family, error, message):
    with pytest.raises(error, match=message):
        design(formula, frame(**columns), family)


def test_negative_and_fractional_trials():
    with pytest.raises(FamilyError, match=r"'s' has negative trials in rows \[2\]"):
        design("s | trials(n) ~ x + (1 | g)", frame(s=[0, 1, 0, 1], n=[1, 2, -1, 3]), "binomial")
    with pytest.raises(FamilyError, match=r"non-integer successes or trials in rows \[3\]"):
        design("s | trials(n) ~ x + (1 | g)", frame(s=[0, 1, 0, 1], n=[1, 2, 1, 3.5]), "binomial")


def test_bad_rows_use_the_data_index_and_are_truncated():
    data = frame(y=[2.0] * 9 + [1.0])
    data.index = [f"r{i}" for i in range(10)]
    with pytest.raises(FamilyError, match=r"rows \[r0, r1, r2, r3, r4\] and 4 more"):
        design("y ~ x + (1 | g)", data, "bernoulli")


def test_glmm_rejects_unsupported_link():
    with pytest.raises(FamilyError, match="family 'poisson' does not support link 'logit'"):
        bl.GLMM("y ~ x + (1 | g)", frame(y=[0, 1, 2, 3]), family="poisson", link="logit")


def test_glmm_priors_on_link_scale():
    data = frame(y=[0, 1, 2, 3, 0, 1])
    model = bl.GLMM("y ~ x + (1 | g)", data, family="poisson")
    priors = model.spec.priors
    assert_allclose(priors["Intercept"]["mu"], np.log(7 / 6))
    assert priors["Intercept"]["sigma"] == 2.5
    assert_allclose(priors["b[x]"]["sigma"], 2.5 / np.std(data.x))
    assert priors["sd[g|Intercept]"]["sigma"] == 1.0
    nb = bl.GLMM(
        "y ~ x + (1 | g)",
        data,
        family="negativebinomial",
        priors={"alpha": bl.Prior("gamma", alpha=2, beta=0.5)},
    )
    assert nb.spec.priors["alpha"] == bl.Prior("gamma", alpha=2, beta=0.5)
