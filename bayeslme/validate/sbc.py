"""The SBC loop: simulate from the prior, fit, rank the truth among the posterior draws."""

from __future__ import annotations

import copy
import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeslme.errors import BayeslmeError
from bayeslme.model import GLMM
from bayeslme.results.view import draw_labels
from bayeslme.spec import ModelSpec
from bayeslme.validate.prior_draws import draw_parameters, simulate_response, true_values
from bayeslme.validate.ranks import coverage, ecdf_band_test, rank_uniformity

__all__ = ["FIT_COLUMNS", "SBCResult", "run_sbc"]


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
    fits : pandas.DataFrame
        One row per data set (same order as ``ranks``) with the fit's
        sampler diagnostics: ``divergences``, ``max_rhat``, ``min_ess_bulk``
        and ``min_ess_tail`` over the population parameters, and ``draws``
        per chain (more than asked where ``min_ess`` forced a refit). An SBC failure
        from fits that did not converge is a sampler-settings problem, not a
        calibration one; these columns tell the two apart.
    """

    ranks: pd.DataFrame
    n_draws: int
    fits: pd.DataFrame

    @property
    def divergences(self) -> np.ndarray:
        """Divergent transitions of each fit."""
        return self.fits["divergences"].to_numpy()

    def table(self, *, bins: int = 10, ecdf_sims: int = 2000) -> pd.DataFrame:
        """Per parameter: uniformity tests and 50% / 90% coverage with binomial SE.

        Parameters
        ----------
        bins : int
            Bins of the chi-square test.
        ecdf_sims : int
            Simulated uniform rank sets of the ECDF band test (0 skips it).

        Returns
        -------
        pandas.DataFrame
            Columns ``chi2_p`` (chi-square p-value), ``ecdf_p`` (ECDF band
            p-value, see :func:`ecdf_band_test`), ``ecdf_out`` (whether the
            rank ECDF leaves the 95% simultaneous band), ``cover50``, ``se50``,
            ``cover90``, ``se90``.
        """
        rows = {}
        for k, name in enumerate(self.ranks.columns):
            ranks = self.ranks[name].to_numpy()
            c50, se50 = coverage(ranks, self.n_draws, 0.5)
            c90, se90 = coverage(ranks, self.n_draws, 0.9)
            band = ecdf_band_test(ranks, self.n_draws, n_sim=ecdf_sims, seed=k) if ecdf_sims else None
            rows[name] = {
                "chi2_p": rank_uniformity(ranks, self.n_draws, bins=bins),
                "ecdf_p": band.p_value if band else np.nan,
                "ecdf_out": band.outside if band else False,
                "cover50": c50,
                "se50": se50,
                "cover90": c90,
                "se90": se90,
            }
        return pd.DataFrame(rows).T


def _posterior_values(fit, spec: ModelSpec) -> dict[str, np.ndarray]:
    flat = {}
    for name in fit.population_var_names():
        draws = fit.draws(name)
        draws = draws.reshape(-1, *draws.shape[2:])
        labels = draw_labels(spec, name)
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
    min_ess: float | None = None,
    max_draws: int | None = None,
    on_dataset: Callable[[int, dict[str, int], dict[str, float]], None] | None = None,
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
    min_ess : float, optional
        Rank statistics assume close to independent draws; a fit whose
        minimum bulk ESS over the population parameters is below ``min_ess``
        is refitted with twice the draws per chain (same seed), up to
        ``max_draws``, before its ranks are taken. ``n_draws`` is a natural
        choice (Talts et al. thin to the effective sample size). Which
        number of draws each data set needed is in :attr:`SBCResult.fits`.
    max_draws : int, optional
        Most draws per chain a refit may use (default ``8 * draws``).
    on_dataset : callable, optional
        Called after each fit with the data set's index, its ranks (label to
        rank) and its diagnostics (the columns of :attr:`SBCResult.fits`),
        e.g. to write results as they come during a long run.

    Returns
    -------
    SBCResult
    """
    if chains * draws < n_draws:
        raise BayeslmeError(f"chains * draws = {chains * draws} must be at least n_draws = {n_draws}")
    max_draws = 8 * draws if max_draws is None else max_draws
    rng = np.random.default_rng(seed)
    rows, fits = [], []
    for i in range(n_datasets):
        params = draw_parameters(model.spec, rng)
        simulated = _with_response(model, simulate_response(model, params, rng))
        fit_draws = draws
        while True:
            with warnings.catch_warnings():
                # Each fit's diagnostics are recorded in ``fits``; SBC judges the ranks.
                warnings.simplefilter("ignore")
                fit = simulated.fit(
                    draws=fit_draws,
                    tune=tune,
                    chains=chains,
                    random_seed=seed * 100_003 + i,
                    sampler=sampler,
                    target_accept=target_accept,
                    progressbar=False,
                    **(fit_options or {}),
                )
            mixed = min_ess is None or fit.diagnostics.min_ess_bulk >= min_ess
            if mixed or 2 * fit_draws > max_draws:
                break
            fit_draws *= 2
        keep = np.linspace(0, chains * fit_draws - 1, n_draws).round().astype(int)
        posterior = _posterior_values(fit, model.spec)
        truth = true_values(model.spec, params)
        rows.append({k: int(np.sum(posterior[k][keep] < v)) for k, v in truth.items()})
        fits.append({**_fit_diagnostics(fit.diagnostics), "draws": fit_draws})
        if on_dataset is not None:
            on_dataset(i, rows[-1], fits[-1])
    return SBCResult(pd.DataFrame(rows), n_draws, pd.DataFrame(fits, columns=list(FIT_COLUMNS)))


FIT_COLUMNS = ("divergences", "max_rhat", "min_ess_bulk", "min_ess_tail", "draws")
"""Per-fit sampler diagnostics an SBC run records (:attr:`SBCResult.fits`)."""


def _fit_diagnostics(diagnostics) -> dict[str, float]:
    return {
        "divergences": int(diagnostics.divergences),
        "max_rhat": float(diagnostics.max_rhat),
        "min_ess_bulk": float(diagnostics.min_ess_bulk),
        "min_ess_tail": float(diagnostics.min_ess_tail),
    }


def _with_response(model: GLMM, y: np.ndarray) -> GLMM:
    """A shallow copy of ``model`` whose design holds the simulated response ``y``."""
    data = model.design.data.copy()
    if model.spec.response in data.columns:
        data[model.spec.response] = y
    simulated = copy.copy(model)
    simulated.design = dataclasses.replace(model.design, y=y, data=data)
    return simulated
