"""Residual correlation terms: parsing, index arrays, likelihood maths against dense MVN, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytensor.tensor as pt
import pytest
from scipy import stats

import bayeslme as bl
from bayeslme.backend.build import resolve_method
from bayeslme.backend.rescor import _ar1_logp, _cosy_logp
from bayeslme.errors import DataError, FamilyError, FormulaError, PriorError, SamplerError
from bayeslme.formula.parse import parse_formula
from bayeslme.formula.rescor import RescorTerm, build_rescor_design
from bayeslme.results.rescor import cosy_group_logpdf, pointwise_logpdf, simulate_residuals
from bayeslme.spec import ModelSpec


def _frame(seed: int, n: int = 14, groups: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "day": rng.permutation(n) * 2 + 1,  # gaps and shuffled rows
            "g": rng.integers(0, groups, n),
            "h": rng.integers(0, 2, n),
        }
    )


def _dense_logpdf(rescor, e: np.ndarray, sigma: float, rho: float) -> float:
    """Joint log density from the dense correlation matrix of each group (scipy)."""
    total = 0.0
    for g in range(rescor.n_groups):
        rows = np.flatnonzero(rescor.group == g)
        rows = rows[np.argsort(rescor.position[rows])]
        k = np.arange(rows.size)
        if rescor.term.kind == "ar":
            corr = rho ** np.abs(k[:, None] - k[None, :])
        else:
            corr = (1 - rho) * np.eye(rows.size) + rho
        total += stats.multivariate_normal(np.zeros(rows.size), sigma**2 * corr).logpdf(e[rows])
    return total


# ---- parsing ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("y ~ x + ar(time = day, gr = g)", RescorTerm("ar", "day", ("g",))),
        ("y ~ x + ar(day, g)", RescorTerm("ar", "day", ("g",))),
        ("y ~ x + ar(gr = g, time = day, p = 1)", RescorTerm("ar", "day", ("g",))),
        ("y ~ ar(day)", RescorTerm("ar", "day", ())),
        ("y ~ x + cosy(gr = g:h)", RescorTerm("cosy", None, ("g", "h"))),
        ("y ~ x + cosy(day, g) + (1 | g)", RescorTerm("cosy", "day", ("g",))),
    ],
)
def test_parse_rescor_terms(text, expected):
    formula = parse_formula(text)
    assert formula.rescor == expected
    assert "ar(" not in formula.fixed and "cosy(" not in formula.fixed


def test_parse_keeps_group_terms_and_fixed_part():
    formula = parse_formula("y ~ x + ar(day, g) + (1 | g)")
    assert formula.fixed == "x"
    assert [t.factor for t in formula.group_terms] == ["g"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("y ~ ar(day, g) + cosy(gr = g)", "at most one residual correlation term"),
        ("y ~ x + ar(gr = g)", "needs a time column"),
        ("y ~ x + ar(day, g, h)", "at most two positional"),
        ("y ~ x + ar(day, g, p = 2)", "first order only"),
        ("y ~ x + cosy(gr = g, p = 1)", "first order only"),
        ("y ~ x + ar(day, gr = g, lag = 1)", "no argument 'lag'"),
        ("y ~ x + ar(day, time = t)", "given twice"),
        ("y ~ x + ar(log(day), g)", "must be a column name"),
        ("y ~ x + cosy(gr = g/h)", "interaction a:b"),
    ],
)
def test_parse_errors(text, match):
    with pytest.raises(FormulaError, match=match):
        parse_formula(text)


# ---- index arrays -----------------------------------------------------------------------------
def test_design_orders_by_time_within_group():
    frame = pd.DataFrame({"day": [3, 1, 2, 1, 5, 2, 9], "g": list("aaabbbb")})
    rescor = build_rescor_design(RescorTerm("ar", "day", ("g",)), frame)
    np.testing.assert_array_equal(rescor.group, [0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(rescor.position, [2, 0, 1, 0, 2, 1, 3])
    np.testing.assert_array_equal(rescor.prev, [2, -1, 1, -1, 5, 3, 4])
    np.testing.assert_array_equal(rescor.group_sizes, [3, 4])


def test_design_ties_in_time_name_group_and_time():
    frame = pd.DataFrame({"day": [1, 2, 2], "g": ["a", "a", "a"]})
    with pytest.raises(DataError, match=r"group 'a' \(g\) share time day = 2"):
        build_rescor_design(RescorTerm("ar", "day", ("g",)), frame)
    # compound symmetry ignores the order, so ties are fine
    build_rescor_design(RescorTerm("cosy", "day", ("g",)), frame)


def test_design_time_must_be_numeric():
    frame = pd.DataFrame({"day": ["mon", "tue"], "g": ["a", "a"]})
    with pytest.raises(DataError, match="time column 'day' must be numeric"):
        build_rescor_design(RescorTerm("ar", "day", ("g",)), frame)


# ---- likelihood maths -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["ar", "cosy"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pointwise_logpdf_sums_to_dense_mvn(kind, seed):
    rng = np.random.default_rng(seed)
    frame = _frame(seed)
    rescor = build_rescor_design(RescorTerm(kind, "day", ("g",)), frame)
    sigma = rng.uniform(0.5, 2.0)
    rho = rng.uniform(-0.9, 0.9) if kind == "ar" else rng.uniform(-0.9 / (rescor.max_size - 1), 0.9)
    e = rng.normal(size=len(frame)) * sigma
    expected = _dense_logpdf(rescor, e, sigma, rho)
    np.testing.assert_allclose(pointwise_logpdf(rescor, e, sigma, rho).sum(), expected, rtol=1e-10)
    if kind == "cosy":
        joint = cosy_group_logpdf(e, sigma, rho, rescor.group, rescor.n_groups).sum()
        np.testing.assert_allclose(joint, expected, rtol=1e-10)


def test_pointwise_logpdf_first_rows_are_marginal():
    frame = _frame(5)
    rescor = build_rescor_design(RescorTerm("ar", "day", ("g",)), frame)
    e = np.linspace(-1, 1, len(frame))
    first = rescor.prev < 0
    np.testing.assert_allclose(
        pointwise_logpdf(rescor, e, 1.5, 0.7)[first], stats.norm(0, 1.5).logpdf(e[first])
    )


def test_pointwise_logpdf_broadcasts_over_draws():
    frame = _frame(3)
    rescor = build_rescor_design(RescorTerm("cosy", None, ("g",)), frame)
    e = np.random.default_rng(3).normal(size=(4, len(frame)))
    sigma = np.array([[0.5], [1.0], [1.5], [2.0]])
    rho = np.array([[0.1], [0.2], [0.3], [-0.1]])
    values = pointwise_logpdf(rescor, e, sigma, rho)
    for d in range(4):
        np.testing.assert_allclose(values[d].sum(), _dense_logpdf(rescor, e[d], sigma[d, 0], rho[d, 0]))


@pytest.mark.parametrize("kind", ["ar", "cosy"])
def test_pytensor_logp_matches_dense_mvn(kind):
    rng = np.random.default_rng(11)
    frame = _frame(11, n=16, groups=4)
    rescor = build_rescor_design(RescorTerm(kind, "day", ("g",)), frame)
    y, eta = frame["y"].to_numpy(), rng.normal(size=len(frame))
    sigma, rho = 1.3, (0.6 if kind == "ar" else -0.15)
    if kind == "ar":
        graph = _ar1_logp(y, pt.as_tensor(eta), sigma, rho, np.maximum(rescor.prev, 0), rescor.prev >= 0)
    else:
        first = (rescor.position == 0).astype(float)
        graph = _cosy_logp(y, pt.as_tensor(eta), sigma, rho, rescor.group, first, rescor.group_sizes * 1.0)
    np.testing.assert_allclose(graph.eval().sum(), _dense_logpdf(rescor, y - eta, sigma, rho), rtol=1e-10)


@pytest.mark.parametrize(("kind", "rho"), [("ar", 0.7), ("cosy", 0.4), ("cosy", -0.2)])
def test_simulated_residuals_have_the_model_covariance(kind, rho):
    frame = pd.DataFrame({"day": [0, 1, 2, 3, 0, 1, 2, 3], "g": list("aaaabbbb")})
    rescor = build_rescor_design(RescorTerm(kind, "day", ("g",)), frame)
    draws = 40_000
    e = simulate_residuals(rescor, np.full(draws, 2.0), np.full(draws, rho), np.random.default_rng(0))
    k = np.arange(4)
    corr = rho ** np.abs(k[:, None] - k[None, :]) if kind == "ar" else (1 - rho) * np.eye(4) + rho
    # sample covariance entries have SD about 4 * sqrt(2 / draws) ~ 0.03; 0.12 is 4 SDs
    np.testing.assert_allclose(np.cov(e[:, :4].T), 4.0 * corr, atol=0.12)
    np.testing.assert_allclose(np.cov(e[:, :4].T, e[:, 4:].T)[:4, 4:], 0.0, atol=0.12)


# ---- model level: spec, priors, methods, bad input ---------------------------------------------
def _data(seed: int = 0) -> pd.DataFrame:
    return bl.simulate.blood_pressure_ar1(n_patients=6, n_days=6, seed=seed).data


def test_spec_default_prior_and_round_trip():
    model = bl.LMM("bp ~ day + (1 | patient) + ar(day, patient)", _data())
    assert model.spec.priors["ar"] == bl.Prior("uniform", lower=-1.0, upper=1.0)
    assert ModelSpec.from_dict(model.spec.to_dict()) == model.spec
    assert resolve_method(model.spec, "auto", model.design) == "noncentered"
    assert "residual correlation: ar(time = day, gr = patient)" in str(model)


def test_cosy_default_bounds_follow_largest_group():
    data = pd.DataFrame({"y": np.arange(7.0), "pair": [0, 0, 1, 1, 2, 2, 2]})
    model = bl.LMM("y ~ 1 + cosy(gr = pair)", data)
    assert model.spec.priors["cosy"] == bl.Prior("uniform", lower=-0.5, upper=1.0)


def test_prior_override():
    prior = bl.Prior("uniform", lower=0.0, upper=1.0)
    model = bl.LMM("bp ~ day + ar(day, patient)", _data(), priors={"ar": prior})
    assert model.spec.priors["ar"] == prior


@pytest.mark.parametrize(
    ("priors", "match"),
    [
        ({"ar": bl.Prior("uniform", lower=-2.0, upper=1.0)}, "must lie within"),
        ({"ar": bl.Prior("normal", mu=0, sigma=1)}, "must be one of \\['uniform'\\]"),
        ({"cosy": bl.Prior("uniform", lower=0.0, upper=1.0)}, "unknown prior key 'cosy'"),
    ],
)
def test_bad_priors(priors, match):
    with pytest.raises(PriorError, match=match):
        bl.LMM("bp ~ day + ar(day, patient)", _data(), priors=priors)


def test_uniform_prior_needs_ordered_bounds():
    with pytest.raises(PriorError, match="lower < upper"):
        bl.Prior("uniform", lower=0.5, upper=0.5)


def test_non_gaussian_family_is_refused():
    data = _data().assign(high=lambda d: (d["bp"] > 135).astype(int))
    with pytest.raises(FamilyError, match="need the Gaussian family"):
        bl.GLMM("high ~ day + ar(day, patient)", data, family="bernoulli")


def test_collapsed_is_refused():
    model = bl.LMM("bp ~ day + (1 | patient) + ar(day, patient)", _data())
    with pytest.raises(SamplerError, match="does not support the residual correlation term"):
        model.fit(method="collapsed")


def test_missing_time_column_is_named():
    with pytest.raises(DataError, match="column 'dya' used in the formula"):
        bl.LMM("bp ~ day + ar(dya, patient)", _data())


def test_cosy_with_singleton_groups_is_refused():
    data = pd.DataFrame({"y": np.arange(4.0), "pair": [0, 1, 2, 3]})
    with pytest.raises(DataError, match="single row"):
        bl.LMM("y ~ 1 + cosy(gr = pair)", data)


def test_a_factor_may_be_named_like_the_correlation_parameter():
    data = _data().rename(columns={"patient": "ar"})
    model = bl.LMM("bp ~ day + (1 | ar)", data)
    assert model.spec.factor("ar").level_dim == "ar__level"


def test_rows_missing_time_are_dropped_with_warning():
    data = _data()
    data.loc[0, "day"] = np.nan
    with pytest.warns(bl.errors.DroppedRowsWarning, match="'day': 1"):
        model = bl.LMM("bp ~ 1 + ar(day, patient)", data)
    assert model.spec.n_obs == len(data) - 1


def test_design_ties_name_the_rows_by_their_index_labels():
    # rows keep the labels of the user's frame (after dropped rows), not positions
    frame = pd.DataFrame({"day": [1, 2, 2], "g": ["a", "a", "a"]}, index=[12, 13, 20])
    with pytest.raises(DataError, match="rows 13 and 20 of group 'a'"):
        build_rescor_design(RescorTerm("ar", "day", ("g",)), frame)


def test_design_interaction_groups_do_not_merge_on_the_separator():
    frame = pd.DataFrame({"day": [1, 2], "a": ["x:y", "x"], "b": ["z", "y:z"]})
    rescor = build_rescor_design(RescorTerm("ar", "day", ("a", "b")), frame)
    assert rescor.n_groups == 2
    np.testing.assert_array_equal(rescor.prev, [-1, -1])


def test_design_timezone_aware_time_orders_by_instant():
    times = pd.to_datetime(["2026-01-02 00:00", "2026-01-01 00:00", "2026-01-03 00:00"]).tz_localize("UTC")
    frame = pd.DataFrame({"t": times.tz_convert("America/New_York"), "g": ["a", "a", "a"]})
    rescor = build_rescor_design(RescorTerm("ar", "t", ("g",)), frame)
    np.testing.assert_array_equal(rescor.position, [1, 0, 2])


def test_cosy_with_a_time_but_no_group_says_how_to_write_it():
    with pytest.raises(FormulaError, match=r"write cosy\(gr = pair\)"):
        parse_formula("y ~ x + cosy(pair)")


def test_saved_data_keeps_timezone_aware_times_as_instants():
    from bayeslme.io_frame import dataset_to_frame, frame_to_dataset

    times = pd.to_datetime(["2026-01-02 05:00", "2026-01-01 05:00"]).tz_localize("America/New_York")
    stored = frame_to_dataset(pd.DataFrame({"t": times}))["c0"]
    # netCDF has no time zones: the column is stored as UTC instants (ns) with its zone beside
    utc = times.tz_convert(None).to_numpy().astype("datetime64[ns]").astype(np.int64)
    np.testing.assert_array_equal(stored.values, utc)
    back = dataset_to_frame(stored.to_dataset())["t"]
    pd.testing.assert_series_equal(back, pd.Series(times, name="t"))


# ---- a fitted AR(1) model's tables, predictions, report and refusals (synthetic draws) -------------
@pytest.fixture(scope="module")
def ar_sim():
    return bl.simulate.blood_pressure_ar1(n_patients=6, n_days=8, ar=0.6, missing=0.1, seed=5)


@pytest.fixture(scope="module")
def ar_fit(ar_sim):
    from tests.helpers import synthetic_fit

    model = bl.LMM("bp ~ treated + day + (1 | patient) + ar(day, patient)", ar_sim.data)
    return synthetic_fit(model, chains=2, draws=60, seed=3)


def test_fit_tables_show_the_coefficient(ar_fit):
    assert "ar" in ar_fit.summary().index
    table = ar_fit.variance_components()
    assert table.loc[("Residual", "ar", ""), "mean"] == pytest.approx(ar_fit.draws("ar").mean())
    assert "residual correlation: ar(time = day, gr = patient)" in repr(ar_fit)
    assert "Residual" in ar_fit._repr_html_()


def test_fit_predict_mean_needs_no_time_and_response_uses_it(ar_fit, ar_sim):
    new = ar_sim.data.head(4)
    means = ar_fit.predict(new.drop(columns=["bp"]))
    assert len(means) == 4
    draws = ar_fit.predict(new, kind="response", summary=False, random_seed=2)
    assert draws.shape == (2, 60, 4)


def test_fit_new_rows_sharing_a_time_get_a_clear_error(ar_fit, ar_sim):
    counterfactual = pd.concat(
        [ar_sim.data.head(1).assign(treated=0.0), ar_sim.data.head(1).assign(treated=1.0)]
    )
    with pytest.raises(DataError, match="use kind='mean'"):
        ar_fit.predict(counterfactual, kind="response")
    assert len(ar_fit.predict(counterfactual, kind="mean")) == 2


def test_fit_prediction_plot_over_a_non_time_predictor(ar_fit):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # the grid holds day at its mean on every row: its bands use independent residuals
    ax = ar_fit.plot_predictions("treated", kind="response")
    assert ax.get_xlabel() == "treated"
    plt.close("all")


def test_fit_personalize_is_refused(ar_fit, ar_sim):
    with pytest.raises(FamilyError, match="independent residuals"):
        ar_fit.personalize(ar_sim.data.head(3).assign(patient="new"))


def test_fit_standalone_report(ar_fit, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    text = ar_fit.report(tmp_path / "report.html").read_text()
    assert "residual correlation: ar(time = day, gr = patient)" in text
    plt.close("all")
