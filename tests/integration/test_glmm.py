"""One GLMM per family: every downstream table works and is labelled.

The tables, predictions and checks need no MCMC: they run on synthetic draws
(tests.helpers.synthetic_fit). A tiny real fit per family checks that the
sampler's posterior has every variable those draws stand in for, laid out alike.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import bayeslme as bl
from bayeslme.families import get_family, inverse_link
from tests.helpers import synthetic_fit

CASES = {
    # family: (formula, link, simulate kwargs)
    "bernoulli": ("y ~ x + (1 | g)", "probit", {}),
    "binomial": ("y | trials(n) ~ x + (1 | g)", "logit", {}),
    "poisson": ("y ~ x + offset(log(exposure)) + (1 + x | g)", "log", {}),
    "negativebinomial": ("y ~ x + offset(log(exposure)) + (1 | g)", "log", {}),
    "student_t": ("y ~ x + (1 | g)", "identity", {}),
}


def simulated(family):
    link = CASES[family][1]
    return bl.simulate.glmm(family, link=link, n_groups=8, n_per_group=10, seed=3).data


def model(family):
    formula, link, _ = CASES[family]
    return bl.GLMM(formula, simulated(family), family=family, link=link)


@pytest.fixture(scope="module", params=sorted(CASES))
def glmm_fit(request):
    glmm = model(request.param)
    # effects a third of the unit-normal default keep every likelihood term moderate, as in a
    # fitted posterior; PSIS (loo) overflows on draws that put some rows at probability ~0
    plain = synthetic_fit(glmm, chains=2, draws=150, seed=5)
    small = {name: plain.draws(name) / 3 for name in ("b", "g__u")}
    return request.param, synthetic_fit(glmm, chains=2, draws=150, seed=5, posterior=small)


@pytest.mark.parametrize("family", sorted(CASES))
def test_sampled_posterior_has_the_synthetic_layout(family):
    glmm = model(family)
    real = glmm.fit(draws=20, tune=30, chains=2, random_seed=5, progressbar=False).posterior
    synthetic = synthetic_fit(glmm, chains=2, draws=20).posterior
    for name, array in synthetic.data_vars.items():
        assert name in real.data_vars, name
        assert real[name].dims == array.dims, name
        for dim in array.dims[2:]:
            assert list(real[dim].values) == list(array[dim].values), (name, dim)
    assert np.isfinite(real["b"].values).all()


def linear_predictor(fit, b, u):
    design = fit.design
    eta = design.X @ b
    factor = design.factor("g")
    eta = eta + (factor.Z * u[factor.index]).sum(axis=1)
    return eta if design.offset is None else eta + design.offset


@pytest.mark.parametrize("family", sorted(CASES))
def test_log_likelihood_hook_matches_pymc(family):
    """Family.log_likelihood at a random point equals PyMC's pointwise logp of the response."""
    glmm = model(family)
    pm_model = glmm.build()
    rng = np.random.default_rng(0)
    point = {k: v + rng.normal(0, 0.3, size=np.shape(v)) for k, v in pm_model.initial_point().items()}
    names = ["b", "g__u", *get_family(family).parameters()]
    logp = pm_model.logp(vars=[pm_model["y"]], sum=False, jacobian=False)[0]
    # Deterministics are functions of the random variables: evaluate them at the value variables.
    graph = pm_model.replace_rvs_by_values([logp] + [pm_model[n] for n in names])
    outputs = pm_model.compile_fn(graph, inputs=pm_model.value_vars, point_fn=True, mode="FAST_COMPILE")(
        point
    )
    values = dict(zip(names, outputs[1:], strict=True))
    eta = linear_predictor(glmm, values["b"], values["g__u"])
    params = {n: values[n] for n in get_family(family).parameters()}
    ours = get_family(family).log_likelihood(
        glmm.design.y, inverse_link(glmm.link, eta), params, glmm.design.trials
    )
    assert_allclose(ours, outputs[0], rtol=1e-6, atol=1e-8)


def test_tables_and_labels(glmm_fit):
    family, fit = glmm_fit
    assert fit.spec.family == family
    assert list(fit.fixed_effects().index) == ["Intercept", "x"]
    effects = ("Intercept", "x") if family == "poisson" else ("Intercept",)
    assert fit.random_effects("g").shape[0] == 8 * len(effects)
    assert fit.coef("g").shape[0] == 8 * 2
    table = fit.variance_components()
    groups = set(table.index.get_level_values("group"))
    assert "Residual" not in groups and "ICC" in groups
    icc = table.loc[("ICC", "icc", "adjusted"), "mean"]
    assert icc == pytest.approx(fit.latent_variances().icc().mean())
    if family == "poisson":
        assert ("g", "cor", "Intercept, x") in table.index
    summary = fit.summary()
    for name in get_family(family).parameters():
        assert name in summary.index
    text = repr(fit)
    link = fit.spec.link
    assert (f"(on the {link} scale)" in text) == (link != "identity")


def test_r2_latent(glmm_fit):
    family, fit = glmm_fit
    r2 = fit.r2()
    assert list(r2.index) == ["marginal", "conditional", "bayes"]
    assert 0 < r2.loc["marginal", "mean"] < r2.loc["conditional", "mean"] < 1
    parts = fit.latent_variances()
    assert parts.fixed.shape == parts.random.shape == parts.residual.shape == (2, 150)
    if family == "bernoulli":
        assert_allclose(parts.residual, 1.0)  # probit


def test_posterior_predictive_draws_with_hooks(glmm_fit):
    family, fit = glmm_fit
    b = fit.draws("b").reshape(-1, 2)[:20]
    u = fit.draws("g__u").reshape(-1, 8, fit.draws("g__u").shape[-1])[:20]
    eta = np.stack([linear_predictor(fit, b[k], u[k]) for k in range(20)])
    params = {n: fit.draws(n).reshape(-1)[:20, None] for n in get_family(family).parameters()}
    mean = inverse_link(fit.spec.link, eta)
    draws = get_family(family).draw_response(mean, params, np.random.default_rng(0), trials=fit.design.trials)
    assert draws.shape == (20, fit.spec.n_obs)
    assert np.isfinite(get_family(family).log_likelihood(fit.design.y, mean, params, fit.design.trials)).all()


# 2 x 150 independent draws of noise give unstable PSIS tails: the Pareto-k warning is expected here.
@pytest.mark.filterwarnings("ignore:Estimated shape parameter of Pareto:UserWarning")
def test_predict_scales_and_loo(glmm_fit):
    family, fit = glmm_fit
    link = fit.predict(scale="link", summary=False).values.reshape(-1, fit.spec.n_obs)
    mean = fit.predict(summary=False).values.reshape(-1, fit.spec.n_obs)
    # the response-scale mean is the inverse link of the link-scale prediction, offset included
    assert_allclose(mean, inverse_link(fit.spec.link, link))
    if fit.design.offset is not None:
        b = fit.draws("b").reshape(-1, 2)
        u = fit.draws("g__u").reshape(-1, 8, fit.draws("g__u").shape[-1])
        assert_allclose(link[0], linear_predictor(fit, b[0], u[0]))
    replicated = fit.predict(kind="response", random_seed=1, summary=False).values
    assert replicated.shape[-1] == fit.spec.n_obs and np.isfinite(replicated).all()
    if family in ("bernoulli", "binomial", "poisson", "negativebinomial"):
        assert (replicated >= 0).all() and np.array_equal(replicated, np.round(replicated))
    with pytest.raises(bl.errors.BayeslmeError, match="scale='link' applies to kind='mean'"):
        fit.predict(kind="response", scale="link")
    loo = fit.loo()
    assert np.isfinite(loo.elpd)
