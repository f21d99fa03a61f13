"""Labelled predictions of a fit: validation, draws with named dims, tidy summaries.

The maths lives in :mod:`bayeslme.results.predict`; this module connects it to
a fit's spec, design and posterior draws.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from bayeslme.errors import BayeslmeError, DataError, UnseenLevelsError
from bayeslme.families import get_family
from bayeslme.formula.newdata import NewData, build_new_data
from bayeslme.links import inverse_link
from bayeslme.results import predict, variance
from bayeslme.results.dpar_view import DparView
from bayeslme.results.summaries import summarize_draws

if TYPE_CHECKING:
    from bayeslme.results.view import FitLike

__all__ = [
    "eta_draws",
    "factor_covariance",
    "family_params",
    "fitted_new_data",
    "flat_draws",
    "per_draw",
    "predict_fit",
    "prediction_draws",
    "check_prob",
    "dpar_values",
    "resolve_prob",
    "summary_table",
    "unseen_codes",
]

KINDS = ("mean", "response")
GROUPS = ("conditional", "population")
NEW_GROUPS = ("sample", "error")


def unseen_codes(labels: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    """Replace ``-1`` of unseen levels by ``-1, -2, ...``, one code per distinct label."""
    codes = index.copy()
    unseen = {
        label: -(j + 1)
        for j, label in enumerate(dict.fromkeys(lab for lab, i in zip(labels, index, strict=True) if i < 0))
    }
    for row, label in enumerate(labels):
        if index[row] < 0:
            codes[row] = unseen[label]
    return codes


def fitted_new_data(fit: FitLike) -> NewData:
    """The fitted rows in :class:`NewData` form (no re-evaluation needed).

    Rows are labelled ``0 .. n_obs - 1``: positions among the rows used in the
    fit (after rows with missing values were dropped).
    """
    from bayeslme.formula.newdata import NewFactor

    factors = tuple(
        NewFactor(f.name, tuple(f.levels[i] for i in f.index), f.index, f.Z) for f in fit.design.factors
    )
    design = fit.design
    return NewData(
        design.X, factors, pd.RangeIndex(design.n_obs), design.y, offset=design.offset, trials=design.trials
    )


def flat_draws(fit: FitLike, name: str) -> np.ndarray:
    """Draws of ``name`` with chain and draw merged into one leading axis."""
    values = fit.draws(name)
    return values.reshape((-1,) + values.shape[2:])


def family_params(
    fit: FitLike,
    newdata: pd.DataFrame | None = None,
    *,
    groups: str = "conditional",
    new_groups: str = "sample",
    rng: np.random.Generator | None = None,
    names: tuple[str, ...] | None = None,
) -> dict[str, np.ndarray]:
    """Family parameters per draw, shaped (draws, 1) for broadcasting over rows.

    A parameter with a formula of its own (``sigma ~ arm``) has a value per
    row of ``newdata`` (the fitted rows when ``None``), shape (draws, rows):
    :func:`dpar_values`, with ``groups``, ``new_groups``
    and ``rng`` as for the mean. ``names`` limits the parameters with formulas
    to those (the expected response needs only :meth:`Family.mean_parameters`,
    and new rows then need no other formula's columns).
    """
    params = {name: flat_draws(fit, name)[:, None] for name in fit.family_parameters()}
    if fit.spec.dpars:
        values = dpar_values(fit, newdata, groups=groups, new_groups=new_groups, rng=rng, names=names)
        params.update(values)
    return params


def per_draw(value: np.ndarray | float, n_draws: int) -> np.ndarray:
    """A per-draw quantity as shape (n_draws,), from a scalar, (draws,) or (draws, 1)."""
    array = np.asarray(value, dtype=float)
    if array.size == 1:
        return np.full(n_draws, float(array.reshape(-1)[0]))
    return array.reshape(n_draws, -1)[:, 0]


def factor_covariance(fit: FitLike, name: str) -> np.ndarray:
    """Covariance matrix of factor ``name``'s group effects, per flattened draw."""
    spec = fit.spec.factor(name)
    cor = flat_draws(fit, spec.cor_var) if spec.pairs() else None
    return variance.covariance_matrices(flat_draws(fit, spec.sd_var), cor, spec)


def eta_draws(
    fit: FitLike, new: NewData, *, groups: str, new_groups: str, rng: np.random.Generator | None
) -> np.ndarray:
    """Linear predictor per flattened draw and new row.

    ``rng`` draws fresh effects of unseen levels; it may be ``None`` when there
    are none (fitted rows).
    """
    n_draws = fit.posterior.sizes["chain"] * fit.posterior.sizes["draw"]
    b = flat_draws(fit, "b") if fit.spec.fixed else np.zeros((n_draws, 0))
    terms = []
    if groups == "conditional":
        for factor in new.factors:
            if new_groups == "error" and factor.unseen:
                raise UnseenLevelsError(
                    f"newdata has levels of {factor.name!r} that were not in the fitted data: "
                    f"{list(factor.unseen)}; use new_groups='sample' to predict for new groups"
                )
            codes = unseen_codes(factor.labels, factor.index)
            spec = fit.spec.factor(factor.name)
            seen = np.unique(codes[codes >= 0])  # only these levels' draws (a Parquet model draws them)
            if seen.size == len(spec.levels):  # every level (the fitted rows): the stored draws, no copy
                u = flat_draws(fit, spec.u_var)
            else:
                u = fit.draws(spec.u_var, seen)
                u = u.reshape((u.shape[0] * u.shape[1],) + u.shape[2:])
                codes = np.where(codes >= 0, np.searchsorted(seen, codes), codes)
            if factor.unseen:
                cov = factor_covariance(fit, factor.name)
                u, codes = predict.draw_new_effects(u, codes, cov, rng or np.random.default_rng())
            terms.append((factor.Z, codes, u))
    eta = predict.linear_predictor(new.X, b, terms)
    return eta if new.offset is None else eta + new.offset


def prediction_draws(
    fit: FitLike,
    newdata: pd.DataFrame | None,
    *,
    kind: str = "mean",
    groups: str = "conditional",
    new_groups: str = "sample",
    scale: str = "response",
    random_seed: int | None = None,
    correlated_residuals: bool = True,
) -> tuple[np.ndarray, pd.Index]:
    """Prediction draws, shape (flattened draws, rows), and the row labels.

    ``correlated_residuals=False`` draws the residuals of an ``ar()``/``cosy()``
    model independently with the marginal SD: each row's predictive
    distribution is the same, only the joint one differs (used for pointwise
    bands over a grid, where rows are not a series).
    """
    _check_choice("kind", kind, KINDS)
    _check_choice("scale", scale, ("response", "link"))
    if scale == "link" and kind == "response":
        raise BayeslmeError(
            "scale='link' applies to kind='mean' only; observations live on the response scale"
        )
    _check_choice("groups", groups, GROUPS)
    _check_choice("new_groups", new_groups, NEW_GROUPS)
    new = fitted_new_data(fit) if newdata is None else build_new_data(fit.design, newdata)
    rng = np.random.default_rng(random_seed)
    eta = eta_draws(fit, new, groups=groups, new_groups=new_groups, rng=rng)
    if scale == "link":
        return eta, new.row_labels
    family = get_family(fit.spec.family, fit.spec.link)
    mean = family.location(fit.spec.link, eta)  # the count part's mean for zi/hu, eta for ordinal
    needed = family.mean_parameters() if kind == "mean" else None  # the mean needs no other formula
    params = family_params(fit, newdata, groups=groups, new_groups=new_groups, rng=rng, names=needed)
    if kind == "mean":
        return family.mean(mean, params), new.row_labels
    if kind == "response":
        if family.needs_trials and new.trials is None:
            raise DataError(
                "kind='response' for a binomial model needs the number of trials: include the "
                "columns of the formula's response (cbind(...) or trials(...)) in newdata"
            )
        if fit.spec.rescor is not None and correlated_residuals:
            residuals = _correlated_residuals(fit, newdata, rng)
            if residuals is not None:
                return mean + residuals, new.row_labels
        # independent observations; for ar()/cosy() models: residuals with the marginal SD
        mean = family.draw_response(mean, params, rng, trials=new.trials)
    return mean, new.row_labels


def _correlated_residuals(
    fit: FitLike, newdata: pd.DataFrame | None, rng: np.random.Generator
) -> np.ndarray | None:
    """Residual draws of an ``ar()`` / ``cosy()`` model for the predicted rows.

    Fitted rows keep their series; new rows form their own series from their
    time and group columns (not conditioned on the fitted residuals). ``None``
    for new rows without those columns: they are not series, and the caller
    draws independent residuals with the marginal SD.
    """
    from bayeslme.formula.rescor import build_rescor_design
    from bayeslme.results.rescor import simulate_residuals

    term = fit.design.formula.rescor
    if newdata is None:
        rescor = fit.design.rescor
    elif all(column in newdata.columns for column in term.columns):
        if newdata[list(term.columns)].isna().any().any():
            raise DataError(f"newdata has missing values in the columns of {term}: {list(term.columns)}")
        try:
            rescor = build_rescor_design(term, newdata)
        except DataError as error:
            raise DataError(
                f"{error} (in newdata, whose rows form new series of {term}). For pointwise "
                "predictions use kind='mean', or leave the term's columns out of newdata to draw "
                "independent residuals with the marginal SD"
            ) from None
    else:
        return None
    sigma = flat_draws(fit, "sigma")
    rho = flat_draws(fit, fit.spec.rescor.kind)
    if term.kind == "cosy" and rescor.max_size > fit.design.rescor.max_size:
        lowest = -1.0 / (rescor.max_size - 1)
        if (rho <= lowest).any():
            big = int(np.argmax(rescor.group_sizes))
            label = newdata[list(term.group_columns)].iloc[int(np.flatnonzero(rescor.group == big)[0])]
            raise DataError(
                f"newdata group {tuple(label.astype(str))} of {term} has {rescor.max_size} rows, more than "
                f"the largest fitted group ({fit.design.rescor.max_size}); for {(rho <= lowest).mean():.0%} "
                f"of the draws cosy <= {lowest:.3f}, which is no valid correlation for a group that "
                "large. Predict groups no larger than the fitted ones"
            )
    return simulate_residuals(rescor, sigma, rho, rng)


def predict_fit(
    fit: FitLike,
    newdata: pd.DataFrame | None,
    *,
    kind: str,
    groups: str,
    new_groups: str,
    prob: float,
    summary: bool,
    random_seed: int | None,
    scale: str = "response",
) -> pd.DataFrame | xr.DataArray:
    """Implementation of :meth:`bayeslme.Fit.predict`."""
    check_prob(prob)
    values, rows = prediction_draws(
        fit, newdata, kind=kind, groups=groups, new_groups=new_groups, scale=scale, random_seed=random_seed
    )
    if not summary:
        chains, draws = fit.posterior.sizes["chain"], fit.posterior.sizes["draw"]
        return xr.DataArray(
            values.reshape(chains, draws, -1),
            dims=("chain", "draw", "obs"),
            coords={"chain": np.arange(chains), "draw": np.arange(draws), "obs": np.asarray(rows)},
            name=fit.spec.response if kind == "response" else "mean",
        )
    return summary_table(values, rows, prob)


def check_prob(prob: float) -> None:
    """Raise :class:`BayeslmeError` unless ``0 < prob < 1``."""
    if not isinstance(prob, int | float) or not 0 < prob < 1:
        raise BayeslmeError(f"prob must be in (0, 1), got {prob!r}")


def resolve_prob(prob: float, hdi_prob: float | None) -> float:
    """``prob``, or the deprecated ``hdi_prob`` with a :class:`FutureWarning`."""
    if hdi_prob is None:
        return prob
    warnings.warn(
        "hdi_prob is deprecated: prediction summaries now give equal-tailed intervals like every other "
        "table (columns such as q2.5 and q97.5); pass prob= instead",
        FutureWarning,
        stacklevel=3,
    )
    return hdi_prob


def summary_table(values: np.ndarray, rows: pd.Index, prob: float) -> pd.DataFrame:
    """Mean, SD and equal-tailed interval of each column of ``values`` (draws, rows).

    The same columns as every other summary table (``mean, sd, q2.5, q97.5``
    for ``prob=0.95``; :func:`bayeslme.results.summaries.summarize_draws`).
    """
    table = summarize_draws(values[None], rows, prob=prob, diagnostics=False)
    table.attrs["prob"] = prob
    return table


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise BayeslmeError(f"{name} must be one of {list(allowed)}, got {value!r}")


def dpar_values(
    fit: FitLike,
    newdata: pd.DataFrame | None,
    *,
    groups: str = "conditional",
    new_groups: str = "sample",
    rng: np.random.Generator | None = None,
    names: tuple[str, ...] | None = None,
) -> dict[str, np.ndarray]:
    """Each modelled parameter's value per flattened draw and row, shape (draws, rows).

    ``newdata`` ``None`` gives the fitted rows. ``groups`` and ``new_groups``
    act on each parameter's group terms as on the mean's. ``names``: only these
    parameters (all by default).
    """
    values = {}
    for dpar in fit.spec.dpars:
        if names is not None and dpar.name not in names:
            continue
        view = DparView(fit, dpar)
        new = fitted_new_data(view) if newdata is None else build_new_data(view.design, newdata)
        eta = eta_draws(view, new, groups=groups, new_groups=new_groups, rng=rng)
        values[dpar.name] = inverse_link(dpar.link, eta)
    return values
