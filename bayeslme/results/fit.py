"""The :class:`Fit`: a model spec, its design and the posterior draws.

Methods are thin: each delegates to a pure function in ``results/`` and only
adds labels. A fit loaded from disk (:func:`bayeslme.load`) is identical to a
fresh one because everything is derived from ``spec``, ``design`` and
``idata``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayeslme.errors import BayeslmeError
from bayeslme.formula.design import Design
from bayeslme.results import effects, variance
from bayeslme.results.diagnostics import Diagnostics, compute_diagnostics, singular_components
from bayeslme.results.summaries import summarize_draws
from bayeslme.spec import FactorSpec, ModelSpec

__all__ = ["Fit"]


@dataclass(frozen=True, eq=False)
class Fit:
    """Posterior of a fitted mixed model.

    Attributes
    ----------
    spec : ModelSpec
        The model (family, structure, priors).
    design : Design
        The design evaluated on the fitting data.
    idata : xarray.DataTree
        ArviZ-compatible posterior with named dims and level coordinates.
    info : dict
        Sampler settings and timings.
    """

    spec: ModelSpec
    design: Design = field(repr=False)
    idata: xr.DataTree = field(repr=False)
    info: dict[str, Any] = field(default_factory=dict)

    # ---- raw draws -------------------------------------------------------------------
    @property
    def posterior(self) -> xr.Dataset:
        """The posterior group as an :class:`xarray.Dataset`."""
        return self.idata["posterior"].to_dataset()

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of variable ``name`` as (chain, draw, ...) numpy array."""
        return self.posterior[name].values

    def population_var_names(self) -> list[str]:
        """Names of the population-level variables (fixed effects, SDs, cors, family)."""
        names = ["b"] if self.spec.fixed else []
        for factor in self.spec.factors:
            names.append(f"{factor.name}__sd")
            if factor.pairs():
                names.append(f"{factor.name}__cor")
        names += [n for n in self.family_parameters() if n in self.posterior]
        return names

    def family_parameters(self) -> list[str]:
        """Names of the family's own parameters present in the posterior."""
        return [n for n in ("sigma", "nu", "alpha", "phi") if n in self.posterior]

    # ---- tables ----------------------------------------------------------------------
    def fixed_effects(self, *, prob: float = 0.95) -> pd.DataFrame:
        """Fixed (population-level) effects.

        Parameters
        ----------
        prob : float
            Central interval probability (default 0.95, as brms).

        Returns
        -------
        pandas.DataFrame
            One row per coefficient: mean, sd, interval, ess_bulk, ess_tail, r_hat.
        """
        if not self.spec.fixed:
            return summarize_draws(np.zeros((1, 1, 0)), [], prob=prob)
        table = summarize_draws(self.draws("b"), list(self.spec.fixed), prob=prob)
        table.index.name = "coefficient"
        return table

    def variance_components(self, *, prob: float = 0.95) -> pd.DataFrame:
        """SDs, variances, correlations and covariances of group effects, residual SD, ICC.

        Values are on the link scale for non-Gaussian families.

        Returns
        -------
        pandas.DataFrame
            Index ``(group, quantity, term)``; see
            :func:`bayeslme.results.variance.variance_components_table`.
        """
        factors = self.spec.factors
        sds = {f.name: self.draws(f"{f.name}__sd") for f in factors}
        cors = {f.name: self.draws(f"{f.name}__cor") if f.pairs() else None for f in factors}
        moments = {f.name: variance.design_moment(self.design.factor(f.name).Z) for f in factors}
        residual = self.draws("sigma") if "sigma" in self.posterior else None
        return variance.variance_components_table(factors, sds, cors, moments, residual, prob=prob)

    def random_effects(self, factor: str, *, prob: float = 0.95) -> pd.DataFrame:
        """Posterior group effects (deviations ``u``) of each level of ``factor``."""
        spec = self._factor(factor)
        return effects.group_effects_table(spec, self.draws(f"{spec.name}__u"), prob=prob)

    def coef(self, factor: str, *, prob: float = 0.95) -> pd.DataFrame:
        """Each level's own coefficients (fixed + group effect), like lme4's ``coef()``.

        Returns
        -------
        pandas.DataFrame
            Index ``(level, coefficient)``; ``.unstack()`` on ``mean`` gives
            lme4's wide layout.
        """
        spec = self._factor(factor)
        b = self.draws("b") if self.spec.fixed else np.zeros(self.draws(f"{spec.name}__u").shape[:2] + (0,))
        return effects.coefficients_table(self.spec, spec, b, self.draws(f"{spec.name}__u"), prob=prob)

    def summary(self, *, prob: float = 0.95) -> pd.DataFrame:
        """All population-level parameters in one table."""
        parts = []
        for name in self.population_var_names():
            values = self.draws(name)
            values = values.reshape(values.shape[0], values.shape[1], -1)
            labels = self._labels(name)
            parts.append(summarize_draws(values, labels, prob=prob))
        return pd.concat(parts)

    @property
    def diagnostics(self) -> Diagnostics:
        """Convergence diagnostics of the population-level parameters."""
        return compute_diagnostics(
            self.posterior, self.idata["sample_stats"].to_dataset(), self.population_var_names()
        )

    @property
    def singular(self) -> list[str]:
        """Group-effect SDs whose posterior piles up at zero (a singular, boundary fit).

        See :func:`bayeslme.results.diagnostics.at_boundary` for the criterion.
        Empty when the fit is not singular.
        """
        sds = {f.name: self.draws(f"{f.name}__sd") for f in self.spec.factors}
        return singular_components(self.spec, sds)

    # ---- persistence -----------------------------------------------------------------
    def save(self, path: str) -> None:
        """Write the fit to a netCDF file (no pickle); read it back with :func:`bayeslme.load`."""
        from bayeslme.io import save_fit

        save_fit(self, path)

    # ---- helpers ---------------------------------------------------------------------
    def _factor(self, name: str) -> FactorSpec:
        try:
            return self.spec.factor(name)
        except KeyError:
            known = [f.name for f in self.spec.factors]
            raise BayeslmeError(f"unknown grouping factor {name!r}; the model has {known}") from None

    def _labels(self, name: str) -> list[str]:
        if name == "b":
            return [f"b[{n}]" for n in self.spec.fixed]
        if name.endswith("__sd"):
            factor = self.spec.factor(name[: -len("__sd")])
            return [f"sd[{factor.name}|{e}]" for e in factor.effects]
        if name.endswith("__cor"):
            factor = self.spec.factor(name[: -len("__cor")])
            return [f"cor[{factor.name}|{a}, {b}]" for a, b in factor.pairs()]
        return [name]

    def __repr__(self) -> str:
        from bayeslme.report.text import fit_text

        return fit_text(self)
