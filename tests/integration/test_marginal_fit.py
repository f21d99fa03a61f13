"""fit(method="marginal"): a crossed Gaussian model with its largest factor integrated out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import SamplerError

pytest.importorskip("nutpie")

SETTINGS = {"draws": 1000, "tune": 500, "chains": 4, "random_seed": 5, "progressbar": False}


def _crossed(seed: int = 3) -> pd.DataFrame:
    """20 subjects x 12 items, 10 % of the pairs missing, subject slopes correlated with intercepts."""
    rng = np.random.default_rng(seed)
    pairs = [(s, i) for s in range(20) for i in range(12) if rng.random() > 0.1]
    frame = pd.DataFrame(pairs, columns=["subj", "item"])
    frame["cond"] = rng.choice([-0.5, 0.5], len(frame))
    subj = rng.multivariate_normal([0, 0], [[1.0, 0.3], [0.3, 0.5]], size=20)
    item = rng.normal(0, 0.6, 12)
    s, i = frame["subj"].to_numpy(), frame["item"].to_numpy()
    frame["y"] = (
        3
        + 0.5 * frame["cond"]
        + subj[s, 0]
        + subj[s, 1] * frame["cond"]
        + item[i]
        + rng.normal(0, 0.8, len(frame))
    )
    frame["subj"] = [f"s{k:02d}" for k in s]
    frame["item"] = [f"i{k:02d}" for k in i]
    return frame


@pytest.fixture(scope="module")
def model():
    return bl.LMM("y ~ cond + (1 + cond | subj) + (1 | item)", _crossed())


@pytest.fixture(scope="module")
def fits(model):
    return model.fit(method="noncentered", **SETTINGS), model.fit(**SETTINGS)


def test_auto_integrates_the_largest_factor_out(fits):
    plain, marginal = fits
    assert marginal.info["method"] == "marginal" and marginal.info["integrated"] == ["subj"]
    assert plain.info["method"] == "noncentered" and plain.info["integrated"] == []


def test_marginal_fit_has_the_noncentered_posterior(fits):
    # Two samplers of one posterior: means differ by Monte Carlo error only.
    # With bulk ESS above 300 per quantity (asserted), the difference of two
    # independent means has SD below sd * sqrt(2 / 300) = 0.08 sd; 0.3 sd is
    # 3.7 of those. The integrated factor's effects, drawn afterwards
    # from their conditional, are compared the same way (their ESS is at
    # least the population parameters': one exact draw per draw).
    plain, marginal = fits
    _assert_same_posterior(
        plain, marginal, ("b", "subj__sd", "item__sd", "sigma", "subj__cor", "subj__u", "item__u")
    )


def _assert_same_posterior(plain, marginal, names):
    """Means within 0.3 posterior SD and SDs within 20 % (see the test above for why)."""
    assert plain.diagnostics.min_ess_bulk > 300 and marginal.diagnostics.min_ess_bulk > 300
    for name in names:
        a, b = plain.draws(name), marginal.draws(name)
        sd = a.std(axis=(0, 1))
        assert np.all(np.abs(a.mean(axis=(0, 1)) - b.mean(axis=(0, 1))) < 0.3 * sd), name
        # Posterior SDs agree too: a conditional draw without its noise would shrink them.
        assert np.all(np.abs(b.std(axis=(0, 1)) / sd - 1) < 0.2), name


def test_integrated_effects_keep_names_and_u_equal_to_z_times_L(fits):
    _, marginal = fits
    u = marginal.idata["posterior"]["subj__u"]
    assert list(u.coords[u.dims[2]].values) == [f"s{k:02d}" for k in range(20)]
    z, u = marginal.draws("subj__z"), marginal.draws("subj__u")
    sd, cor = marginal.draws("subj__sd"), marginal.draws("subj__cor")[..., 0]
    u1 = sd[..., None, 1] * (cor[..., None] * z[..., 0] + np.sqrt(1 - cor[..., None] ** 2) * z[..., 1])
    np.testing.assert_allclose(u[..., 0], sd[..., None, 0] * z[..., 0], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(u[..., 1], u1, rtol=1e-9, atol=1e-9)


def test_same_seed_same_draws_including_the_integrated_effects(model):
    small = {**SETTINGS, "draws": 50, "tune": 50, "chains": 2}
    first, second = model.fit(**small), model.fit(**small)
    for name in ("b", "subj__u", "item__u"):
        np.testing.assert_array_equal(first.draws(name), second.draws(name))


def test_predictions_use_the_drawn_effects(fits):
    # Conditional predictions carry each subject's drawn effects: the two fits'
    # posterior-mean predictions agree within Monte Carlo error (predictive SD
    # about 0.3 here, ESS above 400: 0.3 * sqrt(2 / 400) = 0.02; 0.1 allows
    # for the smaller ESS of some group effects), and differ from the
    # population-level ones by the subjects' effects (SD about 1).
    plain, marginal = fits
    frame = _crossed().head(30)
    a = plain.predict(frame, summary=False).mean(axis=(0, 1)).values
    b = marginal.predict(frame, summary=False).mean(axis=(0, 1)).values
    np.testing.assert_allclose(a, b, atol=0.1)
    population = marginal.predict(frame, groups="population", summary=False).mean(axis=(0, 1)).values
    assert np.abs(b - population).max() > 0.5


def test_marginal_where_it_does_not_apply_says_why(model):
    one = bl.LMM("y ~ cond + (1 | subj)", _crossed())
    with pytest.raises(SamplerError, match="two or more grouping factors"):
        one.fit(method="marginal", **SETTINGS)
    frame = _crossed().assign(yb=lambda f: (f["y"] > 3).astype(int))
    binary = bl.GLMM("yb ~ cond + (1 | subj) + (1 | item)", frame, family="bernoulli")
    with pytest.raises(SamplerError, match="'bernoulli'"):
        binary.fit(method="marginal", **SETTINGS)
    with pytest.raises(SamplerError, match="precompiled kernel"):
        model.fit(method="marginal", sampler="pymc", **SETTINGS)


def test_centered_choices_with_the_marginal_method(model):
    tiny = {**SETTINGS, "draws": 20, "tune": 20, "chains": 2}
    # Default: the factor left (items, 22 rows each) is centred by the data rule.
    default = model.fit(**tiny)
    assert default.info["centered"] == ["item"]
    assert model.fit(centered=False, **tiny).info["centered"] == []
    # Naming the factor auto would integrate out samples the model non-centered instead.
    named = model.fit(centered=["subj"], **tiny)
    assert named.info["method"] == "noncentered" and named.info["centered"] == ["subj"]
    with pytest.raises(SamplerError, match=r"marginal method integrates \['subj'\] out"):
        model.fit(method="marginal", centered=["subj"], **tiny)


def _nested_crossed(seed: int = 4) -> pd.DataFrame:
    """16 subjects x 18 classes (3 in each of 6 schools), one row per pair, 10 % missing."""
    rng = np.random.default_rng(seed)
    pairs = [(s, c) for s in range(16) for c in range(18) if rng.random() > 0.1]
    frame = pd.DataFrame(pairs, columns=["subj", "cls"])
    frame["x"] = rng.normal(size=len(frame))
    subj, cls, school = rng.normal(0, 0.7, 16), rng.normal(0, 0.5, 18), rng.normal(0, 0.8, 6)
    s, c = frame["subj"].to_numpy(), frame["cls"].to_numpy()
    frame["y"] = 1 + 0.4 * frame["x"] + subj[s] + cls[c] + school[c // 3] + rng.normal(0, 0.6, len(frame))
    frame["subj"] = [f"s{k:02d}" for k in s]
    frame["cls"] = [f"c{k:02d}" for k in c]
    frame["school"] = [f"h{k // 3}" for k in c]
    return frame


@pytest.fixture(scope="module")
def nested_fits():
    model = bl.LMM("y ~ x + (1 | subj) + (1 | cls) + (1 | school)", _nested_crossed())
    return model.fit(method="noncentered", **SETTINGS), model.fit(**SETTINGS)


def test_nested_pair_integrated_out_has_the_noncentered_posterior(nested_fits):
    # Classes nested in schools are integrated out together (two-level
    # Woodbury), the crossed subjects sampled. Same tolerances as above; the
    # 6-school SD is right-skewed, so its SDs are compared on the log scale.
    plain, marginal = nested_fits
    assert marginal.info["method"] == "marginal" and marginal.info["integrated"] == ["cls", "school"]
    _assert_same_posterior(
        plain, marginal, ("b", "subj__sd", "cls__sd", "sigma", "subj__u", "cls__u", "school__u")
    )
    a, b = np.log(plain.draws("school__sd")), np.log(marginal.draws("school__sd"))
    assert abs(a.mean() - b.mean()) < 0.3 * a.std() and abs(b.std() / a.std() - 1) < 0.2
