"""Estimated marginal means, as emmeans computes them, draw by draw.

The reference grid crosses every level of every categorical predictor, with
each numeric predictor at its mean over the fitting rows (emmeans' default;
grouping columns are irrelevant: group effects are left out, lme4's
``re.form = NA``). The linear predictor of each grid row is averaged with
equal weights over the levels of the factors not asked for, then, on the
response scale, sent through the inverse link: the inverse link of the
link-scale mean, as emmeans' ``type = "response"`` does (not the mean of
the back-transformed rows).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from bayeslme.errors import BayeslmeError
from bayeslme.families import get_family
from bayeslme.interpret.effects import expected
from bayeslme.interpret.grid import grouping_columns, level_values, typed, typical_values
from bayeslme.interpret.tables import average_by, draws_array, estimate_table, groups_of
from bayeslme.links import inverse_link, link_function
from bayeslme.results.prediction import check_prob, dpar_values, flat_draws

if TYPE_CHECKING:
    from bayeslme.results.view import FitLike

__all__ = ["marginal_means", "reference_grid"]


def _column_levels(fit: FitLike) -> dict[str, tuple[str, ...]]:
    """Levels of the categorical predictors of the mean's formula and of the parameters' formulas."""
    levels = dict(fit.design.column_levels)
    for part in fit.design.dpars.values():
        levels.update({c: v for c, v in part.column_levels.items() if c not in levels})
    return levels


def reference_grid(fit: FitLike) -> pd.DataFrame:
    """Every combination of the categorical predictors' levels; numeric predictors at their means."""
    typical = typical_values(fit)
    groups = set(grouping_columns(fit))
    factors = {c: levels for c, levels in _column_levels(fit).items() if c in typical and c not in groups}
    combos = list(itertools.product(*factors.values())) or [()]
    frame = pd.DataFrame(index=pd.RangeIndex(len(combos)))
    for column, value in typical.items():
        if column in factors:
            position = list(factors).index(column)
            stored = level_values(fit, column)
            values = [stored[combo[position]] for combo in combos]
        else:
            values = [value] * len(combos)
        frame[column] = typed(fit, column, values)
    return frame


def marginal_means(
    fit: FitLike,
    specs: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    scale: str = "response",
    prob: float = 0.95,
    summary: bool = True,
) -> Any:
    """Implementation of :meth:`bayeslme.Fit.marginal_means`."""
    check_prob(prob)
    columns = [specs] if isinstance(specs, str) else list(specs)
    columns += [] if by is None else ([by] if isinstance(by, str) else list(by))
    factors = [c for c in _column_levels(fit) if c not in grouping_columns(fit)]
    unknown = [c for c in columns if c not in factors]
    if unknown:
        raise BayeslmeError(
            f"marginal_means needs categorical predictors; {unknown} {'is' if len(unknown) == 1 else 'are'} "
            f"not one (the model's are {factors}); for numeric predictors use predictions() over a grid"
        )
    if scale not in ("response", "link"):
        raise BayeslmeError(f"scale must be 'response' or 'link', got {scale!r}")
    frame = reference_grid(fit)
    eta = expected(fit, frame, groups="population", scale="link", random_seed=None)
    codes, keys = groups_of(frame, columns)
    means = average_by(eta, codes, len(keys))
    if scale == "response":  # the expected response at the mean linear predictor (Family.mean)
        family = get_family(fit.spec.family, fit.spec.link)
        params = {name: flat_draws(fit, name)[:, None] for name in fit.family_parameters()}
        # a parameter with a formula: its linear predictor averaged over the same cells
        needed = family.mean_parameters()
        for name, values in dpar_values(fit, frame, groups="population", names=needed).items():
            link = fit.spec.dpar(name).link
            params[name] = inverse_link(link, average_by(link_function(link, values), codes, len(keys)))
        means = family.mean(family.location(fit.spec.link, means), params)
    if summary:
        return estimate_table(means, keys, prob)
    return draws_array(means, keys, fit.posterior.sizes["chain"], "marginal_mean")
