"""Cross-validation by refitting: K-fold (leave-group-out when asked) and reloo of high Pareto k rows.

Both refit the model on part of the data through :func:`arviz_stats.loo_kfold`
and :func:`arviz_stats.reloo`, so the results are ArviZ ``ELPDData`` objects
that :func:`arviz_stats.compare` accepts beside PSIS-LOO.

Each refit uses the fitted model's formula, family, link and resolved priors
(the priors of the full-data fit, not defaults rescaled to the fold: every
fold fits the same model). Held-out rows of grouping levels absent from the
training rows get group effects drawn from the population per draw, as
brms's ``kfold`` does with ``sample_new_levels = "gaussian"``: with
``groups="Subject"`` every subject is held out whole, so the score is
that of predicting new subjects. These are functions, not ``Fit`` methods,
because refitting needs the model layer, which sits above the fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from arviz_stats.loo import SamplingWrapper

from bayeslme.errors import BayeslmeError, DataError, UnseenLevelsError
from bayeslme.families import get_family
from bayeslme.formula.levels import factor_labels
from bayeslme.model import GLMM
from bayeslme.results.checks import LOG_LIK_VAR, arviz_tree
from bayeslme.results.fit import Fit
from bayeslme.results.view import factor_or_error

__all__ = ["kfold", "reloo"]

SETTINGS = ("draws", "tune", "chains", "sampler", "target_accept")


def _training_frame(fit: Fit) -> pd.DataFrame:
    """The fitting rows with the columns the user gave (generated centring columns removed)."""
    generated = [term.column for term in fit.design.formula.centering]
    return fit.design.data.drop(columns=[c for c in generated if c in fit.design.data.columns])


def heldout_log_likelihood(fit: Fit, rows: pd.DataFrame, random_seed: int | None) -> np.ndarray:
    """Log density of each row of ``rows`` under each draw of ``fit``: (draws, rows).

    Levels of grouping factors absent from ``fit`` get fresh effects from the
    population, one per level and draw.
    """
    from bayeslme.formula.newdata import build_new_data
    from bayeslme.results.prediction import eta_draws, family_params

    new = build_new_data(fit.design, rows, require_response=True)
    rng = np.random.default_rng(random_seed)
    eta = eta_draws(fit, new, groups="conditional", new_groups="sample", rng=rng)
    family = get_family(fit.spec.family, fit.spec.link)
    mean = family.location(fit.spec.link, eta)
    params = family_params(fit, rows, rng=rng)
    return family.log_likelihood(new.y, mean, params, trials=new.trials)


class RefitWrapper(SamplingWrapper):
    """ArviZ's refitting interface for a bayeslme fit (rows in, fold fits out)."""

    def __init__(self, fit: Fit, fit_kwargs: dict[str, Any], random_seed: int | None) -> None:
        super().__init__(model=None, idata_orig=arviz_tree(fit))
        self.fit = fit
        self.data = _training_frame(fit)
        same = {key: fit.info[key] for key in SETTINGS if key in fit.info}
        self.fit_kwargs = {**same, "progressbar": False, **fit_kwargs}
        self.random_seed = random_seed

    def sel_observations(self, idx):
        """Training rows (all but ``idx``) and held-out rows (``idx``)."""
        idx = np.atleast_1d(np.asarray(idx, dtype=int))
        keep = np.setdiff1d(np.arange(len(self.data)), idx)
        return self.data.iloc[keep].reset_index(drop=True), self.data.iloc[idx].reset_index(drop=True)

    def sample(self, modified_observed_data):
        """Refit the model on the training rows."""
        spec = self.fit.spec
        model = GLMM(
            spec.formulas,
            modified_observed_data,
            family=spec.family,
            link=spec.link,
            priors=spec.prior_overrides(),
        )
        return model.fit(random_seed=self.random_seed, **self.fit_kwargs)

    def get_inference_data(self, fitted_model):
        """The refit itself (its draws are read by :meth:`log_likelihood__i`)."""
        return fitted_model

    def log_likelihood__i(self, excluded_obs, idata__i):
        """Log density of the held-out rows under the refit, dims ``(chain, draw, obs)``."""
        try:
            values = heldout_log_likelihood(idata__i, excluded_obs, self.random_seed)
        except UnseenLevelsError as error:
            raise DataError(
                f"a fold's training rows lack a level its held-out rows have ({error}); use fewer folds, "
                "or make sure every level of categorical predictors appears in every training set"
            ) from None
        chains = idata__i.posterior.sizes["chain"]
        return xr.DataArray(values.reshape(chains, -1, values.shape[-1]), dims=("chain", "draw", "obs"))


def _check(fit: Fit) -> None:
    if not isinstance(fit, Fit):
        raise BayeslmeError(f"expected a bayeslme Fit, got {type(fit).__name__}")
    if fit.spec.rescor is not None:
        raise BayeslmeError(
            "cross-validation by refitting does not handle the residual correlation of "
            f"{fit.spec.rescor.kind}() (held-out rows would break the series); use fit.loo()"
        )


def kfold(
    fit: Fit,
    *,
    k: int = 10,
    groups: str | None = None,
    pointwise: bool = False,
    random_seed: int | None = 0,
    **fit_kwargs: Any,
) -> Any:
    """K-fold cross-validation by refitting ``fit``'s model ``k`` times.

    Parameters
    ----------
    fit : Fit
    k : int
        Number of folds (at most the number of groups with ``groups``).
    groups : str, optional
        A grouping factor: each level's rows stay in one fold, so every
        held-out row belongs to a group the refit has not seen
        (leave-group-out; the honest check for predicting new subjects).
        Without it, an ordinal model's folds are stratified by category, so
        that every training set has every category.
    pointwise : bool
        Keep the elpd of each row.
    random_seed : int, optional
        Seed of the fold assignment and of each refit.
    **fit_kwargs
        Passed to each :meth:`GLMM.fit`; by default the settings of ``fit``
        (draws, tune, chains, sampler, target_accept), without a progress bar.

    Returns
    -------
    arviz_stats ELPDData
        ``elpd``, ``se``, ``p`` (``kind="loo_kfold"``); comparable with
        :meth:`Fit.loo` by :func:`arviz_stats.compare`.
    """
    import arviz_stats

    _check(fit)
    wrapper = RefitWrapper(fit, fit_kwargs, random_seed)
    options: dict[str, Any] = {"k": k, "pointwise": pointwise, "seed": random_seed, "var_name": LOG_LIK_VAR}
    if groups is not None:
        factor = factor_or_error(fit.spec, groups)
        labels = factor_labels(wrapper.data, factor.columns)
        n_groups = labels.nunique()
        if k > n_groups:
            raise BayeslmeError(f"k={k} folds but {groups!r} has only {n_groups} levels; use k <= {n_groups}")
        options["group_by"] = xr.DataArray(pd.factorize(labels)[0], dims="obs")
    elif fit.spec.response_levels is not None:
        # ordinal: every category in every training set (a refit without one could not
        # score the held-out rows of that category), which takes two rows or more of each
        counts = np.bincount(np.asarray(fit.design.y, dtype=int) - 1, minlength=len(fit.spec.response_levels))
        rare = [level for level, n in zip(fit.spec.response_levels, counts, strict=True) if n < 2]
        if rare:
            raise BayeslmeError(
                f"categories {rare} of {fit.spec.response!r} have a single row: the refit without it would "
                "not know the category; use fit.loo(), or merge rare categories"
            )
        options["stratify_by"] = xr.DataArray(np.asarray(fit.design.y, dtype=int), dims="obs")
    return arviz_stats.loo_kfold(wrapper.idata_orig, wrapper, **options)


def reloo(
    fit: Fit, *, k_threshold: float | None = None, random_seed: int | None = 0, **fit_kwargs: Any
) -> Any:
    """PSIS-LOO with each row of high Pareto k refitted without it (exact LOO for those rows).

    Parameters
    ----------
    fit : Fit
    k_threshold : float, optional
        Rows with Pareto k above this are refitted; ArviZ's sample-size
        dependent threshold (about 0.7) by default.
    random_seed : int, optional
        Seed of each refit.
    **fit_kwargs
        Passed to each :meth:`GLMM.fit`.

    Returns
    -------
    arviz_stats ELPDData
        As :meth:`Fit.loo`, with the refitted rows' elpd exact and their k set to 0.
    """
    import arviz_stats

    _check(fit)
    wrapper = RefitWrapper(fit, fit_kwargs, random_seed)
    loo_orig = arviz_stats.loo(wrapper.idata_orig, pointwise=True, var_name=LOG_LIK_VAR)
    return arviz_stats.reloo(wrapper, loo_orig=loo_orig, var_name=LOG_LIK_VAR, k_threshold=k_threshold)
