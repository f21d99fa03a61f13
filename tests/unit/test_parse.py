import pytest

from bayeslme.errors import FormulaError
from bayeslme.formula.parse import parse_formula


def test_correlated_term_kept_whole():
    spec = parse_formula("Reaction ~ Days + (Days | Subject)")
    assert spec.response == "Reaction"
    assert spec.fixed == "Days"
    assert [(t.expr, t.factor) for t in spec.group_terms] == [("Days", "Subject")]


def test_double_bar_splits_into_independent_terms():
    spec = parse_formula("y ~ x + (1 + x + z || g)")
    assert [t.expr for t in spec.group_terms] == ["1", "0 + x", "0 + z"]
    assert {t.factor for t in spec.group_terms} == {"g"}


def test_double_bar_without_intercept():
    spec = parse_formula("y ~ x + (0 + x + z || g)")
    assert [t.expr for t in spec.group_terms] == ["0 + x", "0 + z"]


def test_nesting_expands_like_lme4():
    spec = parse_formula("y ~ 1 + (1 | school/class)")
    assert [(t.factor, t.factor_columns) for t in spec.group_terms] == [
        ("school", ("school",)),
        ("school:class", ("school", "class")),
    ]


def test_crossed_and_interaction_factors():
    spec = parse_formula("y ~ x + (1 | donor) + (1 | batch) + (1 | a:b)")
    assert [t.factor for t in spec.group_terms] == ["donor", "batch", "a:b"]
    assert spec.fixed == "x"


def test_only_group_terms_gives_intercept_fixed_part():
    assert parse_formula("y ~ (1 | g)").fixed == "1"


def test_within_between_become_generated_columns():
    spec = parse_formula("bp ~ within(dose, id) + between(dose, id) + (1 | id)")
    assert spec.fixed == "dose_within_id + dose_between_id"
    assert [(c.kind, c.variable, c.group) for c in spec.centering] == [
        ("within", "dose", "id"),
        ("between", "dose", "id"),
    ]


@pytest.mark.parametrize(
    ("formula", "message", "caret_column"),
    [
        ("y ~ x + (1 | )", "no grouping factor", 8),
        ("y ~ x + ( | g)", "no effects", 8),
        ("y x + (1 | g)", "no '~'", None),
        ("~ x", "no response", 0),
        ("y ~ (1 | g", "unclosed", 4),
        ("y ~ x)", "unmatched", 5),
        ("y ~ ", "nothing on the right", 2),
        ("y ~ x + (1 | g$h)", "not a plain column name", 8),
    ],
)
def test_malformed_formulas_point_at_the_token(formula, message, caret_column):
    with pytest.raises(FormulaError, match=message) as info:
        parse_formula(formula)
    if caret_column is not None:
        caret_line = str(info.value).splitlines()[-1]
        assert caret_line.index("^") - 4 == caret_column


def test_empty_formula():
    with pytest.raises(FormulaError, match="non-empty string"):
        parse_formula("  ")
