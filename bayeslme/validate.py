"""Simulation-based calibration (SBC) of bayeslme's models.

SBC (Talts et al. 2018) checks the whole inference pipeline: draw parameters
:math:`\\tilde\\theta` from the prior, simulate data :math:`\\tilde y` from the
model with them, fit, and record the rank of :math:`\\tilde\\theta` among
:math:`L` posterior draws,

.. math::

    r = \\#\\{\\ell : \\theta^{(\\ell)} < \\tilde\\theta\\} \\in \\{0, \\dots, L\\}.

If the posterior is computed correctly, the data-averaged posterior equals the
prior, and ``r`` is uniform on :math:`\\{0, \\dots, L\\}` for every parameter.
Ranks piling up in the middle mean over-dispersed posteriors, at the ends
under-dispersed or biased ones. Central :math:`q` intervals then cover the
truth in a fraction :math:`q` of the data sets, whatever the sample size.

The simulation uses the model's own design (``X``, ``Z``, level indices) and
its *resolved* priors: the priors are fixed once, from the template data, and
every simulated data set is fitted with the same spec, so the priors that
generate the data and the priors used in the fit are the same.

References
----------
Talts, S., Betancourt, M., Simpson, D., Vehtari, A., & Gelman, A. (2018).
Validating Bayesian inference algorithms with simulation-based calibration.
arXiv:1804.06788.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from bayeslme.errors import BayeslmeError, PriorError
from bayeslme.model import GLMM
from bayeslme.priors import Prior
from bayeslme.spec import ModelSpec

__all__ = [
    "SBCResult",
    "coverage",
    "draw_parameters",
    "lkj_correlation",
    "rank_uniformity",
    "run_sbc",
    "simulate_response",
]


@dataclass(frozen=True)
class SBCResult:
    """Ranks of the true parameters among posterior draws, one row per simulated data set.

    Attributes
    ----------
    ranks : pandas.DataFrame
        Integer ranks in ``0..n_draws``; columns are parameter labels
        (``b[x]``, ``sd[g|Intercept]``, ``cor[g|Intercept, x]``, ``sigma``).
    n_draws : int
        Number of (thinned) posterior draws each rank is taken among.
    divergences : numpy.ndarray
        Divergent transitions of each fit.
    """

    ranks: pd.DataFrame
    n_draws: int
    divergences: np.ndarray

    def table(self, *, bins: int = 10) -> pd.DataFrame:
        """Per parameter: uniformity p-value, 50% and 90% coverage with binomial SE."""
        rows = {}
        for name in self.ranks.columns:
            ranks = self.ranks[name].to_numpy()
            c50, se50 = coverage(ranks, self.n_draws, 0.5)
            c90, se90 = coverage(ranks, self.n_draws, 0.9)
            rows[name] = {
                "chi2_p": rank_uniformity(ranks, self.n_draws, bins=bins),
                "cover50": c50,
                "se50": se50,
                "cover90": c90,
                "se90": se90,
            }
        return pd.DataFrame(rows).T


# ---- drawing from the prior --------------------------------------------------------------------------
def _location(prior: Prior, rng: np.random.Generator) -> float:
    if prior.dist == "normal":
        return float(rng.normal(prior["mu"], prior["sigma"]))
    if prior.dist == "student_t":
        return float(prior["mu"] + prior["sigma"] * rng.standard_t(prior["nu"]))
    raise PriorError(f"SBC needs proper priors; {prior} cannot be simulated from")


def _scale(prior: Prior, rng: np.random.Generator) -> float:
    if prior.dist == "halfnormal":
        unit = abs(rng.normal())
    elif prior.dist == "halfstudent_t":
        unit = abs(rng.standard_t(prior["nu"]))
    elif prior.dist == "halfcauchy":
        unit = abs(rng.standard_cauchy())
    elif prior.dist == "exponential":
        unit = rng.exponential()
    else:
        unit = rng.gamma(prior["alpha"])
    return float(unit * prior.scale)


def lkj_correlation(k: int, eta: float, rng: np.random.Generator) -> np.ndarray:
    """A ``k x k`` correlation matrix from LKJ(eta) by the C-vine method.

    Partial correlations of the vine are :math:`2\\,\\mathrm{Beta}(\\beta, \\beta) - 1`
    with :math:`\\beta` starting at :math:`\\eta + (k - 1)/2` and decreasing
    by 1/2 per tree (Lewandowski, Kurowicka & Joe 2009, section 2.4). For
    ``k = 2`` this is :math:`r = 2\\,\\mathrm{Beta}(\\eta, \\eta) - 1`.
    """
    beta = eta + (k - 1) / 2
    partial = np.zeros((k, k))
    corr = np.eye(k)
    for i in range(k - 1):
        beta -= 0.5
        for j in range(i + 1, k):
            partial[i, j] = 2 * rng.beta(beta, beta) - 1
            value = partial[i, j]
            for m in range(i - 1, -1, -1):
                value = value * np.sqrt((1 - partial[m, i] ** 2) * (1 - partial[m, j] ** 2))
                value += partial[m, i] * partial[m, j]
            corr[i, j] = corr[j, i] = value
    return corr


def draw_parameters(spec: ModelSpec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One draw of every parameter from the spec's priors.

    Returns
    -------
    dict
        ``"b"`` (fixed effects on the original predictors), ``"<f>__sd"``,
        ``"<f>__cor"`` (pairs of ``factor.pairs()``), ``"<f>__u"`` (levels x
        effects), ``"sigma"`` (Gaussian), and ``"Intercept_centered"``.
    """
    params: dict[str, np.ndarray] = {}
    slopes = np.array([_location(spec.priors[f"b[{n}]"], rng) for n in spec.slopes])
    b = dict(zip(spec.slopes, slopes, strict=True))
    if spec.has_intercept:
        centred = _location(spec.priors["Intercept"], rng)
        means = np.array([m for n, m in zip(spec.fixed, spec.x_means, strict=True) if n != "Intercept"])
        b["Intercept"] = centred - float(means @ slopes) if slopes.size else centred
        params["Intercept_centered"] = np.array(centred)
    params["b"] = np.array([b[n] for n in spec.fixed])
    for factor in spec.factors:
        sd = np.array([_scale(spec.priors[f"sd[{factor.name}|{e}]"], rng) for e in factor.effects])
        corr = np.eye(len(factor.effects))
        cors = []
        start = 0
        for block in factor.blocks:
            width = len(block.effects)
            if block.correlated:
                block_corr = lkj_correlation(width, spec.priors[f"cor[{factor.name}]"]["eta"], rng)
                corr[start : start + width, start : start + width] = block_corr
                rows, cols = np.triu_indices(width, k=1)
                cors.extend(block_corr[rows, cols])
            start += width
        chol = np.linalg.cholesky(corr)
        z = rng.normal(size=(len(factor.levels), len(factor.effects)))
        params[f"{factor.name}__sd"] = sd
        params[f"{factor.name}__u"] = (z @ chol.T) * sd
        if cors:
            params[f"{factor.name}__cor"] = np.array(cors)
    if "sigma" in spec.priors:
        params["sigma"] = np.array(_scale(spec.priors["sigma"], rng))
    return params


def simulate_response(model: GLMM, params: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Simulate the response on the model's own design given parameter values."""
    design = model.design
    eta = design.X @ params["b"] if design.X.size else np.zeros(design.n_obs)
    for factor in design.factors:
        u = params[f"{factor.name}__u"]
        eta = eta + (factor.Z * u[factor.index]).sum(axis=1)
    if model.spec.family == "gaussian":
        return eta + rng.normal(0.0, params["sigma"], size=eta.shape)
    raise BayeslmeError(f"SBC simulation is not implemented for family {model.spec.family!r}")


def true_values(spec: ModelSpec, params: dict[str, np.ndarray]) -> dict[str, float]:
    """Population-level parameters of one prior draw, keyed by SBC label."""
    values = {f"b[{n}]": float(v) for n, v in zip(spec.fixed, params["b"], strict=True)}
    for factor in spec.factors:
        for e, effect in enumerate(factor.effects):
            values[f"sd[{factor.name}|{effect}]"] = float(params[f"{factor.name}__sd"][e])
        for p, (a, b) in enumerate(factor.pairs()):
            values[f"cor[{factor.name}|{a}, {b}]"] = float(params[f"{factor.name}__cor"][p])
    if "sigma" in params:
        values["sigma"] = float(params["sigma"])
    return values


def _posterior_values(fit, spec: ModelSpec) -> dict[str, np.ndarray]:
    flat = {}
    for name in fit.population_var_names():
        draws = fit.draws(name)
        draws = draws.reshape(-1, *draws.shape[2:])
        labels = fit._labels(name)
        draws = draws.reshape(draws.shape[0], -1)
        for j, label in enumerate(labels):
            flat[label] = draws[:, j]
    return flat


# ---- the SBC loop ------------------------------------------------------------------------------------
def run_sbc(
    model: GLMM,
    n_datasets: int,
    *,
    n_draws: int = 99,
    draws: int = 200,
    tune: int = 300,
    chains: int = 2,
    seed: int = 0,
    sampler: str = "auto",
    target_accept: float = 0.9,
    fit_options: dict | None = None,
) -> SBCResult:
    """Run SBC on ``model``'s design and priors.

    Parameters
    ----------
    model : GLMM
        Template: its design (predictors, grouping) and resolved priors are
        used for every simulated data set; its response is ignored.
    n_datasets : int
        Number of simulated data sets.
    n_draws : int
        Posterior draws each rank is taken among (``L``; evenly thinned from
        ``chains * draws``, which must be at least ``n_draws``). Thinning
        makes the draws close to independent, as the rank statistic assumes.
    draws, tune, chains, sampler, target_accept
        Sampler settings of each fit.
    seed : int
        Seeds the prior draws and, per data set, the sampler.
    fit_options : dict, optional
        Further keyword arguments of :meth:`GLMM.fit`, e.g. a model
        parametrisation, so that every path can be calibrated.

    Returns
    -------
    SBCResult
    """
    if chains * draws < n_draws:
        raise BayeslmeError(f"chains * draws = {chains * draws} must be at least n_draws = {n_draws}")
    rng = np.random.default_rng(seed)
    keep = np.linspace(0, chains * draws - 1, n_draws).round().astype(int)
    rows, divergences = [], []
    for i in range(n_datasets):
        params = draw_parameters(model.spec, rng)
        simulated = _with_response(model, simulate_response(model, params, rng))
        with warnings.catch_warnings():
            # Each fit's diagnostics are summarised through divergences below; SBC judges the ranks.
            warnings.simplefilter("ignore")
            fit = simulated.fit(
                draws=draws,
                tune=tune,
                chains=chains,
                random_seed=seed * 100_003 + i,
                sampler=sampler,
                target_accept=target_accept,
                progressbar=False,
                **(fit_options or {}),
            )
        posterior = _posterior_values(fit, model.spec)
        truth = true_values(model.spec, params)
        rows.append({k: int(np.sum(posterior[k][keep] < v)) for k, v in truth.items()})
        divergences.append(fit.diagnostics.divergences)
    return SBCResult(pd.DataFrame(rows), n_draws, np.array(divergences))


def _with_response(model: GLMM, y: np.ndarray) -> GLMM:
    """A shallow copy of ``model`` whose design holds the simulated response ``y``."""
    data = model.design.data.copy()
    if model.spec.response in data.columns:
        data[model.spec.response] = y
    simulated = copy.copy(model)
    simulated.design = dataclasses.replace(model.design, y=y, data=data)
    return simulated


# ---- summaries of ranks ------------------------------------------------------------------------------
def rank_uniformity(ranks: np.ndarray, n_draws: int, *, bins: int = 10) -> float:
    """Chi-square p-value of the ranks against the discrete uniform on ``0..n_draws``.

    The ``n_draws + 1`` rank values are split into ``bins`` groups of (nearly)
    equal count; expected counts follow those group sizes exactly.
    """
    ranks = np.asarray(ranks)
    edges = np.linspace(0, n_draws + 1, bins + 1).round().astype(int)
    observed = np.histogram(ranks, bins=edges)[0]
    expected = np.diff(edges) / (n_draws + 1) * ranks.size
    return float(stats.chisquare(observed, expected).pvalue)


def coverage(ranks: np.ndarray, n_draws: int, prob: float) -> tuple[float, float]:
    """Fraction of data sets whose truth lies in the central ``prob`` posterior interval.

    The truth is inside the central interval when its rank lies between the
    interval's bounds, :math:`L (1 - q)/2 \\le r \\le L (1 + q)/2`. Returns the
    fraction and its binomial standard error :math:`\\sqrt{q (1 - q) / n}`
    under nominal coverage.
    """
    ranks = np.asarray(ranks)
    low, high = n_draws * (1 - prob) / 2, n_draws * (1 + prob) / 2
    inside = (ranks >= low) & (ranks <= high)
    return float(inside.mean()), float(np.sqrt(prob * (1 - prob) / ranks.size))
