"""Seeded sampling is reproducible; a fit with no group variation is reported as singular."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.errors import SingularFitWarning


@pytest.fixture(scope="module")
def model():
    data = bl.simulate.random_slopes(n_groups=6, n_per_group=5, seed=4).data
    return bl.LMM("y ~ x + (1 | g)", data)


def sample(model, seed, sampler):
    return model.fit(draws=60, tune=60, chains=2, random_seed=seed, sampler=sampler, progressbar=False)


@pytest.mark.parametrize("sampler", ["nutpie", "pymc", "numpyro", "blackjax"])
def test_same_seed_same_draws_other_seed_other_draws(model, sampler):
    if sampler in ("numpyro", "blackjax"):
        pytest.importorskip(sampler, reason=f"optional sampler {sampler!r} not installed")
    first, again, other = (sample(model, seed, sampler) for seed in (21, 21, 22))
    for name in ("b", "g__sd", "g__u", "sigma"):
        np.testing.assert_array_equal(first.draws(name), again.draws(name))
        assert not np.array_equal(first.draws(name), other.draws(name))
    assert first.info["sampler"] == sampler


def test_fit_without_group_variation_is_singular():
    # 12 groups whose means are exactly equal: the data show no between-group variation at all.
    rng = np.random.default_rng(8)
    noise = rng.normal(size=(12, 5))
    y = noise - noise.mean(axis=1, keepdims=True)
    data = pd.DataFrame({"y": y.ravel(), "g": np.repeat([f"g{k}" for k in range(12)], 5)})
    model = bl.LMM("y ~ 1 + (1 | g)", data)
    with pytest.warns(SingularFitWarning, match=r"sd\[g\|Intercept\] piles up at zero"):
        fit = model.fit(draws=500, tune=500, chains=2, random_seed=3, progressbar=False)
    assert fit.singular == ["sd[g|Intercept]"]
    assert "singular fit" in repr(fit)
