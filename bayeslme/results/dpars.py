"""Family parameters with formulas of their own (``sigma ~ arm + (1 | clinic)``), read from a fit.

A parameter's linear predictor is stored as a model of its own would be, with
its variables and dimensions prefixed (``sigma::b``, ``sigma::clinic__u``,
:class:`~bayeslme.spec.DparSpec`). :class:`DparView` strips the prefix, so
the functions that read a fit's linear predictor (:func:`~bayeslme.results.prediction.eta_draws`,
the group-effect tables) read the parameter's unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from bayeslme.errors import BayeslmeError
from bayeslme.links import inverse_link
from bayeslme.results import variance
from bayeslme.results.fit_tables import FitTables
from bayeslme.spec import DparSpec, FactorSpec, ModelSpec

if TYPE_CHECKING:
    from bayeslme.formula.design import Design
    from bayeslme.results.view import FitLike

__all__ = ["DparView", "dpar_or_error", "dpar_values"]


class DparView(FitTables):
    """One parameter's linear predictor as a fit: its spec, its design, its draws without the prefix.

    Its tables (:class:`~bayeslme.results.fit_tables.FitTables`) are those of
    the parameter's formula, on its link scale; its variance components have
    no residual rows.
    """

    def __init__(self, fit: FitLike, dpar: DparSpec) -> None:
        self._fit = fit
        self._prefix = dpar.var_prefix
        self.dpar = dpar

    @property
    def spec(self) -> ModelSpec:
        """The parameter's linear predictor's spec."""
        return self.dpar.spec

    @property
    def design(self) -> Design:
        """The parameter's formula evaluated on the fitting rows."""
        return self._fit.design.dpars[self.dpar.name]

    @property
    def posterior(self) -> xr.Dataset:
        """The parameter's draws, named as a model's own (``b``, ``clinic__u``)."""
        posterior = self._fit.posterior
        mine = [name for name in posterior.data_vars if str(name).startswith(self._prefix)]
        part = posterior[mine]
        names = {
            name: str(name)[len(self._prefix) :]
            for name in [*mine, *part.dims]
            if str(name).startswith(self._prefix)
        }
        return part.rename(names)

    def draws(self, name: str, levels: np.ndarray | None = None) -> np.ndarray:
        """Draws of the parameter's variable ``name`` (without the prefix), ``(chain, draw, ...)``."""
        return self._fit.draws(self._prefix + name, levels)

    def level_blocks(self, factor: FactorSpec) -> list[np.ndarray]:
        """All of the factor's levels at once."""
        return [np.arange(len(factor.levels))]

    def variance_components(self, *, prob: float = 0.95, dpar: str | None = None) -> pd.DataFrame:
        """SDs, variances and correlations of the formula's group effects (link scale)."""
        sds, cors, moments = self._group_moments()
        return variance.variance_components_table(self.spec.factors, sds, cors, moments, None, prob=prob)


def dpar_or_error(fit: FitLike, name: str) -> DparView:
    """The view of parameter ``name``'s formula, or a :class:`BayeslmeError` listing the modelled ones."""
    try:
        return DparView(fit, fit.spec.dpar(name))
    except KeyError:
        known = [d.name for d in fit.spec.dpars]
        raise BayeslmeError(f"{name!r} has no formula in this model; those with formulas: {known}") from None


def dpar_values(
    fit: FitLike,
    newdata: pd.DataFrame | None,
    *,
    groups: str = "conditional",
    new_groups: str = "sample",
    rng: np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """Each modelled parameter's value per flattened draw and row, shape (draws, rows).

    ``newdata`` ``None`` gives the fitted rows. ``groups`` and ``new_groups``
    act on each parameter's group terms as on the mean's.
    """
    from bayeslme.formula.newdata import build_new_data
    from bayeslme.results.prediction import eta_draws, fitted_new_data

    values = {}
    for dpar in fit.spec.dpars:
        view = DparView(fit, dpar)
        new = fitted_new_data(view) if newdata is None else build_new_data(view.design, newdata)
        eta = eta_draws(view, new, groups=groups, new_groups=new_groups, rng=rng)
        values[dpar.name] = inverse_link(dpar.link, eta)
    return values
