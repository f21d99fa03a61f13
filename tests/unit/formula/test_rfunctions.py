"""R spellings in formulas evaluate as in R (values against hand calculations and R's documented rules)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import bayeslme as bl
from bayeslme.formula import rfunctions
from bayeslme.formula.design import build_design
from bayeslme.formula.evaluate import evaluate_formula
from bayeslme.formula.newdata import build_new_data
from bayeslme.formula.parse import parse_formula


@pytest.fixture
def data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 24
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.uniform(0.5, 4, size=n),
            "n": np.tile([10, 2, 3], n // 3),
            "a": np.tile(["q", "p"], n // 2),
            "b": np.tile(["w", "u", "v"], n // 3),
            "g": np.repeat([f"g{k}" for k in range(4)], n // 4),
        }
    )


def design(formula: str, data: pd.DataFrame):
    return build_design(parse_formula(formula), data)


def test_scale_divides_by_n_minus_one_and_keeps_its_state_for_new_data(data):
    d = design("y ~ scale(x) + (1 | g)", data)
    assert d.fixed_names == ("Intercept", "scale(x)")
    x = data["x"].to_numpy()
    # R: scale(x) = (x - mean(x)) / sd(x), sd with divisor n - 1
    assert_allclose(d.X[:, 1], (x - x.mean()) / x.std(ddof=1))
    new = build_new_data(d, pd.DataFrame({"x": [1.0, 2.0], "g": ["g0", "g1"]}))
    assert_allclose(new.X[:, 1], (np.array([1.0, 2.0]) - x.mean()) / x.std(ddof=1))


def columns(terms: str, data: pd.DataFrame) -> np.ndarray:
    """The columns formulae gives ``terms`` (no intercept) with the R namespace; no model checks."""
    text = parse_formula(f"y ~ 0 + {terms} + (1 | g)").fixed
    return np.asarray(evaluate_formula(text, data, text).common.design_matrix)


def test_scale_arguments_as_in_r(data):
    x = data["x"].to_numpy()
    values = columns("scale(x, center = FALSE) + scale(x, scale = FALSE)", data)
    # R: with center = FALSE the divisor is the root mean square sqrt(sum(x^2) / (n - 1))
    assert_allclose(values[:, 0], x / np.sqrt(np.sum(x**2) / (x.size - 1)))
    assert_allclose(values[:, 1], x - x.mean())


def test_math_functions_as_in_r(data):
    values = columns("log(x) + log(x, 2) + log10(x) + sqrt(x) + exp(x) + abs(x - 2) + log1p(x)", data)
    x = data["x"].to_numpy()
    expected = [np.log(x), np.log2(x), np.log10(x), np.sqrt(x), np.exp(x), abs(x - 2), np.log1p(x)]
    assert_allclose(values, np.column_stack(expected))
    assert design("y ~ log(x, 2) + (1 | g)", data).fixed_names == ("Intercept", "log(x, 2)")


def test_round_goes_to_even_as_r():
    # R: round(c(0.5, 1.5, 2.5, -1.5)) is 0 2 2 -2 (IEC 60559)
    assert_allclose(rfunctions.r_round([0.5, 1.5, 2.5, -1.5]), [0.0, 2.0, 2.0, -2.0])
    assert_allclose(rfunctions.r_round([1.234, 5.678], 1), [1.2, 5.7])


def test_factor_of_numbers_sorts_numerically_and_takes_levels(data):
    d = design("y ~ factor(n) + (1 | g)", data)
    # R: levels of factor(c(10, 2, 3)) are "2" "3" "10"; the first is the reference
    assert d.fixed_names == ("Intercept", "factor(n)[3]", "factor(n)[10]")
    d = design("y ~ factor(a, levels = c('q', 'p')) + as.factor(b) + (1 | g)", data)
    assert d.fixed_names == (
        "Intercept",
        "factor(a, levels=c('q', 'p'))[p]",
        "as.factor(b)[v]",
        "as.factor(b)[w]",
    )


def test_powers_of_terms_and_of_values(data):
    d = design("y ~ I(x^2) + (a + b)^2 + (1 | g)", data)
    assert d.fixed_names == ("Intercept", "I(x^2)", "a[q]", "b[v]", "b[w]", "a[q]:b[v]", "a[q]:b[w]")
    assert_allclose(d.X[:, 1], data["x"] ** 2)


def test_true_false_inside_calls(data):
    d = design("y ~ poly(x, 2, raw = TRUE) + (1 | g)", data)
    assert_allclose(d.X[:, 1:], np.column_stack([data["x"], data["x"] ** 2]))


def test_poly_is_r_orthogonal_polynomial(data):
    # R: poly(x, 2) has orthonormal columns orthogonal to the constant
    d = design("y ~ poly(x, 2) + (1 | g)", data)
    P = d.X[:, 1:]
    assert_allclose(P.T @ P, np.eye(2), atol=1e-12)
    assert_allclose(P.sum(axis=0), [0.0, 0.0], atol=1e-12)


def test_nesting_in_fixed_part_gives_r_columns(data):
    # R: y ~ a/b is a + a:b, 1 + 1 + 2 * 2 = 6 columns
    d = design("y ~ a/b + (1 | g)", data)
    assert len(d.fixed_names) == 6 and np.linalg.matrix_rank(d.X) == 6


def test_transforms_fall_back_to_stateless_when_formulae_keeps_no_state(monkeypatch):
    from formulae import transforms

    monkeypatch.delattr(transforms.Scale, "__stateful_transform__")
    assert not rfunctions.formulae_keeps_state()
    scale = rfunctions._transform(rfunctions._RScale)
    assert not getattr(scale, "__stateful_transform__", False)
    assert_allclose(scale(np.array([1.0, 2.0, 3.0])), [-1.0, 0.0, 1.0])


def test_transforms_are_stateful_with_the_installed_formulae():
    assert rfunctions.formulae_keeps_state()
    assert rfunctions.NAMESPACE["bl_scale"].__stateful_transform__


# R 4.2.2, splines: x <- c(0.5, 1, 2, 3, 4, 5, 6, 7, 8.5, 9)
SPLINE_X = np.array([0.5, 1, 2, 3, 4, 5, 6, 7, 8.5, 9])
R_BS_DF4 = np.array([[0, 0, 0, 0], [0.309371, 0.020275, 0.000433, 0], [0.593824, 0.150357, 0.011678, 0]])
R_BS_DF4_NEW = np.array([[-1.834633, 0.246702, -0.011678, 0], [-0.003076, 0.090393, -0.913106, 1.825789]])
R_NS_DF3 = np.array([[0, 0, 0], [-0.046275, 0.142032, -0.094688], [-0.101484, 0.391082, -0.260721]])


def test_bs_and_ns_equal_r_splines_and_keep_their_knots():
    frame = pd.DataFrame({"x": SPLINE_X, "y": SPLINE_X, "g": ["a", "b"] * 5})
    # round(bs(x, df = 4)[1:3, ], 6) and round(ns(x, df = 3)[1:3, ], 6) in R
    assert_allclose(columns("bs(x, df = 4)", frame)[:3], R_BS_DF4, atol=5e-7)
    assert_allclose(columns("splines::ns(x, df = 3)", frame)[:3], R_NS_DF3, atol=5e-7)
    # new data beyond the boundary knots: round(predict(bs(x, df = 4), c(-1, 10)), 6)
    d = design("y ~ bs(x, df = 4) + (1 | g)", frame)
    assert d.fixed_names[1] == "bs(x, df=4)[0]"
    new = build_new_data(d, pd.DataFrame({"x": [-1.0, 10.0], "g": ["a", "b"]}))
    assert_allclose(new.X[:, 1:], R_BS_DF4_NEW, atol=5e-7)


def test_natural_splines_are_linear_beyond_the_boundary():
    frame = pd.DataFrame({"x": SPLINE_X, "y": SPLINE_X, "g": ["a", "b"] * 5})
    d = design("y ~ ns(x, df = 3) + (1 | g)", frame)
    new = build_new_data(d, pd.DataFrame({"x": [10.0, 11.0, 12.0], "g": ["a"] * 3})).X[:, 1:]
    assert_allclose(new[2] - new[1], new[1] - new[0], atol=1e-12)


def test_r_spellings_fit_a_model_end_to_end(data):
    model = bl.LMM("log(y + 5) ~ scale(x) + factor(n) + (1 | g)", data)
    assert model.spec.fixed == ("Intercept", "scale(x)", "factor(n)[3]", "factor(n)[10]")
    assert model.spec.response == "log(y + 5)"
