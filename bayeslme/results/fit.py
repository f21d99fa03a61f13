"""The :class:`Fit`: a model spec, its design and the posterior draws.

A thin frozen view: the tables come from :class:`~bayeslme.results.fit_tables.FitTables`,
prediction and checks from :class:`~bayeslme.results.fit_predictions.FitPredictions`,
interpretation from :class:`~bayeslme.results.fit_interpret.FitInterpret`,
plots from :class:`~bayeslme.results.fit_plots.FitPlots` (``fit.plot``), and
each of those hands the spec and the draws to pure functions. A fit loaded
from disk (:func:`bayeslme.load`) is identical to a fresh one because
everything is derived from ``spec``, ``design`` and ``idata``. No module
below this one imports it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from bayeslme.errors import BayeslmeError
from bayeslme.formula.design import Design
from bayeslme.results.diagnostics import Diagnostics, compute_diagnostics, singular_components
from bayeslme.results.fit_interpret import FitInterpret
from bayeslme.results.fit_plots import FitPlots
from bayeslme.results.fit_predictions import FitPredictions
from bayeslme.results.fit_tables import FitTables
from bayeslme.results.view import FAMILY_PARAMETERS, held_as_statistics, population_var_names
from bayeslme.spec import FactorSpec, ModelSpec

__all__ = ["Fit", "PriorFit", "load"]


@dataclass(frozen=True, eq=False)
class Fit(FitTables, FitPredictions, FitInterpret):
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

    def draws(self, name: str, levels: np.ndarray | None = None) -> np.ndarray:
        """Posterior draws of variable ``name`` as (chain, draw, ...) numpy array.

        ``levels`` (indices) picks those levels of a factor's group effects.
        A model of Parquet files stores no group effects; they are drawn here
        when asked for (:mod:`bayeslme.bigdata.effects`), only the blocks
        that hold ``levels`` when given.
        """
        posterior = self.posterior
        stats = held_as_statistics(self.design)
        if name not in posterior and stats is not None:
            return stats.effect_draws(self.spec, posterior, name, self.info.get("random_seed"), levels)
        values = posterior[name].values
        return values if levels is None else values[:, :, levels]

    def level_blocks(self, factor: FactorSpec) -> list[np.ndarray]:
        """Level indices of ``factor`` to summarise together: all of them, or a Parquet model's blocks."""
        stats = held_as_statistics(self.design)
        return stats.level_blocks(factor.name) if stats is not None else [np.arange(len(factor.levels))]

    def population_var_names(self) -> list[str]:
        """Names of the population-level variables (fixed effects, SDs, cors, family)."""
        return population_var_names(self.spec, set(self.posterior.data_vars))

    def family_parameters(self) -> list[str]:
        """Names of the family's own parameters present in the posterior."""
        return [n for n in FAMILY_PARAMETERS if n in self.posterior]

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
        sds = {f.name: self.draws(f.sd_var) for f in self.spec.factors}
        return singular_components(self.spec, sds)

    # ---- persistence -----------------------------------------------------------------
    def save(self, path: str) -> None:
        """Write the fit to a netCDF file (no pickle); read it back with :func:`bayeslme.load`."""
        from bayeslme.io import save_fit

        save_fit(path, spec=self.spec, design=self.design, idata=self.idata, info=self.info)

    def __repr__(self) -> str:
        from bayeslme.report.text import fit_text

        return fit_text(self)

    # ---- notebook reporting ----------------------------------------------------------
    def _repr_html_(self) -> str:
        from bayeslme.report.html import sections_html
        from bayeslme.report.tables import fit_sections

        return sections_html(fit_sections(self))

    def report(self, path: str, *, prob: float = 0.95) -> Any:
        """Write a self-contained HTML report (tables and inlined PNG plots) to ``path``.

        Returns
        -------
        pathlib.Path
            The written file.
        """
        from bayeslme.report.standalone import write_report

        return write_report(self, path, prob=prob)

    # ---- plots -----------------------------------------------------------------------
    @property
    def plot(self) -> FitPlots:
        """The fit's plots (:class:`~bayeslme.results.fit_plots.FitPlots`).

        For example ``fit.plot.random_effects("Subject")``.
        """
        return FitPlots(self)

    def plot_random_effects(self, factor: str, effect: str | None = None, *, prob: float = 0.95, ax=None):
        """Alias of ``fit.plot.random_effects`` (:class:`~bayeslme.results.fit_plots.FitPlots`)."""
        return self.plot.random_effects(factor, effect, prob=prob, ax=ax)

    def plot_variance_components(self, *, axes=None):
        """Alias of ``fit.plot.variance_components`` (:class:`~bayeslme.results.fit_plots.FitPlots`)."""
        return self.plot.variance_components(axes=axes)

    def plot_trajectories(
        self, factor: str, *, x: str, prob: float = 0.95, max_panels: int | None = None, axes=None
    ):
        """Alias of ``fit.plot.trajectories`` (:class:`~bayeslme.results.fit_plots.FitPlots`)."""
        return self.plot.trajectories(factor, x=x, prob=prob, max_panels=max_panels, axes=axes)

    def plot_r2(self, *, ax=None):
        """Alias of ``fit.plot.r2`` (:class:`~bayeslme.results.fit_plots.FitPlots`)."""
        return self.plot.r2(ax=ax)

    def plot_ppc(self, *, n_lines: int = 50, random_seed: int | None = 0, ax=None):
        """Alias of ``fit.plot.ppc`` (:class:`~bayeslme.results.fit_plots.FitPlots`)."""
        return self.plot.ppc(n_lines=n_lines, random_seed=random_seed, ax=ax)

    def plot_predictions(
        self,
        x: str,
        *,
        by: str | None = None,
        kind: str = "mean",
        n_grid: int = 30,
        prob: float = 0.95,
        ax=None,
    ):
        """Alias of ``fit.plot.predictions`` (:class:`~bayeslme.results.fit_plots.FitPlots`)."""
        return self.plot.predictions(x, by=by, kind=kind, n_grid=n_grid, prob=prob, ax=ax)


# ---- prior draws viewed as a fit -----------------------------------------------------------
# A PriorFit reads the ``prior`` group where a Fit reads its ``posterior``, so every table,
# prediction, interpretation and plot of a fit describes the prior instead:
# ``prior.plot.ppc()`` compares responses simulated from the priors with the data,
# ``prior.r2()`` and ``prior.variance_components()`` show the implied R² and variances.


@dataclass(frozen=True, eq=False)
class PriorFit(Fit):
    """Prior draws of a model with the interface of a fit (see the module docstring)."""

    @property
    def posterior(self) -> xr.Dataset:
        """The prior draws (read wherever a fit reads its posterior)."""
        return self.idata["prior"].to_dataset()

    def posterior_predictive(self, *, random_seed: int | None = None, store: bool = True) -> xr.DataArray:
        """The responses simulated with the prior draws, dims ``(chain, draw, obs)``."""
        return self.idata["prior_predictive"]["y"]

    @property
    def diagnostics(self) -> Any:
        """Prior draws are independent: there is nothing to diagnose."""
        raise BayeslmeError("prior draws are independent draws, not a Markov chain: no diagnostics")

    @property
    def singular(self) -> list[str]:
        """Always empty: a boundary fit is a property of a posterior."""
        return []

    def save(self, path: str) -> None:
        """Prior draws are not saved: draw them again with ``model.prior_predictive(random_seed=...)``."""
        raise BayeslmeError(
            "prior draws are not saved; draw them again with model.prior_predictive(random_seed=...)"
        )

    def __repr__(self) -> str:
        draws = self.posterior.sizes["draw"]
        return (
            f"bayeslme prior draws ({draws}):\n  formula: {self.spec.formula}\n  family: {self.spec.family}"
            "\n  use .ppc(), .plot.ppc(), .r2(), .variance_components(), .predictions(...)"
        )

    def _repr_html_(self) -> str:
        return f"<pre>{self.__repr__()}</pre>"


def load(path: str | os.PathLike) -> Fit:
    """Read a fit written by :meth:`Fit.save`.

    Raises
    ------
    FileFormatError
        The file does not exist, is not a bayeslme fit, is damaged, or was
        written by a newer format version.
    """
    from bayeslme.io import read_fit

    spec, design, idata, info = read_fit(path)
    return Fit(spec=spec, design=design, idata=idata, info=info)
