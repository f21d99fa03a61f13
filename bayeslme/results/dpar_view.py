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
import xarray as xr

from bayeslme.errors import BayeslmeError
from bayeslme.spec import DparSpec, FactorSpec, ModelSpec

if TYPE_CHECKING:
    from bayeslme.formula.design import Design
    from bayeslme.results.view import FitLike

__all__ = ["DparView", "dpar_or_error", "unprefixed"]


class DparView:
    """One parameter's linear predictor as a fit: its spec, its design, its draws without the prefix.

    What :func:`~bayeslme.results.prediction.eta_draws` reads of a fit; the
    tables of a parameter's formula add :class:`~bayeslme.results.fit_tables.FitTables`
    to it (:class:`~bayeslme.results.fit_tables.DparTables`).
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
        return unprefixed(self._fit.posterior, self._prefix)

    def draws(self, name: str, levels: np.ndarray | None = None) -> np.ndarray:
        """Draws of the parameter's variable ``name`` (without the prefix), ``(chain, draw, ...)``."""
        return self._fit.draws(self._prefix + name, levels)

    def level_blocks(self, factor: FactorSpec) -> list[np.ndarray]:
        """All of the factor's levels at once."""
        return [np.arange(len(factor.levels))]


def unprefixed(draws: xr.Dataset, prefix: str) -> xr.Dataset:
    """The variables of ``draws`` named ``<prefix><name>``, as ``<name>``, their dims likewise."""
    mine = [name for name in draws.data_vars if str(name).startswith(prefix)]
    part = draws[mine]
    names = [*mine, *part.dims]
    return part.rename({name: str(name)[len(prefix) :] for name in names if str(name).startswith(prefix)})


def dpar_or_error(spec: ModelSpec, name: str) -> DparSpec:
    """Parameter ``name``'s formula, or a :class:`BayeslmeError` listing the modelled ones."""
    try:
        return spec.dpar(name)
    except KeyError:
        known = [d.name for d in spec.dpars]
        raise BayeslmeError(f"{name!r} has no formula in this model; those with formulas: {known}") from None
