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


# ---- R spellings, structures and lme4 conventions -------------------------------------------------
def test_unparenthesised_bar_is_one_group_term_as_in_r():
    # R's '|' binds more loosely than '+': lme4's Dyestuff example Yield ~ 1|Batch
    spec = parse_formula("Yield ~ 1|Batch")
    assert spec.fixed == "1"
    assert [(t.expr, t.factor) for t in spec.group_terms] == [("1", "Batch")]
    spec = parse_formula("y ~ x + 1 | g")
    assert [(t.expr, t.factor) for t in spec.group_terms] == [("x + 1", "g")]


def test_empty_fixed_part_is_kept():
    spec = parse_formula("count ~ 0 + (1|patient) + (1+Trt|visit)")
    assert spec.fixed == "0"
    assert [t.factor for t in spec.group_terms] == ["patient", "visit"]


@pytest.mark.parametrize(
    ("formula", "fixed"),
    [
        ("y ~ I(x^2) + (1 | g)", "I(x**2)"),
        ("y ~ (a + b)^2 + (1 | g)", "(a + b)**2"),
        ("y ~ x %in% a + (1 | g)", "x : a"),
        ("y ~ a/b + (1 | g)", "a + a:b"),
        ("y ~ a/b/c + (1 | g)", "a + a:b + a:b:c"),
        ("y ~ (a + b)/c + (1 | g)", "a + b + a:b:c"),
        ("y ~ a/(b + c) + (1 | g)", "a + a:b + a:c"),
        ("y ~ I(x/2) + (1 | g)", "I(x/2)"),
        ("y ~ scale(x) + np.scale(x) + (1 | g)", "bl_scale(x) + np.scale(x)"),
        ("y ~ factor(x, levels = c('a^b', 'c')) + (1 | g)", "factor(x, levels = c('a^b', 'c'))"),
    ],
)
def test_r_spellings_are_rewritten_for_formulae(formula, fixed):
    assert parse_formula(formula).fixed == fixed


@pytest.mark.parametrize(
    ("formula", "structure", "homogeneous"),
    [
        ("y ~ x + us(1 + x | g)", "us", False),
        ("y ~ x + diag(1 + x | g)", "diag", False),
        ("y ~ x + diag(1 + x | g, hom = TRUE)", "diag", True),
        ("y ~ x + cs(1 + x | g)", "cs", False),
        ("y ~ x + cs(1 + x | g, hom = TRUE)", "cs", True),
        ("y ~ t + ar1(0 + t | g)", "ar1", True),
        ("y ~ t + ar1(0 + t | g, hom = FALSE)", "ar1", False),
    ],
)
def test_lme4_covariance_structures(formula, structure, homogeneous):
    (term,) = parse_formula(formula).group_terms
    assert (term.structure, term.homogeneous, term.factor) == (structure, homogeneous, "g")


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("y ~ x + toep(0 + x | g)", r"toep\(\) is not supported"),
        ("y ~ x + cs(1 + x | g, rho = 0)", r"hom = TRUE or FALSE"),
        ("y ~ x + us(1 + x | g, hom = TRUE)", r"hom = TRUE or FALSE"),
        ("y ~ x + cs(1 + x || g)", r"single '\|'"),
        ("y ~ x + (1 | g) + x | h", r"put each group term in parentheses"),
        ("y ~ x + (1 | g$h)", r"not a plain column name"),
    ],
)
def test_unsupported_constructs_are_named(formula, message):
    with pytest.raises(FormulaError, match=message):
        parse_formula(formula)


def test_grouping_factor_spellings():
    spec = parse_formula("y ~ x + (1 | `Animal ID`) + (1 | factor(site)) + (1 | as.factor(a):b)")
    assert [t.factor_columns for t in spec.group_terms] == [("Animal ID",), ("site",), ("a", "b")]


def test_quotes_hide_formula_syntax():
    spec = parse_formula("y ~ factor(x, levels = c('a|b', '(c')) + (1 | g)")
    assert len(spec.group_terms) == 1
    with pytest.raises(FormulaError, match="unclosed '"):
        parse_formula("y ~ factor(x, levels = c('a) + (1 | g)")
