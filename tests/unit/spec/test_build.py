import numpy as np
import pandas as pd
import pytest

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
