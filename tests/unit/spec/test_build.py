import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import PriorError
from bayeslme.families import get_family
from bayeslme.formula.design import build_design
from bayeslme.formula.parse import parse_formula
from bayeslme.priors import Prior
from bayeslme.spec import ModelSpec
from bayeslme.spec.build import build_spec


@pytest.fixture
def sleep_design(sleepstudy):
    return build_design(parse_formula("Reaction ~ Days + (Days | Subject)"), sleepstudy)


def spec_of(design, priors=None):
    return build_spec(design, priors=priors, family_priors=get_family("gaussian").family_priors(design.y))


def test_defaults_are_scaled_to_the_data(sleep_design):
    spec = spec_of(sleep_design)
    sd_y = np.std(sleep_design.y)
    sd_days = np.std(sleep_design.X[:, 1])
    assert spec.priors["Intercept"] == Prior("normal", mu=np.mean(sleep_design.y), sigma=2.5 * sd_y)
    assert spec.priors["b[Days]"]["sigma"] == pytest.approx(2.5 * sd_y / sd_days)
    assert spec.priors["sd[Subject|Intercept]"] == Prior("halfstudent_t", nu=3, sigma=sd_y)
    assert spec.priors["sd[Subject|Days]"]["sigma"] == pytest.approx(sd_y / sd_days)
    assert spec.priors["cor[Subject]"] == Prior("lkj", eta=1)
    assert spec.priors["sigma"] == Prior("halfstudent_t", nu=3, sigma=sd_y)


def test_overrides_general_then_specific(sleep_design):
    spec = spec_of(
        sleep_design,
        {
            "sd": Prior("halfnormal", sigma=10),
            "sd[Subject|Days]": Prior("exponential", lam=0.5),
            "b": Prior("flat"),
        },
    )
    assert spec.priors["sd[Subject|Intercept]"] == Prior("halfnormal", sigma=10)
    assert spec.priors["sd[Subject|Days]"] == Prior("exponential", lam=0.5)
    assert spec.priors["b[Days]"] == Prior("flat")


def test_factor_level_sd_key(sleep_design):
    spec = spec_of(sleep_design, {"sd[Subject]": Prior("halfnormal", sigma=3)})
    assert spec.priors["sd[Subject|Days]"] == Prior("halfnormal", sigma=3)


def test_unknown_prior_key_lists_valid_keys(sleep_design):
    with pytest.raises(PriorError, match=r"unknown prior key 'sd\[Patient\]'.*sd\[Subject\]"):
        spec_of(sleep_design, {"sd[Patient]": Prior("halfnormal", sigma=1)})


def test_wrong_family_for_parameter(sleep_design):
    with pytest.raises(PriorError, match="prior for 'sigma' must be one of"):
        spec_of(sleep_design, {"sigma": Prior("normal", mu=0, sigma=1)})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("normal",), "missing: \\['mu', 'sigma'\\]"),
        (("normal", {"mu": 0, "sigma": -1}), "'sigma' must be positive"),
        (("normal", {"mu": 0, "sigma": 1, "nu": 3}), "unknown: \\['nu'\\]"),
        (("cauchyish", {}), "unknown prior distribution 'cauchyish'"),
        (("normal", {"mu": "zero", "sigma": 1}), "'mu' must be a number"),
        (("normal", {"mu": float("nan"), "sigma": 1}), "must be finite"),
        (("lkj", {"eta": 0}), "'eta' must be positive"),
    ],
)
def test_invalid_priors(args, message):
    dist, params = args[0], (args[1] if len(args) > 1 else {})
    with pytest.raises(PriorError, match=message):
        Prior(dist, **params)


def test_prior_scale_of_unit_parametrisation():
    assert Prior("halfnormal", sigma=4).scale == 4
    assert Prior("exponential", lam=0.5).scale == 2
    assert Prior("halfstudent_t", nu=3, sigma=2).scale == 2


def test_spec_round_trips_through_json(sleep_design):
    import json

    spec = spec_of(sleep_design, {"b": Prior("flat")})
    again = ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec


def test_uncorrelated_model_has_no_lkj_prior():
    frame = pd.DataFrame({"y": np.arange(8.0) ** 1.3, "x": np.arange(8.0) % 3, "g": list("aabbccdd")})
    design = build_design(parse_formula("y ~ x + (x || g)"), frame)
    spec = spec_of(design)
    assert not any(key.startswith("cor") for key in spec.priors)
    assert spec.factors[0].pairs() == ()


@pytest.mark.parametrize(
    ("prior", "mean", "var"),
    [
        (bl.Prior("normal", mu=1.0, sigma=2.0), 1.0, 4.0),
        (bl.Prior("student_t", nu=5.0, mu=-1.0, sigma=0.5), -1.0, 0.25 * 5 / 3),
        (bl.Prior("uniform", lower=-0.5, upper=1.5), 0.5, 4 / 12),
        (bl.Prior("halfnormal", sigma=2.0), 2.0 * np.sqrt(2 / np.pi), 4.0 * (1 - 2 / np.pi)),
        (bl.Prior("exponential", lam=2.0), 0.5, 0.25),
        (bl.Prior("gamma", alpha=3.0, beta=2.0), 1.5, 0.75),
    ],
)
def test_prior_sample_has_the_distribution_moments(prior, mean, var):
    rng = np.random.default_rng(7)
    draws = np.array([prior.sample(rng) for _ in range(20_000)])
    # Monte Carlo SE of the mean is sqrt(var / n); 5 SE bounds a false alarm below 1e-6.
    assert abs(draws.mean() - mean) < 5 * np.sqrt(var / draws.size)
    # The variance's SE needs the fourth moment; 10 % of var is over 5 SE for these n and tails.
    assert abs(draws.var() - var) < 0.1 * var


def test_prior_sample_of_heavy_tailed_scales_is_positive_with_the_right_median():
    rng = np.random.default_rng(8)
    cauchy = np.array([bl.Prior("halfcauchy", beta=3.0).sample(rng) for _ in range(20_000)])
    t3 = np.array([bl.Prior("halfstudent_t", nu=3.0, sigma=2.0).sample(rng) for _ in range(20_000)])
    assert (cauchy > 0).all() and (t3 > 0).all()
    # half-Cauchy(beta) has median beta; half-t3 median = 2 x t3's 75th percentile (0.7649).
    # The median's SE is about 1 / (2 f(m) sqrt(n)): under 2.5 % of these medians at n = 20,000.
    assert abs(np.median(cauchy) / 3.0 - 1) < 0.05
    assert abs(np.median(t3) / (2.0 * 0.7649) - 1) < 0.05


@pytest.mark.parametrize(
    ("prior", "match"),
    [(bl.Prior("flat"), "improper"), (bl.Prior("lkj", eta=2.0), "over matrices")],
)
def test_prior_sample_refuses_what_is_not_one_number(prior, match):
    with pytest.raises(PriorError, match=match):
        prior.sample(np.random.default_rng(0))
