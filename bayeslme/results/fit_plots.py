"""Plots of a fit, reached as ``fit.plot.<name>(...)``.

Each method gathers the draws a plot needs from the fit and hands plain
arrays to :mod:`bayeslme.plots`, which imports matplotlib on first use. The
``Fit.plot_<name>`` methods are aliases of these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bayeslme.errors import BayeslmeError, FamilyError
from bayeslme.results.view import draw_labels, factor_or_error

if TYPE_CHECKING:
    from bayeslme.results.view import FitLike

__all__ = ["FitPlots"]


class FitPlots:
    """The plots of one fit.

    Parameters
    ----------
    fit : FitLike
    """

    def __init__(self, fit: FitLike) -> None:
        self._fit = fit

    def random_effects(
        self, factor: str, effect: str | None = None, *, prob: float = 0.95, ax=None, dpar: str | None = None
    ):
        """Caterpillar plot of each level's group effect with its interval, sorted by the mean.

        Parameters
        ----------
        factor : str
            Grouping factor.
        effect : str, optional
            One effect of the factor (e.g. ``"Intercept"``); all effects, one panel
            each, by default.
        prob : float
            Interval probability.
        ax : matplotlib.axes.Axes, optional
            Where to draw (only with a single effect).
        dpar : str, optional
            A family parameter with a formula of its own: its factor's group
            effects (link scale), e.g. ``dpar="sigma"``.

        Returns
        -------
        matplotlib.axes.Axes or ndarray of Axes
            One axes per effect shown.
        """
        fit = self._fit if dpar is None else self._fit._dpar(dpar)
        from bayeslme.plots._common import new_axes
        from bayeslme.plots.random_effects import plot_caterpillar_draws

        spec = factor_or_error(fit.spec, factor)
        chosen = [effect] if effect is not None else list(spec.effects)
        unknown = [e for e in chosen if e not in spec.effects]
        if unknown:
            raise BayeslmeError(f"factor {factor!r} has effects {list(spec.effects)}, not {unknown}")
        if ax is not None and len(chosen) > 1:
            raise BayeslmeError(f"ax takes one panel; pass effect= one of {list(spec.effects)}")
        u = fit.draws(spec.u_var)
        u = u.reshape(-1, *u.shape[2:])
        axes = (
            [ax] if ax is not None else new_axes(len(chosen), size=(4.0, max(2.5, 0.22 * len(spec.levels))))
        )
        for panel, name in zip(axes, chosen, strict=True):
            plot_caterpillar_draws(
                u[:, :, spec.effects.index(name)],
                spec.levels,
                prob=prob,
                xlabel=f"{name} | {factor}" if dpar is None else f"{dpar}: {name} | {factor}",
                ax=panel,
            )
        return axes[0] if len(chosen) == 1 else axes

    def variance_components(self, *, axes=None):
        """Posterior densities of every group-effect SD and correlation (and ``sigma``).

        Returns
        -------
        ndarray of matplotlib.axes.Axes
            One panel per quantity, titled like :meth:`bayeslme.Fit.summary` rows.
        """
        fit = self._fit
        from bayeslme.plots.variance_components import plot_densities_draws

        draws: dict[str, np.ndarray] = {}
        for name in fit.population_var_names():
            if name == "b":
                continue
            values = fit.draws(name)
            values = values.reshape(-1, int(np.prod(values.shape[2:], dtype=int)))
            for label, column in zip(draw_labels(fit.spec, name), values.T, strict=True):
                draws[label] = column
        return plot_densities_draws(draws, axes=axes)

    def trajectories(
        self, factor: str, *, x: str, prob: float = 0.95, max_panels: int | None = None, axes=None
    ):
        """Small multiples of each level's data, fitted line and band, with the population line.

        Each level's line is the prediction (:meth:`bayeslme.Fit.predict` with ``kind="mean"``)
        along a grid of ``x`` with the level's own values of the other columns
        (see :func:`bayeslme.results.lines.level_grid_frame`): interactions with
        ``x``, transformations of it and level-constant covariates such as a
        subject's treatment arm enter as in the model. The dashed population
        line is the same prediction without group effects, so it follows the
        level's covariates too. Lines are on the link scale for non-Gaussian
        families.

        Parameters
        ----------
        factor : str
            Grouping factor: one panel per level.
        x : str
            Numeric column of the fitted data on the x axis.
        prob : float
            Band probability.
        max_panels : int, optional
            Show only the first levels.
        axes : sequence of Axes, optional

        Returns
        -------
        ndarray of matplotlib.axes.Axes
        """
        fit = self._fit
        from bayeslme.plots.trajectories import plot_trajectories_draws
        from bayeslme.results.lines import level_grid_frame

        spec = factor_or_error(fit.spec, factor)
        data = fit.design.data
        if x not in data.columns or not pd.api.types.is_numeric_dtype(data[x]):
            numeric = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]
            raise BayeslmeError(
                f"x={x!r} is not a numeric column of the fitted data; numeric columns: {numeric}"
            )
        xs = data[x].to_numpy(dtype=float)
        grid = np.linspace(xs.min(), xs.max(), 50)
        index = fit.design.factor(spec.name).index
        n = len(spec.levels) if max_panels is None else min(max_panels, len(spec.levels))
        frame = level_grid_frame(data, index, n, x, grid)
        lines, population = (
            np.asarray(fit.predict(frame, groups=groups, scale="link", summary=False)).reshape(
                -1, n, grid.size
            )
            for groups in ("conditional", "population")
        )
        identity = fit.spec.link == "identity"
        observed = [(xs[index == j], fit.design.y[index == j]) for j in range(n)] if identity else None
        ylabel = fit.spec.response if identity else f"{fit.spec.response} ({fit.spec.link} scale)"
        return plot_trajectories_draws(
            grid,
            lines,
            spec.levels[:n],
            population=population,
            observed=observed,
            prob=prob,
            xlabel=x,
            ylabel=ylabel,
            axes=axes,
        )

    def r2(self, *, ax=None):
        """Posterior densities of marginal and conditional R² (see :meth:`bayeslme.Fit.r2`)."""
        fit = self._fit
        from bayeslme.plots.r2 import plot_r2_draws
        from bayeslme.results.r2 import r2_draws

        draws = r2_draws(fit)
        if "marginal" not in draws:
            why = (
                f"the residual variance of this model differs by row ({[d.name for d in fit.spec.dpars]} "
                "have formulas)"
                if fit.spec.dpars
                else f"family {fit.spec.family!r} has no latent scale (Nakagawa et al. 2017)"
            )
            raise FamilyError(f"{why}, so no marginal and conditional R²; fit.r2() gives its Bayesian R²")
        return plot_r2_draws(np.asarray(draws["marginal"]), np.asarray(draws["conditional"]), ax=ax)

    def ppc(self, *, n_lines: int = 50, random_seed: int | None = 0, ax=None):
        """Posterior predictive density check: observed vs replicated responses."""
        fit = self._fit
        from bayeslme.plots.ppc import plot_ppc_draws

        replicated = fit.posterior_predictive(random_seed=random_seed, store=False).values
        replicated = replicated.reshape(-1, replicated.shape[-1])
        ax = plot_ppc_draws(fit.design.y, replicated, n_lines=n_lines, ax=ax)
        ax.set_xlabel(fit.spec.response)
        return ax

    def predictions(
        self,
        x: str,
        *,
        by: str | None = None,
        kind: str = "mean",
        n_grid: int = 30,
        prob: float = 0.95,
        ax=None,
    ):
        """Predictions over one predictor, others at their mean, one line per level of ``by``.

        Without ``by`` the line is the population prediction (group effects set
        to zero); with ``by`` each level of that grouping factor gets its own line.
        """
        fit = self._fit
        from bayeslme.interpret.grid import typical_values
        from bayeslme.plots.predictions import plot_predictions_draws
        from bayeslme.results.prediction import prediction_draws

        data = fit.design.data
        xs = data[x].to_numpy(dtype=float)
        grid = np.linspace(xs.min(), xs.max(), n_grid)
        base = typical_values(fit)  # means of numbers, most frequent levels (as datagrid)
        series = {}
        levels = factor_or_error(fit.spec, by).levels if by is not None else [None]
        for level in levels:
            frame = pd.DataFrame({**base, x: grid})
            if level is not None:
                frame[by] = level
            groups = "conditional" if by is not None else "population"
            # pointwise bands: grid rows are not a series, so residuals are drawn independently
            draws, _ = prediction_draws(
                fit, frame, kind=kind, groups=groups, random_seed=0, correlated_residuals=False
            )
            series[str(level) if level is not None else "population"] = draws.reshape(-1, n_grid)
        return plot_predictions_draws(grid, series, prob=prob, xlabel=x, ylabel=fit.spec.response, ax=ax)

    def comparisons(
        self,
        variable: str,
        x: str,
        *,
        values=None,
        group: str | None = None,
        comparison: str = "difference",
        scale: str = "response",
        prob: float = 0.95,
        random_seed: int | None = None,
        ax=None,
    ):
        """Contrasts of ``variable`` over the values of ``x`` (e.g. the treatment effect by week).

        One line (numeric ``x``) or set of points (categorical ``x``) per
        contrast, and per level of ``group`` when given; other columns at
        typical values (:func:`bayeslme.datagrid`). See :meth:`Fit.comparisons`.
        """
        draws = self._fit.comparisons(
            variable,
            values=values,
            grid=_plot_grid(x, group),
            comparison=comparison,
            scale=scale,
            summary=False,
            random_seed=random_seed,
        )
        label = "ratio" if comparison == "ratio" else "difference"
        return self._estimates(
            draws, x, ["contrast", group], f"{variable}: {label}", prob, ax, reference=comparison
        )

    def slopes(
        self,
        variable: str,
        x: str,
        *,
        group: str | None = None,
        scale: str = "response",
        prob: float = 0.95,
        random_seed: int | None = None,
        ax=None,
    ):
        """Slope of the expected outcome in ``variable`` over the values of ``x`` (and ``group``).

        See :meth:`Fit.slopes`; ``x`` may be ``variable`` itself (the slope
        of a GLMM changes along its own variable on the response scale).
        """
        draws = self._fit.slopes(
            variable, grid=_plot_grid(x, group), scale=scale, summary=False, random_seed=random_seed
        )
        return self._estimates(draws, x, [group], f"slope of {variable}", prob, ax, reference="difference")

    def marginal_means(
        self, specs: str, *, by: str | None = None, scale: str = "response", prob: float = 0.95, ax=None
    ):
        """Estimated marginal means of ``specs``' levels, one set of points per level of ``by``."""
        draws = self._fit.marginal_means(specs, by=by, scale=scale, summary=False)
        return self._estimates(draws, specs, [by], f"marginal mean of {self._fit.spec.response}", prob, ax)

    def _estimates(
        self, draws, x: str, keys: list, ylabel: str, prob: float, ax, reference: str | None = None
    ):
        from bayeslme.interpret.grid import is_categorical
        from bayeslme.interpret.tables import ROW_DIM
        from bayeslme.plots.estimates import plot_estimates

        keys = [k for k in keys if k is not None and k in draws.coords]
        flat = draws.values.reshape(-1, draws.sizes[ROW_DIM])
        xs = draws.coords[x].values
        labels = [" ".join(str(draws.coords[k].values[r]) for k in keys) for r in range(flat.shape[1])]
        series = {}
        for name in dict.fromkeys(labels):
            columns = [r for r, label in enumerate(labels) if label == name]
            series[name or "estimate"] = flat[:, columns]
        first = [r for r, label in enumerate(labels) if label == labels[0]]
        numeric = not is_categorical(self._fit, x)
        line = {"difference": 0.0, "ratio": 1.0}.get(reference) if reference else None
        return plot_estimates(
            xs[first], series, numeric=numeric, prob=prob, xlabel=x, ylabel=ylabel, reference=line, ax=ax
        )


def _plot_grid(x: str, group: str | None) -> dict:
    grid = {x: "all"}
    if group is not None:
        grid[group] = "all"
    return grid
