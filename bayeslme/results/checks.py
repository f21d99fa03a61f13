"""Model checking: pointwise log-likelihood, PSIS-LOO, posterior predictive checks.

The log-likelihood is computed from the stored draws in numpy (linear
predictor per draw, then the family's log density), so a fit loaded from disk
supports :func:`arviz_stats.loo` and :func:`arviz_stats.compare` exactly like a
fresh one.

References
----------
Vehtari, A., Gelman, A., & Gabry, J. (2017). Practical Bayesian model
evaluation using leave-one-out cross-validation and WAIC. *Statistics and
Computing*, 27, 1413-1432.

Gelman, A., Meng, X.-L., & Stern, H. (1996). Posterior predictive assessment of
model fitness via realized discrepancies. *Statistica Sinica*, 6, 733-807.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from bayeslme.families import get_family

if TYPE_CHECKING:
    from bayeslme.results.view import FitLike

__all__ = [
    "STATISTICS",
    "arviz_tree",
    "compare",
    "log_likelihood_draws",
    "posterior_predictive_draws",
    "ppc_table",
]

LOG_LIK_VAR = "y"

STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda a: np.mean(a, axis=-1),
    "sd": lambda a: np.std(a, axis=-1, ddof=1),
    "min": lambda a: np.min(a, axis=-1),
    "median": lambda a: np.median(a, axis=-1),
    "max": lambda a: np.max(a, axis=-1),
}


def ppc_table(
    y: np.ndarray,
    replicated: np.ndarray,
    statistics: dict[str, Callable[[np.ndarray], np.ndarray]] | None = None,
    *,
    prob: float = 0.95,
) -> pd.DataFrame:
    """Observed versus replicated test statistics.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Observed response.
    replicated : ndarray, shape (draws, n)
        Posterior predictive draws.
    statistics : dict, optional
        Name to function of an array whose last axis is the observations;
        defaults to :data:`STATISTICS`.
    prob : float
        Probability of the central interval of the replicated statistic.

    Returns
    -------
    pandas.DataFrame
        One row per statistic: ``observed``, ``rep_mean``, ``rep_sd``, interval
        bounds and ``p_value`` :math:`= \\Pr(T(y^{rep}) \\ge T(y))` (posterior
        predictive p-value; values near 0 or 1 flag misfit).
    """
    statistics = statistics or STATISTICS
    low, high = (1 - prob) / 2, 1 - (1 - prob) / 2
    rows = {}
    for name, statistic in statistics.items():
        observed = float(statistic(y))
        rep = np.asarray(statistic(replicated), dtype=float)
        rows[name] = {
            "observed": observed,
            "rep_mean": rep.mean(),
            "rep_sd": rep.std(ddof=1),
            f"rep_q{100 * low:.4g}": np.quantile(rep, low),
            f"rep_q{100 * high:.4g}": np.quantile(rep, high),
            "p_value": float(np.mean(rep >= observed)),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "statistic"
    return table


def log_likelihood_draws(fit: FitLike) -> np.ndarray:
    """Pointwise log-likelihood of the fitted rows, shape (chain, draw, obs).

    With an ``ar()`` or ``cosy()`` term these are the sequential conditional
    densities of :mod:`bayeslme.results.rescor` (each row given the earlier
    rows of its series); they sum to the joint density, and PSIS-LOO on them
    is an approximation.
    """
    from bayeslme.results.prediction import eta_draws, family_params, fitted_new_data, flat_draws
    from bayeslme.results.rescor import pointwise_logpdf

    eta = eta_draws(fit, fitted_new_data(fit), groups="conditional", new_groups="error", rng=None)
    family = get_family(fit.spec.family, fit.spec.link)
    mean = family.location(fit.spec.link, eta)
    rescor = fit.spec.rescor
    if rescor is not None and fit.design.rescor is not None:
        sigma = flat_draws(fit, "sigma")[:, None]
        rho = flat_draws(fit, rescor.kind)[:, None]
        values = pointwise_logpdf(fit.design.rescor, fit.design.y - mean, sigma, rho)
    else:
        values = family.log_likelihood(fit.design.y, mean, family_params(fit), trials=fit.design.trials)
    return values.reshape(fit.posterior.sizes["chain"], fit.posterior.sizes["draw"], -1)


def arviz_tree(fit: FitLike) -> xr.DataTree:
    """DataTree with ``posterior``, ``log_likelihood``, ``log_prior`` and ``observed_data`` for ArviZ.

    The log-likelihood variable is ``y`` with dims ``(chain, draw, obs)``;
    ``log_prior`` is :func:`bayeslme.results.log_prior.log_prior_dataset`.
    """
    from bayeslme.results.log_prior import LOG_PRIOR_GROUP, log_prior_dataset

    posterior = fit.posterior
    log_lik = xr.Dataset(
        {LOG_LIK_VAR: (("chain", "draw", "obs"), log_likelihood_draws(fit))},
        coords={"chain": posterior["chain"].values, "draw": posterior["draw"].values},
    )
    observed = xr.Dataset({LOG_LIK_VAR: (("obs",), fit.design.y)})
    return xr.DataTree.from_dict(
        {
            "posterior": posterior,
            "log_likelihood": log_lik,
            LOG_PRIOR_GROUP: log_prior_dataset(fit.spec, posterior),
            "observed_data": observed,
        }
    )


def posterior_predictive_draws(fit: FitLike, *, random_seed: int | None = None) -> xr.DataArray:
    """Replicated responses for the fitted rows, dims ``(chain, draw, obs)``."""
    from bayeslme.results.prediction import prediction_draws

    values, _ = prediction_draws(fit, None, kind="response", random_seed=random_seed)
    posterior = fit.posterior
    return xr.DataArray(
        values.reshape(posterior.sizes["chain"], posterior.sizes["draw"], -1),
        dims=("chain", "draw", "obs"),
        coords={"chain": posterior["chain"].values, "draw": posterior["draw"].values},
        name=LOG_LIK_VAR,
    )


def compare(fits: dict[str, FitLike], **kwargs) -> pd.DataFrame:
    """Compare fits by PSIS-LOO through :func:`arviz_stats.compare`.

    Parameters
    ----------
    fits : dict of str to Fit
        Named fits of the same response rows.
    **kwargs
        Passed to :func:`arviz_stats.compare` (``method``, ``reference``, ...).

    Returns
    -------
    pandas.DataFrame
        Ranked models with elpd, differences and weights.

    Raises
    ------
    BayeslmeError
        Fewer than two fits, or fits of different numbers of rows.
    """
    import arviz_stats

    from bayeslme.errors import BayeslmeError

    if not isinstance(fits, dict) or len(fits) < 2:
        raise BayeslmeError("compare needs a dict of at least two named fits, e.g. {'a': fit_a, 'b': fit_b}")
    sizes = {name: fit.design.n_obs for name, fit in fits.items()}
    if len(set(sizes.values())) > 1:
        raise BayeslmeError(f"fits must use the same rows to be compared; numbers of rows: {sizes}")
    trees = {name: arviz_tree(fit) for name, fit in fits.items()}
    return arviz_stats.compare(trees, var_name=LOG_LIK_VAR, **kwargs)
