"""The Prior class: parameter checks, scales, and draws (``Prior.sample``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bayeslme.priors as priors
from bayeslme.errors import PriorError
from bayeslme.priors import Prior


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


# ---- Prior.sample ------------------------------------------------------------------------------------
def _half_moments(absolute_moment, scale: float) -> tuple[float, float, float]:
    """Mean, variance and 4th central moment of ``scale * |X|`` from ``k -> E|X|^k``."""
    m1, m2, m3, m4 = (absolute_moment(k) for k in (1, 2, 3, 4))
    var = m2 - m1**2
    mu4 = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
    return scale * m1, scale**2 * var, scale**4 * mu4


def _abs_normal(k: int) -> float:
    """E|Z|^k = 2^(k/2) Gamma((k+1)/2) / sqrt(pi)."""
    return 2 ** (k / 2) * math.gamma((k + 1) / 2) / math.sqrt(math.pi)


def _abs_t(nu: float):
    """E|t_nu|^k = nu^(k/2) Gamma((k+1)/2) Gamma((nu-k)/2) / (sqrt(pi) Gamma(nu/2)), for k < nu."""
    return lambda k: (
        nu ** (k / 2)
        * math.gamma((k + 1) / 2)
        * math.gamma((nu - k) / 2)
        / (math.sqrt(math.pi) * math.gamma(nu / 2))
    )


N_DRAWS = 40_000
# (prior, mean, variance, 4th central moment mu4); every law here has a finite 4th moment.
MOMENTS = [
    (Prior("normal", mu=1.0, sigma=2.0), 1.0, 4.0, 3 * 2.0**4),
    # t_nu: variance nu / (nu - 2), mu4 = 3 nu^2 / ((nu - 2)(nu - 4)), times sigma^2 and sigma^4.
    (Prior("student_t", nu=6.0, mu=-1.0, sigma=0.5), -1.0, 0.25 * 6 / 4, 0.5**4 * 3 * 36 / (4 * 2)),
    # Uniform of width w: variance w^2 / 12, mu4 = w^4 / 80.
    (Prior("uniform", lower=-0.5, upper=1.5), 0.5, 4 / 12, 16 / 80),
    (Prior("halfnormal", sigma=2.0), *_half_moments(_abs_normal, 2.0)),
    (Prior("halfstudent_t", nu=6.0, sigma=2.0), *_half_moments(_abs_t(6.0), 2.0)),
    # Exponential(lam): mean 1 / lam, variance 1 / lam^2, mu4 = 9 / lam^4.
    (Prior("exponential", lam=2.0), 0.5, 0.25, 9 / 16),
    # Gamma(alpha, beta): mean alpha / beta, variance alpha / beta^2, mu4 = 3 alpha (alpha + 2) / beta^4.
    (Prior("gamma", alpha=3.0, beta=2.0), 1.5, 0.75, 3 * 3 * 5 / 16),
]


@pytest.mark.parametrize(("prior", "mean", "var", "mu4"), MOMENTS, ids=lambda p: getattr(p, "dist", ""))
def test_prior_sample_has_the_distribution_moments(prior, mean, var, mu4):
    draws = prior.sample(np.random.default_rng(7), size=N_DRAWS)
    # Monte Carlo SEs over n draws: sqrt(var / n) for the sample mean and, by the CLT for the
    # mean of (X - mean)^2 (finite 4th moment), sqrt((mu4 - var^2) / n) for the sample variance.
    # 5 SE leaves a false alarm chance of 6e-7 per check; a wrong scale (say sigma^2 for sigma,
    # or rate for scale) misses by tens of SEs at n = 40,000.
    assert abs(draws.mean() - mean) < 5 * math.sqrt(var / N_DRAWS)
    assert abs(draws.var() - var) < 5 * math.sqrt((mu4 - var**2) / N_DRAWS)


def test_prior_sample_of_the_half_cauchy_has_its_quartiles():
    # Half-Cauchy(beta) has no moments; its CDF (2 / pi) arctan(x / beta) puts the quartiles at
    # beta tan(pi / 8), beta, beta tan(3 pi / 8). The share of draws below the p quantile is
    # Binomial(n, p) / n with SE sqrt(p (1 - p) / n) <= 0.0025 at n = 40,000; 5 SE as above.
    beta = 3.0
    draws = Prior("halfcauchy", beta=beta).sample(np.random.default_rng(8), size=N_DRAWS)
    assert (draws > 0).all()
    for p, quantile in [(0.25, np.tan(np.pi / 8)), (0.5, 1.0), (0.75, np.tan(3 * np.pi / 8))]:
        assert abs(np.mean(draws < beta * quantile) - p) < 5 * math.sqrt(p * (1 - p) / N_DRAWS)


# The rng calls of the prior simulation before Prior.sample existed (validate.py's _location and
# _scale, and rng.uniform for a residual or block correlation): one draw must keep making them,
# so that seeded SBC runs reproduce.
LEGACY = [
    (Prior("normal", mu=1.0, sigma=2.0), lambda rng: rng.normal(1.0, 2.0)),
    (Prior("student_t", nu=6.0, mu=-1.0, sigma=0.5), lambda rng: -1.0 + 0.5 * rng.standard_t(6.0)),
    (Prior("uniform", lower=-0.5, upper=1.5), lambda rng: rng.uniform(-0.5, 1.5)),
    (Prior("halfnormal", sigma=2.0), lambda rng: abs(rng.normal()) * 2.0),
    (Prior("halfstudent_t", nu=3.0, sigma=2.0), lambda rng: abs(rng.standard_t(3.0)) * 2.0),
    (Prior("halfcauchy", beta=3.0), lambda rng: abs(rng.standard_cauchy()) * 3.0),
    (Prior("exponential", lam=2.0), lambda rng: rng.exponential() * 0.5),
    (Prior("gamma", alpha=3.0, beta=2.0), lambda rng: rng.gamma(3.0) * 0.5),
]


@pytest.mark.parametrize(("prior", "legacy"), LEGACY, ids=lambda p: getattr(p, "dist", ""))
def test_one_draw_makes_the_rng_calls_of_earlier_versions(prior, legacy):
    ours, theirs = np.random.default_rng(3), np.random.default_rng(3)
    draws = [prior.sample(ours) for _ in range(5)]
    assert all(type(d) is float for d in draws)
    assert draws == [float(legacy(theirs)) for _ in range(5)]
    assert ours.random() == theirs.random()  # and leave the stream at the same place


@pytest.mark.parametrize("prior", [prior for prior, _ in LEGACY], ids=lambda p: p.dist)
def test_sized_draws_equal_as_many_single_draws(prior):
    block = prior.sample(np.random.default_rng(4), size=(2, 3))
    rng = np.random.default_rng(4)
    assert block.shape == (2, 3) and block.dtype == float
    np.testing.assert_array_equal(block.ravel(), [prior.sample(rng) for _ in range(6)])


@pytest.mark.parametrize(
    ("prior", "match"),
    [
        (Prior("flat"), r"prior flat\(\) is improper"),
        (Prior("lkj", eta=2.0), r"prior lkj\(2\) is over matrices"),
    ],
)
def test_prior_sample_refuses_what_is_not_one_proper_number(prior, match):
    with pytest.raises(PriorError, match=match):
        prior.sample(np.random.default_rng(0))
    with pytest.raises(PriorError, match=match):
        prior.sample(np.random.default_rng(0), size=3)


@pytest.mark.parametrize("as_scale", [False, True])
def test_prior_sample_names_a_distribution_it_has_no_sampler_for(monkeypatch, as_scale):
    # A distribution added to Prior without a sampler must fail loudly, as a location or as a
    # scale prior, rather than fall back to another law (the old simulation drew a gamma).
    monkeypatch.setitem(priors._PARAMETERS, "weibull", ("k", "lam"))
    if as_scale:
        monkeypatch.setattr(priors, "SCALE_DISTS", (*priors.SCALE_DISTS, "weibull"))
    with pytest.raises(PriorError, match="no sampler for distribution 'weibull'"):
        Prior("weibull", k=1.5, lam=2.0).sample(np.random.default_rng(0))


@pytest.mark.parametrize(
    "prior",
    [
        Prior("normal", mu=1.0, sigma=2.0),
        Prior("student_t", nu=3, mu=-1.0, sigma=0.5),
        Prior("uniform", lower=-0.5, upper=0.9),
        Prior("halfnormal", sigma=2.0),
        Prior("halfstudent_t", nu=3, sigma=1.5),
        Prior("halfcauchy", beta=0.7),
        Prior("exponential", lam=2.0),
        Prior("gamma", alpha=2.0, beta=3.0),
    ],
    ids=lambda p: p.dist,
)
def test_logpdf_is_the_density_the_sampler_draws_from(prior):
    # The density integrates to 1 over its support and matches a histogram of 200,000
    # draws from sample() (40 bins of ~4500 draws each: about 1.5% noise per bin, plus the
    # density's curvature within a bin; 10% tolerance).
    from scipy import integrate

    low, high = {"uniform": (-0.5, 0.9)}.get(prior.dist, (-np.inf, np.inf))
    if prior.dist in ("halfnormal", "halfstudent_t", "halfcauchy", "exponential", "gamma"):
        low = 0.0
    total, _ = integrate.quad(lambda x: np.exp(prior.logpdf(x)), low, high, limit=200)
    assert total == pytest.approx(1.0, abs=1e-6)
    draws = prior.sample(np.random.default_rng(0), 200_000)
    inner = draws[(draws > np.quantile(draws, 0.05)) & (draws < np.quantile(draws, 0.95))]
    counts, edges = np.histogram(inner, bins=40)
    centres = (edges[:-1] + edges[1:]) / 2
    empirical = counts / (draws.size * np.diff(edges))
    np.testing.assert_allclose(np.exp(prior.logpdf(centres)), empirical, rtol=0.1)


def test_logpdf_outside_the_support_and_of_improper_priors():
    assert Prior("halfnormal", sigma=1.0).logpdf(-0.1) == -np.inf
    assert Prior("uniform", lower=0, upper=1).logpdf(1.5) == -np.inf
    assert Prior("flat").logpdf(np.array([1.0, 1e6])).tolist() == [0.0, 0.0]
    with pytest.raises(PriorError, match="no log density for distribution 'lkj'"):
        Prior("lkj", eta=2).logpdf(0.1)
