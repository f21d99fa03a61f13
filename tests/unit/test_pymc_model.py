"""Structure of the PyMC model (building is cheap; no sampling here)."""

import numpy as np
import pandas as pd

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
    assert model.named_vars_to_dims["Subject__z"] == ("Subject", "Subject__effect")
    assert model.named_vars_to_dims["Subject__u"] == ("Subject", "Subject__effect")
    assert model.named_vars_to_dims["Subject__cor"] == ("Subject__cor_pair",)
    assert list(model.coords["Subject__effect"]) == ["Intercept", "Days"]
    assert model.coords["Subject"][:2] == ("308", "309")
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
    fn = model.compile_fn(outputs, inputs=model.value_vars, on_unused_input="ignore")
    b, u, sigma = fn(point)
    index = pd.Categorical(frame["g"]).codes
    mu = b[0] + b[1] * frame["x"].to_numpy() + u[index, 0] + u[index, 1] * frame["x"].to_numpy()
    expected = stats.norm.logpdf(frame["y"], mu, sigma).sum()
    loglik = model.compile_fn(model.observedlogp, inputs=model.value_vars, on_unused_input="ignore")(point)
    np.testing.assert_allclose(loglik, expected, rtol=1e-8)
