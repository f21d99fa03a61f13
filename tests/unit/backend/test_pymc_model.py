"""Structure of the PyMC model (building is cheap; no sampling here)."""

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl


def test_noncentered_lkj_structure(sleepstudy):
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", sleepstudy).build()
    free = {rv.name for rv in model.free_RVs}
    assert {
        "Subject__z",
        "Subject__L0",
        "Subject__sd_unit",
        "sigma_unit",
        "Intercept_centered",
        "b_slopes",
    } <= free
    assert model.named_vars_to_dims["Subject__z"] == ("Subject__level", "Subject__effect")
    assert model.named_vars_to_dims["Subject__u"] == ("Subject__level", "Subject__effect")
    assert model.named_vars_to_dims["Subject__cor"] == ("Subject__cor_pair",)
    assert list(model.coords["Subject__effect"]) == ["Intercept", "Days"]
    assert model.coords["Subject__level"][:2] == ("308", "309")
    # z is standard normal: the non-centered parametrisation
    z = model["Subject__z"]
    assert z.owner.op.name == "normal"
    lkj = model["Subject__L0"]
    assert "lkj" in type(lkj.owner.op).__name__.lower()


def test_uncorrelated_terms_have_no_lkj(sleepstudy):
    model = bl.LMM("Reaction ~ Days + (Days || Subject)", sleepstudy).build()
    assert not any("__L" in rv.name for rv in model.free_RVs)
    assert "Subject__cor" not in model.named_vars


def test_logp_matches_hand_computation_at_a_point():
    """The model's likelihood equals a direct Normal logpdf of the hand-built mean."""
    from scipy import stats

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {"y": rng.normal(size=20), "x": rng.normal(size=20), "g": np.repeat(list("abcd"), 5)}
    )
    model = bl.LMM("y ~ x + (x | g)", frame).build()
    point = model.initial_point()
    point = {k: v + rng.normal(scale=0.3, size=np.shape(v)) for k, v in point.items()}
    outputs = model.replace_rvs_by_values([model["b"], model["g__u"], model["sigma"]])
    fn = model.compile_fn(outputs, inputs=model.value_vars, on_unused_input="ignore", mode="FAST_COMPILE")
    b, u, sigma = fn(point)
    index = pd.Categorical(frame["g"]).codes
    mu = b[0] + b[1] * frame["x"].to_numpy() + u[index, 0] + u[index, 1] * frame["x"].to_numpy()
    expected = stats.norm.logpdf(frame["y"], mu, sigma).sum()
    loglik = model.compile_fn(
        model.observedlogp, inputs=model.value_vars, on_unused_input="ignore", mode="FAST_COMPILE"
    )(point)
    np.testing.assert_allclose(loglik, expected, rtol=1e-8)


def _observed_logp(model, point):
    fn = model.compile_fn(
        model.observedlogp, inputs=model.value_vars, on_unused_input="ignore", mode="FAST_COMPILE"
    )
    return fn(point)


def _random_point(model, rng, scale):
    point = model.initial_point()
    return {k: v + rng.normal(scale=scale, size=np.shape(v)) for k, v in point.items()}


@pytest.mark.parametrize(
    ("family", "shift"),
    [("bernoulli", 0.0), ("bernoulli", 45.0), ("binomial", 0.0), ("binomial", 45.0), ("poisson", 0.0)],
)
def test_glmm_logp_matches_scipy_at_a_point(family, shift):
    """Our logit/log-link densities equal the normalised pmf, including at extreme linear predictors.

    ``shift`` moves the intercept so that the linear predictor passes 40,
    where the logistic rounds to 1 and a naive log(1 - p) is -inf; the sums
    must still agree to 1e-8 relative.
    """
    from scipy import special, stats

    rng = np.random.default_rng(4)
    n = 60
    frame = pd.DataFrame({"x": rng.normal(size=n), "g": np.repeat(list("abcdef"), 10)})
    frame["trials"] = rng.integers(1, 9, size=n)
    if family == "bernoulli":
        frame["y"] = rng.integers(0, 2, size=n)
        formula = "y ~ x + (x | g)"
    elif family == "binomial":
        frame["y"] = rng.binomial(frame["trials"], 0.4)
        formula = "y | trials(trials) ~ x + (x | g)"
    else:
        frame["y"] = rng.poisson(3.0, size=n)
        formula = "y ~ x + (x | g)"
    model = bl.GLMM(formula, frame, family=family).build()
    point = _random_point(model, rng, 0.3)
    point["Intercept_centered"] = point["Intercept_centered"] + shift
    outputs = model.replace_rvs_by_values([model["b"], model["g__u"]])
    b, u = model.compile_fn(outputs, inputs=model.value_vars, on_unused_input="ignore", mode="FAST_COMPILE")(
        point
    )
    index = pd.Categorical(frame["g"]).codes
    x = frame["x"].to_numpy()
    eta = b[0] + b[1] * x + u[index, 0] + u[index, 1] * x
    if shift:
        assert eta.min() > 40  # beyond where the logistic rounds to 0 or 1
    # log p and log(1 - p) of the logistic, exact at any eta (scipy's pmf of a
    # probability that rounded to 1 would give -inf)
    log_p, log_q = -np.logaddexp(0, -eta), -np.logaddexp(0, eta)
    y = frame["y"].to_numpy()
    if family == "bernoulli":
        expected = np.where(y == 1, log_p, log_q)
    elif family == "binomial":
        trials = frame["trials"].to_numpy()
        log_choose = special.gammaln(trials + 1) - special.gammaln(y + 1) - special.gammaln(trials - y + 1)
        expected = log_choose + y * log_p + (trials - y) * log_q
    else:
        expected = stats.poisson.logpmf(frame["y"], np.exp(eta))
    loglik = _observed_logp(model, point)
    assert np.isfinite(loglik)
    np.testing.assert_allclose(loglik, np.sum(expected), rtol=1e-8)


def test_gaussian_logp_with_many_fixed_columns():
    """More fixed columns than are summed column by column: the matrix-product predictor agrees too."""
    from scipy import stats

    from bayeslme.backend.pymc_model import ELEMENTWISE_MAX_COLUMNS

    rng = np.random.default_rng(5)
    n, k = 40, ELEMENTWISE_MAX_COLUMNS + 2
    columns = {f"x{j}": rng.normal(loc=j, size=n) for j in range(k)}
    frame = pd.DataFrame({"y": rng.normal(size=n), "g": np.repeat(list("abcd"), 10), **columns})
    model = bl.LMM("y ~ " + " + ".join(columns) + " + (1 | g)", frame).build()
    point = _random_point(model, rng, 0.3)
    outputs = model.replace_rvs_by_values([model["b"], model["g__u"], model["sigma"]])
    b, u, sigma = model.compile_fn(
        outputs, inputs=model.value_vars, on_unused_input="ignore", mode="FAST_COMPILE"
    )(point)
    X = np.column_stack([np.ones(n), *columns.values()])
    mu = X @ b + u[pd.Categorical(frame["g"]).codes, 0]
    expected = stats.norm.logpdf(frame["y"], mu, sigma).sum()
    np.testing.assert_allclose(_observed_logp(model, point), expected, rtol=1e-8)


@pytest.mark.parametrize("family", ["bernoulli", "binomial", "poisson"])
def test_linear_predictor_densities_match_pymc_value_and_gradient(family):
    """Our densities on eta against PyMC's own distributions: value and d/d eta, elementwise.

    The eta grid includes 0 (where max(x, 0) has a kink that must give the
    logistic's 1/2), +-40 (where the logistic rounds to 0 or 1) and +-800
    (where exp overflows); Poisson stays within exp's range. PyMC's own
    densities are the reference wherever they are finite.
    """
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt
    from scipy import special

    from bayeslme.backend import likelihoods

    rng = np.random.default_rng(6)
    extremes = [0.0, 1e-12, -1e-12, 40.0, -40.0] + ([800.0, -800.0] if family != "poisson" else [])
    eta_values = np.concatenate([extremes, rng.normal(scale=3.0, size=40)])
    n = eta_values.size
    eta = pt.dvector("eta")
    if family == "bernoulli":
        y = rng.integers(0, 2, size=n)
        ours = likelihoods._bernoulli_logit_logp(pt.as_tensor(y), eta)
        reference = pm.logp(pm.Bernoulli.dist(logit_p=eta), y)
    elif family == "binomial":
        trials = rng.integers(1, 12, size=n)
        y = rng.binomial(trials, 0.5)
        log_choose = (
            special.gammaln(trials + 1.0) - special.gammaln(y + 1.0) - special.gammaln(trials - y + 1.0)
        )
        ours = likelihoods._binomial_logit_logp(
            pt.as_tensor(y), eta, pt.as_tensor(trials), pt.as_tensor(log_choose)
        )
        reference = pm.logp(pm.Binomial.dist(n=trials, logit_p=eta), y)
    else:
        y = rng.poisson(3.0, size=n)
        ours = likelihoods._poisson_log_logp(pt.as_tensor(y), eta, pt.as_tensor(-special.gammaln(y + 1.0)))
        reference = pm.logp(pm.Poisson.dist(mu=pt.exp(eta)), y)
    outputs = [ours, pt.grad(ours.sum(), eta), reference, pt.grad(reference.sum(), eta)]
    value, grad, value_ref, grad_ref = pytensor.function([eta], outputs)(eta_values)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    finite = np.isfinite(value_ref) & np.isfinite(grad_ref)
    assert finite[len(extremes) :].all()  # the reference is finite at least on the random part
    np.testing.assert_allclose(value[finite], value_ref[finite], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad[finite], grad_ref[finite], rtol=1e-10, atol=1e-12)
    if family == "bernoulli":
        # exact limits where PyMC's may not be finite: log sigmoid(+-800), d/d eta in {0, +-1}
        sign = 1 - 2 * y[5:7]
        np.testing.assert_allclose(value[5:7], np.minimum(0.0, -sign * eta_values[5:7]), atol=1e-300)
        np.testing.assert_allclose(grad[5:7], -sign * (sign * eta_values[5:7] > 0), atol=1e-300)
        np.testing.assert_allclose(grad[0], 0.5 if y[0] == 1 else -0.5)
