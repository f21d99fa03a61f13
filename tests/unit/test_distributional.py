"""Distributional formulas (``sigma ~ arm + (1 | clinic)``) without sampling: parsing, specs, priors,
the PyMC model's density, and results read from synthetic draws."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeslme as bl
from bayeslme.errors import BayeslmeError, DataError, FamilyError, FormulaError, PriorError
from bayeslme.formula.distributional import split_formulas
from bayeslme.results.checks import log_likelihood_draws
from bayeslme.results.prediction import family_params
from bayeslme.spec import ModelSpec
from tests.helpers import synthetic_fit

FORMULAS = ["y ~ x + (1 | g)", "sigma ~ arm + (1 | clinic)"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 120
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "g": rng.choice([f"g{k}" for k in range(6)], n),
            "clinic": rng.choice(["c1", "c2", "c3", "c4"], n),
            "arm": pd.Categorical(rng.choice(["placebo", "drug"], n), categories=["placebo", "drug"]),
        }
    )
    frame["y"] = 1 + frame["x"] + rng.normal(size=n) * np.where(frame["arm"] == "drug", 2.0, 1.0)
    return frame


@pytest.fixture(scope="module")
def model(data) -> bl.GLMM:
    return bl.GLMM(FORMULAS, data)


def test_split_formulas_reads_the_mean_then_each_parameter():
    main, dpars = split_formulas(["y ~ x", "sigma ~ arm + (1 | c)"], ("sigma",), "gaussian")
    assert main == "y ~ x"
    assert [(d.name, d.rhs, d.link) for d in dpars] == [("sigma", "arm + (1 | c)", "log")]
    assert split_formulas("y ~ x", ("sigma",), "gaussian") == ("y ~ x", ())
    _, (zi,) = split_formulas(["y ~ x", "zi ~ x"], ("zi",), "zero_inflated_poisson")
    assert zi.link == "logit"


@pytest.mark.parametrize(
    ("formulas", "family", "message"),
    [
        (["y ~ x + (1 | g)", "phi ~ arm"], "gaussian", "'phi' is no parameter of family 'gaussian'"),
        (["y ~ x + (1 | g)", "sigma ~ arm"], "bernoulli", "none of its parameters may"),
        (["y ~ x + (1 | g)", "sigma ~ arm", "sigma ~ x"], "gaussian", "'sigma' has two formulas"),
        (["y ~ x + (1 | g)", "arm"], "gaussian", "names the parameter on the left"),
        (["y ~ x + (1 | g)", 3], "gaussian", "every formula must be a string"),
    ],
)
def test_bad_formulas_name_the_culprit(data, formulas, family, message):
    frame = data.assign(y=(data["y"] > 1).astype(int)) if family == "bernoulli" else data
    with pytest.raises(FormulaError, match=message):
        bl.GLMM(formulas, frame, family=family)


def test_spec_holds_the_parameters_formula_with_its_own_priors(model, data):
    spec = model.spec
    assert "sigma" not in spec.priors  # modelled: no prior of its own
    (dpar,) = spec.dpars
    assert (dpar.name, dpar.link, dpar.formula) == ("sigma", "log", "sigma ~ arm + (1 | clinic)")
    assert dpar.spec.fixed == ("Intercept", "arm[drug]")  # the categorical order, placebo the reference
    assert [f.name for f in dpar.spec.factors] == ["clinic"]
    # the intercept's prior is centred on the log SD of the response (module docstring of spec.dpars)
    assert dpar.spec.priors["Intercept"]["mu"] == pytest.approx(np.log(data["y"].std(ddof=0)))
    assert spec.formulas == FORMULAS
    assert set(spec.prior_overrides()) >= {
        "sigma:Intercept",
        "sigma:b[arm[drug]]",
        "sigma:sd[clinic|Intercept]",
    }


def test_spec_round_trips_through_json(model):
    spec = model.spec
    again = ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    # a spec without parameters' formulas keeps its former form
    assert "dpars" not in bl.GLMM(FORMULAS[0], model.design.data).spec.to_dict()


def test_priors_of_the_parameters_formula(data):
    tight = bl.Prior("normal", mu=0, sigma=0.5)
    spec = bl.GLMM(FORMULAS, data, priors={"sigma:b": tight, "b": tight}).spec
    assert spec.dpar("sigma").spec.priors["b[arm[drug]]"] == tight
    assert spec.priors["b[x]"] == tight
    with pytest.raises(PriorError, match="'sigma' is modelled by its formula"):
        bl.GLMM(FORMULAS, data, priors={"sigma": bl.Prior("exponential", lam=1)})
    with pytest.raises(PriorError, match="'nu' has no formula"):
        bl.GLMM(FORMULAS, data, priors={"nu:b": tight})
    with pytest.raises(PriorError, match=r"sigma ~ arm.*unknown prior key 'b\[nope\]'"):
        bl.GLMM(FORMULAS, data, priors={"sigma:b[nope]": tight})


def test_rows_missing_a_parameters_column_are_dropped_from_every_formula(data):
    frame = data.copy()
    frame.loc[[2, 5], "clinic"] = None
    with pytest.warns(bl.errors.DroppedRowsWarning, match="'clinic': 2"):
        model = bl.GLMM(FORMULAS, frame)
    assert model.spec.n_obs == len(frame) - 2
    assert model.design.dpars["sigma"].n_obs == model.design.n_obs


def test_unknown_column_of_a_parameters_formula_names_the_formula(data):
    with pytest.raises(DataError, match=r"'nope'.*in the formula 'sigma ~ nope'"):
        bl.GLMM(["y ~ x + (1 | g)", "sigma ~ nope"], data)


@pytest.mark.parametrize("formula", ["sigma ~ 0", "sigma ~ 0 + offset(x)"])
def test_a_parameter_formula_without_terms_is_refused(data, formula):
    with pytest.raises(FormulaError, match="neither fixed effects nor group terms"):
        bl.GLMM(["y ~ x + (1 | g)", formula], data)


def test_hypothesis_draws_the_priors_of_a_parameters_formula(model):
    """Savage-Dickey ratios of a parameter formula's coefficients need their prior draws (NaN before)."""
    from bayeslme.interpret.hypothesis import PriorDraws

    draws = PriorDraws(model.spec, np.random.default_rng(0), 20_000)["sigma:b[arm[drug]]"]
    prior = model.spec.dpar("sigma").spec.priors["b[arm[drug]]"]
    assert draws is not None and np.std(draws) == pytest.approx(prior["sigma"], rel=0.03)  # 20,000 draws


def test_unsupported_combinations_are_refused(data):
    with pytest.raises(FormulaError, match="residual correlation term needs one residual SD"):
        bl.GLMM(
            ["y ~ x + (1 | g) + ar(time = t, gr = g)", "sigma ~ arm"], data.assign(t=np.arange(len(data)))
        )
    with pytest.raises(bl.errors.SamplerError, match="Use method='noncentered'"):
        bl.GLMM(FORMULAS, data).fit(method="collapsed")


def test_pymc_log_likelihood_has_a_residual_sd_per_row(model):
    """The built model's density at a point equals the normal density with sigma = exp(eta_sigma)."""
    from bayeslme.backend.pymc_model import build_pymc_model

    pm_model = build_pymc_model(model.spec, model.design)
    names = {v.name for v in pm_model.free_RVs}
    assert {"sigma::Intercept_centered", "sigma::b_slopes", "sigma::clinic__z"} <= names
    assert "sigma" not in names
    point = pm_model.initial_point()
    rng = np.random.default_rng(0)
    point = {k: v + rng.normal(scale=0.3, size=np.shape(v)) for k, v in point.items()}
    outputs = [pm_model.observedlogp] + pm_model.replace_rvs_by_values(
        [pm_model["b"], pm_model["g__u"], pm_model["sigma::b"], pm_model["sigma::clinic__u"]]
    )
    fn = pm_model.compile_fn(outputs, inputs=pm_model.value_vars, point_fn=True, mode="FAST_COMPILE")
    logp, b, u, b_s, u_s = fn(point)
    design, part = model.design, model.design.dpars["sigma"]
    mu = design.X @ b + u[design.factors[0].index, 0]
    sigma = np.exp(part.X @ b_s + u_s[part.factors[0].index, 0])
    assert logp == pytest.approx(stats.norm.logpdf(design.y, mu, sigma).sum(), rel=1e-10)


def _fit_with_sigma(model, seed=0):
    """Synthetic draws where sigma = exp(0.2 + 0.7 [drug]) and clinic effects are zero."""
    shape = (2, 50)
    spec = model.spec.dpar("sigma").spec
    levels = len(spec.factors[0].levels)
    posterior = {
        "sigma::b": np.broadcast_to(np.array([0.2, 0.7]), shape + (2,)).copy(),
        "sigma::clinic__u": np.zeros(shape + (levels, 1)),
        "sigma::clinic__sd": np.full(shape + (1,), 0.3),
    }
    return synthetic_fit(model, seed=seed, draws=50, posterior=posterior)


def test_results_read_each_rows_sigma(model, data):
    fit = _fit_with_sigma(model)
    new = data.head(6)
    params = family_params(fit, new)
    expected = np.exp(0.2 + 0.7 * (new["arm"] == "drug").to_numpy())
    assert np.allclose(params["sigma"], expected[None, :])
    # draws of the response spread by each row's sigma
    draws = fit.predict(pd.concat([new] * 400), kind="response", summary=False, random_seed=1)
    mean = fit.predict(pd.concat([new] * 400), kind="mean", summary=False)
    spread = (draws - mean).values.reshape(-1, 400, 6).std(axis=(0, 1))
    assert np.allclose(spread, expected, rtol=0.05)  # 40,000 draws per row: SD's error 0.4 %
    table = fit.summary()
    assert {"sigma:b[Intercept]", "sigma:b[arm[drug]]", "sigma:sd[clinic|Intercept]"} <= set(table.index)
    assert fit.fixed_effects(dpar="sigma")["mean"].to_numpy() == pytest.approx([0.2, 0.7])
    assert list(fit.variance_components(dpar="sigma").index.get_level_values("group").unique()) == ["clinic"]
    coef = fit.coef_draws("clinic", dpar="sigma").sel(coefficient="arm[drug]")
    assert np.allclose(coef, 0.7)  # the fixed slope: the clinic term has an intercept only
    assert "Residual" not in fit.variance_components().index.get_level_values("group")
    assert list(fit.r2().index) == ["bayes"]  # no latent scale: the residual variance differs by row
    with pytest.raises(FamilyError, match=r"differs by row \(\['sigma'\] have formulas\)"):
        fit.plot.r2()
    with pytest.raises(BayeslmeError, match="pass dpar='sigma'"):
        fit.random_effects("clinic")
    ax = fit.plot.random_effects("clinic", dpar="sigma")
    assert ax.get_xlabel() == "sigma: Intercept | clinic" and len(ax.get_yticklabels()) == 4
    with pytest.raises(BayeslmeError, match="'phi' has no formula"):
        fit.fixed_effects(dpar="phi")
    with pytest.raises(FamilyError, match="vary by row"):
        fit.personalize(data.head(3).assign(g="new"))
    with pytest.raises(FamilyError, match="one residual variance for all rows"):
        fit.latent_variances()
    loglik = log_likelihood_draws(fit)
    b = fit.draws("b").reshape(-1, 2)
    u = fit.draws("g__u").reshape(100, -1)
    mu = b @ model.design.X.T + u[:, model.design.factors[0].index]
    sigma = np.exp(0.2 + 0.7 * (data["arm"] == "drug").to_numpy())
    assert np.allclose(loglik.reshape(100, -1), stats.norm.logpdf(model.design.y, mu, sigma))


def test_unseen_levels_of_a_parameters_factor(model, data):
    fit = _fit_with_sigma(model)
    new = data.head(2).assign(clinic="c9")
    with pytest.raises(bl.errors.UnseenLevelsError, match="'clinic'"):
        fit.predict(new, kind="response", new_groups="error")
    assert fit.predict(new, kind="response").shape == (2, 4)


def test_save_and_load_keep_the_parameters_formula(model, data, tmp_path):
    fit = _fit_with_sigma(model)
    fit.save(tmp_path / "fit.nc")
    loaded = bl.load(tmp_path / "fit.nc")
    assert loaded.spec == fit.spec
    new = data.head(5)
    assert np.allclose(
        loaded.predict(new, kind="response", random_seed=3)["mean"],
        fit.predict(new, kind="response", random_seed=3)["mean"],
    )


def test_prior_predictive_draws_the_parameters_formula(model):
    prior = model.prior_predictive(200, random_seed=1)
    table = prior.summary()
    assert "sigma:b[arm[drug]]" in table.index
    # prior of sigma:b[arm[drug]]: Normal(0, 2.5 / sd(arm)); sd of a 0/1 column near 0.5
    assert table.loc["sigma:b[arm[drug]]", "sd"] == pytest.approx(5.0, rel=0.2)


def test_missing_parameter_column_in_newdata_is_named(model, data):
    fit = _fit_with_sigma(model)
    rows = data.head(3).drop(columns=["arm", "clinic"])
    with pytest.raises((DataError, bl.errors.BayeslmeError), match="arm"):
        fit.predict(rows, kind="response")
    # the Gaussian mean does not read sigma: its formula's columns are not needed
    assert np.allclose(fit.predict(rows)["mean"], fit.predict(data.head(3))["mean"])


@pytest.mark.parametrize(
    ("family", "parameter"),
    [
        ("gamma", "shape"),
        ("beta", "phi"),
        ("negativebinomial", "alpha"),
        ("hurdle_poisson", "hu"),
        ("zero_inflated_negativebinomial", "zi"),
        ("student_t", "sigma"),
    ],
)
def test_each_modelled_parameter_enters_the_likelihood_per_row(family, parameter, data):
    """PyMC's density with ``<parameter> ~ arm`` equals the family's own density at each row's value."""
    from bayeslme.backend.pymc_model import build_pymc_model
    from bayeslme.families import get_family
    from bayeslme.links import inverse_link

    rng = np.random.default_rng(1)
    frame = data.copy()
    drug = (frame["arm"] == "drug").to_numpy()
    if family in ("gamma",):
        frame["y"] = rng.gamma(2.0, 1.0, len(frame)) + 0.01
    elif family == "beta":
        frame["y"] = rng.beta(2.0, 3.0, len(frame))
    elif family != "student_t":
        frame["y"] = np.where(rng.uniform(size=len(frame)) < 0.3, 0, rng.poisson(2.0 + drug, len(frame)))
    model = bl.GLMM(["y ~ x + (1 | g)", f"{parameter} ~ arm"], frame, family=family)
    pm_model = build_pymc_model(model.spec, model.design)
    point = {k: v + rng.normal(scale=0.2, size=np.shape(v)) for k, v in pm_model.initial_point().items()}
    names = ["b", "g__u", f"{parameter}::b"] + [n for n in ("nu", "alpha") if n in pm_model.named_vars]
    outputs = [pm_model.observedlogp] + pm_model.replace_rvs_by_values([pm_model[n] for n in names])
    fn = pm_model.compile_fn(outputs, inputs=pm_model.value_vars, point_fn=True, mode="FAST_COMPILE")
    logp, b, u, b_part, *others = fn(point)
    own = get_family(family, model.spec.link)
    design = model.design
    mu = own.location(model.spec.link, design.X @ b + u[design.factors[0].index, 0])
    params = dict(zip(names[3:], others, strict=True))
    params[parameter] = inverse_link(model.spec.dpar(parameter).link, design.dpars[parameter].X @ b_part)
    expected = own.log_likelihood(design.y, mu, params, trials=design.trials).sum()
    assert logp == pytest.approx(expected, rel=1e-8)
