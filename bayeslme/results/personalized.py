"""Labelled personalisation: a new individual's coefficients and predictions.

See :mod:`bayeslme.results.personalize` for the method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bayeslme.errors import BayeslmeError, DataError, FamilyError, UnseenLevelsError
from bayeslme.families import get_family
from bayeslme.formula.newdata import NewData, build_new_data
from bayeslme.results import effects, predict
from bayeslme.results.personalize import conditional_group_effects, importance_weights
from bayeslme.results.prediction import (
    check_prob,
    factor_covariance,
    family_params,
    flat_draws,
    per_draw,
    resolve_prob,
    summary_table,
    unseen_codes,
)
from bayeslme.results.summaries import summarize_draws
from bayeslme.spec import ModelSpec

if TYPE_CHECKING:
    from bayeslme.formula.design import Design
    from bayeslme.results.view import FitLike

__all__ = ["Personalized", "personalize_fit"]


@dataclass(frozen=True, eq=False)
class Personalized:
    """Posterior of one new individual, from a fit's population draws.

    Attributes
    ----------
    factor : str
        Grouping factor that identifies individuals.
    level : str
        The individual's label.
    ess : float
        Effective sample size of the importance weights.
    pareto_k : float
        Pareto :math:`\\hat k` of the weights; above 0.7 a refit is advised.
    u : ndarray, shape (draws, n_effects)
        The individual's group effects (equally weighted draws).
    """

    spec: ModelSpec = field(repr=False)
    design: Design = field(repr=False)
    factor: str
    level: str
    ess: float
    pareto_k: float
    u: np.ndarray = field(repr=False)
    b: np.ndarray = field(repr=False)
    params: dict[str, np.ndarray] = field(repr=False)
    others: dict[str, tuple[np.ndarray, np.ndarray]] = field(repr=False)

    def coefficient_draws(self) -> tuple[np.ndarray, list[str]]:
        """The individual's own coefficients (fixed + group effect), shape (draws, k)."""
        factor = self.spec.factor(self.factor)
        draws, names = effects.coefficient_draws(
            self.spec, [factor], self.b[None], [self.u[None, :, None, :]]
        )
        return draws[0, :, 0, :], names

    def coefficients(self, *, prob: float = 0.95) -> pd.DataFrame:
        """Summary of the individual's coefficients (mean, sd, central interval)."""
        draws, names = self.coefficient_draws()
        table = summarize_draws(draws[None], names, prob=prob, diagnostics=False)
        table.index.name = "coefficient"
        return table

    def predict(
        self,
        newdata: pd.DataFrame,
        *,
        kind: str = "mean",
        prob: float = 0.95,
        random_seed: int | None = None,
        hdi_prob: float | None = None,
    ) -> pd.DataFrame:
        """Predictions for the individual's future rows.

        Every row of ``newdata`` is taken as this individual, whatever its
        label in the ``factor`` column. Other factors follow
        :meth:`bayeslme.Fit.predict` (unseen levels get fresh effects).
        Summaries have the columns of every table: mean, sd and the
        equal-tailed ``prob`` interval (``hdi_prob`` is a deprecated alias).
        """
        prob = resolve_prob(prob, hdi_prob)
        check_prob(prob)
        if kind not in ("mean", "response"):
            raise BayeslmeError(f"kind must be 'mean' or 'response', got {kind!r}")
        rows = newdata.copy()
        for column in self.design.factor(self.factor).columns:
            if column not in rows.columns:
                rows[column] = self.level
        new = build_new_data(self.design, rows)
        rng = np.random.default_rng(random_seed)
        eta = _eta(self, new, rng)
        family = get_family(self.spec.family, self.spec.link)
        mean = family.location(self.spec.link, eta)
        if kind == "response":
            mean = family.draw_response(mean, self.params, rng)
        else:
            mean = family.mean(mean, self.params)
        return summary_table(mean, new.row_labels, prob)


def _eta(person: Personalized, new: NewData, rng: np.random.Generator) -> np.ndarray:
    terms = []
    for factor in new.factors:
        if factor.name == person.factor:
            index = np.zeros(new.n_obs, dtype=np.int64)
            terms.append((factor.Z, index, person.u[:, None, :]))
            continue
        u, cov = person.others[factor.name]
        codes = unseen_codes(factor.labels, factor.index)
        u, codes = predict.draw_new_effects(u, codes, cov, rng)
        terms.append((factor.Z, codes, u))
    return predict.linear_predictor(new.X, person.b, terms)


def personalize_fit(
    fit: FitLike, rows: pd.DataFrame, *, factor: str | None, random_seed: int | None
) -> Personalized:
    """Implementation of :meth:`bayeslme.Fit.personalize`."""
    family = get_family(fit.spec.family)
    if fit.spec.link != "identity" or not family.has_sigma:
        raise FamilyError(
            f"personalize is exact only for identity-link models with a residual SD; the model has "
            f"family {fit.spec.family!r} with link {fit.spec.link!r}"
        )
    if fit.spec.rescor is not None:
        raise FamilyError(
            f"personalize assumes independent residuals; this model has {fit.spec.rescor}. "
            "Refit with the new individual's rows instead"
        )
    if fit.spec.dpars:
        raise FamilyError(
            f"personalize updates with one residual variance per draw; this model's "
            f"{[d.name for d in fit.spec.dpars]} vary by row (their formulas). Refit with the new "
            "individual's rows instead"
        )
    name = _target_factor(fit, factor)
    new = build_new_data(fit.design, rows, require_response=True)
    target = next(f for f in new.factors if f.name == name)
    level = _single_new_level(target, name)
    b = flat_draws(fit, "b") if fit.spec.fixed else np.zeros((_n_draws(fit), 0))
    params = family_params(fit)
    offset = b @ new.X.T if new.X.shape[1] else 0.0
    others: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for other in new.factors:
        if other.name == name:
            continue
        if other.unseen:
            raise UnseenLevelsError(
                f"rows for personalize have levels of {other.name!r} not in the fitted data: "
                f"{list(other.unseen)}"
            )
        u_other = flat_draws(fit, fit.spec.factor(other.name).u_var)
        offset = offset + predict.group_contribution(other.Z, other.index, u_other)
        others[other.name] = (u_other, factor_covariance(fit, other.name))
    residual = family.gaussian_response(new.y)[None, :] - offset
    resid_var = per_draw(family.latent_residual_variance(params), b.shape[0])
    mean, cov, log_marginal = conditional_group_effects(
        residual, target.Z, factor_covariance(fit, name), resid_var
    )
    weights, ess, khat = importance_weights(log_marginal)
    rng = np.random.default_rng(random_seed)
    pick = rng.choice(weights.size, size=weights.size, p=weights)
    u = mean[pick] + predict.sample_mvnormal(cov[pick], 1, rng)[:, 0, :]
    return Personalized(
        spec=fit.spec,
        design=fit.design,
        factor=name,
        level=level,
        ess=ess,
        pareto_k=khat,
        u=u,
        b=b[pick],
        params={key: value[pick] for key, value in params.items()},
        others={key: (u_o[pick], c[pick]) for key, (u_o, c) in others.items()},
    )


def _n_draws(fit: FitLike) -> int:
    return int(fit.posterior.sizes["chain"] * fit.posterior.sizes["draw"])


def _target_factor(fit: FitLike, factor: str | None) -> str:
    names = [f.name for f in fit.spec.factors]
    if factor is None:
        if len(names) != 1:
            raise BayeslmeError(f"the model has several grouping factors {names}; pass factor=...")
        return names[0]
    if factor not in names:
        raise BayeslmeError(f"unknown grouping factor {factor!r}; the model has {names}")
    return factor


def _single_new_level(target, name: str) -> str:
    labels = list(dict.fromkeys(target.labels))
    if len(labels) != 1:
        raise DataError(f"personalize takes the rows of one individual; column(s) of {name!r} have {labels}")
    if not target.unseen:
        raise DataError(
            f"level {labels[0]!r} of {name!r} was in the fitted data; its posterior is already in the "
            "fit (use fit.predict), or relabel the rows to treat them as a new individual"
        )
    return labels[0]
