"""The :class:`Fit`: a model spec, its design and the posterior draws.

Methods are thin: each delegates to a pure function in ``results/`` and only
adds labels. A fit loaded from disk (:func:`bayeslme.load`) is identical to a
fresh one because everything is derived from ``spec``, ``design`` and
``idata``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from bayeslme.errors import BayeslmeError
from bayeslme.families import get_family
from bayeslme.formula.design import Design
from bayeslme.results import effects, latent, variance
from bayeslme.results.diagnostics import Diagnostics, compute_diagnostics, singular_components
from bayeslme.results.summaries import summarize_draws
from bayeslme.spec import FactorSpec, ModelSpec

if TYPE_CHECKING:
    from bayeslme.results.personalized import Personalized

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
            names.append(factor.sd_var)
            if factor.pairs():
                names.append(factor.cor_var)
        names += [n for n in self.family_parameters() if n in self.posterior]
        if self.spec.rescor is not None:
            names.append(self.spec.rescor.kind)
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

        A residual correlation term adds a row ``("Residual", "ar" or "cosy",
        "")``; ``sigma`` stays the marginal residual SD, so the residual
        variance and the ICC keep their meaning.

        Values are on the link scale for non-Gaussian families. Their ICC uses
        the distribution-specific latent residual variance of Nakagawa et al.
        (2017) (:meth:`bayeslme.families.Family.latent_residual_variance`), and
        the table has no ``Residual`` rows.

        Returns
        -------
        pandas.DataFrame
            Index ``(group, quantity, term)``; see
            :func:`bayeslme.results.variance.variance_components_table`.
        """
        factors = self.spec.factors
        sds, cors, moments = self._group_moments()
        if self.spec.family == "gaussian":
            residual = self.draws("sigma")
            rescor = self.spec.rescor
            correlation = None if rescor is None else (rescor.kind, self.draws(rescor.kind))
            return variance.variance_components_table(
                factors, sds, cors, moments, residual, prob=prob, residual_correlation=correlation
            )
        residual_variance = self.latent_variances().residual if factors else None
        return variance.variance_components_table(
            factors, sds, cors, moments, None, prob=prob, residual_variance=residual_variance
        )

    def latent_variances(self) -> latent.LatentVariances:
        """Fixed, random and distribution-specific variances on the latent scale, per draw.

        See :mod:`bayeslme.results.latent` (Nakagawa, Johnson & Schielzeth 2017).
        """
        family = get_family(self.spec.family)
        sds, cors, moments = self._group_moments()
        v_random = latent.total_random_variance(self.spec.factors, sds, cors, moments)
        chains, draws = self.posterior.sizes["chain"], self.posterior.sizes["draw"]
        b = self.draws("b") if self.spec.fixed else np.zeros((chains, draws, 0))
        params = {name: self.draws(name) for name in family.parameters()}
        return latent.latent_variances(
            family, self.spec.link, self.design.X, b, v_random, params, offset=self.design.offset
        )

    def _group_moments(self) -> tuple[dict, dict, dict]:
        factors = self.spec.factors
        sds = {f.name: self.draws(f.sd_var) for f in factors}
        cors = {f.name: self.draws(f.cor_var) if f.pairs() else None for f in factors}
        moments = {f.name: variance.design_moment(self.design.factor(f.name).Z) for f in factors}
        return sds, cors, moments

    def random_effects(self, factor: str, *, prob: float = 0.95) -> pd.DataFrame:
        """Posterior group effects (deviations ``u``) of each level of ``factor``."""
        spec = self._factor(factor)
        return effects.group_effects_table(spec, self.draws(spec.u_var), prob=prob)

    def coef(self, factor: str, *, prob: float = 0.95) -> pd.DataFrame:
        """Each level's own coefficients (fixed + group effect), like lme4's ``coef()``.

        Group effects of every term of the same grouping columns add up, so
        for ``(1 | g) + (x | g)`` (lme4's separate terms ``g`` and ``g.1``)
        the intercept of a level is the fixed intercept plus both of its
        group intercepts.

        Returns
        -------
        pandas.DataFrame
            Index ``(level, coefficient)``; ``.unstack()`` on ``mean`` gives
            lme4's wide layout.
        """
        draws, names, spec = self._coefficient_draws(factor)
        return effects.coefficients_table(spec, draws, names, prob=prob)

    def coef_draws(self, factor: str) -> xr.DataArray:
        """Posterior draws of each level's own coefficients (fixed + group effect).

        The draws behind :meth:`coef`, for questions a summary cannot answer,
        such as the probability that a person's slope is negative:
        ``(fit.coef_draws("person").sel(coefficient="x") < 0).mean(("chain", "draw"))``.

        Parameters
        ----------
        factor : str
            Grouping factor.

        Returns
        -------
        xarray.DataArray
            Dims ``(chain, draw, <factor>__level, coefficient)``, labelled by level and
            coefficient name.
        """
        values, names, spec = self._coefficient_draws(factor)
        coords = {
            "chain": self.posterior["chain"].values,
            "draw": self.posterior["draw"].values,
            spec.level_dim: list(spec.levels),
            "coefficient": names,
        }
        return xr.DataArray(values, dims=list(coords), coords=coords, name="coef")

    def _coefficient_draws(self, factor: str) -> tuple[np.ndarray, list[str], FactorSpec]:
        """Per-level coefficient draws of ``factor``, its sibling terms (``g.1``, ...) included."""
        spec = self._factor(factor)
        siblings = [f for f in self.spec.factors if f.columns == spec.columns]
        u = [self.draws(f.u_var) for f in siblings]
        b = self.draws("b") if self.spec.fixed else np.zeros(u[0].shape[:2] + (0,))
        values, names = effects.coefficient_draws(self.spec, siblings, b, u)
        return values, names, spec

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

    # ---- prediction, personalisation, R², model checking ------------------------------
    def predict(
        self,
        newdata: pd.DataFrame | None = None,
        *,
        kind: str = "mean",
        groups: str = "conditional",
        new_groups: str = "sample",
        scale: str = "response",
        prob: float = 0.95,
        summary: bool = True,
        random_seed: int | None = None,
        hdi_prob: float | None = None,
    ) -> pd.DataFrame | xr.DataArray:
        """Predictions for the fitted rows or for new rows.

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            Rows to predict; ``None`` predicts the fitted rows. The response
            column is not needed.
        kind : {"mean", "response"}
            ``"mean"``: expected response :math:`g^{-1}(\\eta)`;
            ``"response"``: posterior predictive draws (adds observation noise).
            In a model with an ``ar()`` or ``cosy()`` term, new rows that have
            the term's time and group columns form new series of their own
            (correlated residuals, not conditioned on the fitted residuals);
            new rows without those columns get independent residuals with the
            marginal SD, which gives the same pointwise intervals.
        groups : {"conditional", "population"}
            ``"conditional"`` includes group effects; ``"population"`` sets them
            to zero (lme4's ``re.form = NA``).
        new_groups : {"sample", "error"}
            For levels absent from the fitted data: draw a fresh group effect
            from :math:`N(0, \\Sigma)` of each posterior draw, or raise.
        scale : {"response", "link"}
            For ``kind="mean"``: the expected response (for bernoulli and
            binomial the success probability), or the linear predictor
            :math:`\\eta` on the link scale.
        prob : float
            Probability of the central (equal-tailed) interval in the summary,
            0.95 by default as in every other table.
        summary : bool
            ``True``: one row per new row with the columns of every summary
            table (``mean, sd, q2.5, q97.5`` for ``prob=0.95``);
            ``False``: draws with dims ``(chain, draw, obs)``.
        random_seed : int, optional
            Seed for fresh group effects and observation noise.
        hdi_prob : float, optional
            Deprecated alias of ``prob`` (intervals are equal-tailed).

        Returns
        -------
        pandas.DataFrame or xarray.DataArray

        Raises
        ------
        DataError
            Empty newdata, a missing predictor column, missing values in predictors;
            for ``kind="response"`` with ``ar()``, new rows of one series sharing a
            time; with ``cosy()``, a new group larger than any fitted one whose
            size the posterior correlation cannot support.
        UnseenLevelsError
            A categorical predictor level not seen in fitting, or unseen group
            levels with ``new_groups="error"`` (the levels are listed).
        """
        from bayeslme.results.prediction import predict_fit, resolve_prob

        prob = resolve_prob(prob, hdi_prob)
        return predict_fit(
            self,
            newdata,
            kind=kind,
            groups=groups,
            new_groups=new_groups,
            scale=scale,
            prob=prob,
            summary=summary,
            random_seed=random_seed,
        )

    def personalize(
        self, new_rows: pd.DataFrame, *, factor: str | None = None, random_seed: int | None = None
    ) -> Personalized:
        """Posterior of a new individual from a few of their rows, without refitting.

        Exact conditional Gaussian posterior of the individual's group effects
        per population draw, with the draws importance-weighted (Pareto
        smoothed) by the individual's marginal likelihood; see
        :mod:`bayeslme.results.personalize`. Gaussian identity-link models only.

        Parameters
        ----------
        new_rows : pandas.DataFrame
            Rows of one individual (a level of ``factor`` absent from the fit),
            including the response.
        factor : str, optional
            Grouping factor identifying individuals; needed when there are several.
        random_seed : int, optional
            Seed for resampling and drawing the group effects.

        Returns
        -------
        Personalized
            With ``coefficients()``, ``predict(future_rows)``, ``ess`` and ``pareto_k``.
        """
        from bayeslme.results.personalized import personalize_fit

        return personalize_fit(self, new_rows, factor=factor, random_seed=random_seed)

    def r2(self, *, prob: float = 0.95) -> pd.DataFrame:
        """Posterior of marginal and conditional R² (Nakagawa) and Bayesian R².

        See :mod:`bayeslme.results.r2` for the definitions and references.

        Returns
        -------
        pandas.DataFrame
            Rows ``marginal``, ``conditional``, ``bayes``; mean, sd, interval, ESS, R-hat.
        """
        from bayeslme.results.r2 import r2_table

        return r2_table(self, prob=prob)

    def posterior_predictive(self, *, random_seed: int | None = None, store: bool = True) -> xr.DataArray:
        """Replicated responses of the fitted rows, dims ``(chain, draw, obs)``.

        With ``store=True`` they are also kept as the ``posterior_predictive``
        group of :attr:`idata` (used by :meth:`ppc`).
        """
        from bayeslme.results.checks import posterior_predictive_draws

        draws = posterior_predictive_draws(self, random_seed=random_seed)
        if store:
            self.idata["posterior_predictive"] = xr.DataTree(draws.to_dataset())
        return draws

    def log_likelihood(self, *, store: bool = True) -> xr.DataArray:
        """Pointwise log-likelihood of the fitted rows, dims ``(chain, draw, obs)``.

        Computed from the stored draws (works for loaded fits). With
        ``store=True`` it is also kept as the ``log_likelihood`` group of
        :attr:`idata`, so that ArviZ functions accept ``fit.idata`` directly.
        """
        from bayeslme.results.checks import arviz_tree

        group = arviz_tree(self)["log_likelihood"]
        if store:
            self.idata["log_likelihood"] = group.copy()
        return group.to_dataset()[next(iter(group.data_vars))]

    def loo(self, *, pointwise: bool = False) -> Any:
        """PSIS-LOO cross-validation through :func:`arviz_stats.loo`.

        The pointwise log-likelihood is computed from the stored draws.
        """
        import arviz_stats

        from bayeslme.results.checks import LOG_LIK_VAR, arviz_tree

        return arviz_stats.loo(arviz_tree(self), pointwise=pointwise, var_name=LOG_LIK_VAR)

    def ppc(
        self, *, random_seed: int | None = None, prob: float = 0.95, statistics: dict | None = None
    ) -> pd.DataFrame:
        """Posterior predictive check: observed vs replicated summary statistics.

        Uses the stored ``posterior_predictive`` group when present, else draws
        replicated data (without storing them).

        Returns
        -------
        pandas.DataFrame
            See :func:`bayeslme.results.checks.ppc_table`.
        """
        from bayeslme.results.checks import LOG_LIK_VAR, ppc_table

        if "posterior_predictive" in self.idata.children:
            values = self.idata["posterior_predictive"][LOG_LIK_VAR].values
        else:
            values = self.posterior_predictive(random_seed=random_seed, store=False).values
        return ppc_table(self.design.y, values.reshape(-1, values.shape[-1]), statistics, prob=prob)

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
        for factor in self.spec.factors:
            if name == factor.sd_var:
                return factor.sd_labels()
            if name == factor.cor_var:
                return factor.cor_labels()
        return [name]

    def __repr__(self) -> str:
        from bayeslme.report.text import fit_text

        return fit_text(self)

    # ---- notebook reporting and plots (issue 6) ---------------------------------------
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

    def plot_random_effects(self, factor: str, effect: str | None = None, *, prob: float = 0.95, ax=None):
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

        Returns
        -------
        matplotlib.axes.Axes or ndarray of Axes
            One axes per effect shown.
        """
        from bayeslme.plots._common import new_axes
        from bayeslme.plots.random_effects import plot_caterpillar_draws

        spec = self._factor(factor)
        chosen = [effect] if effect is not None else list(spec.effects)
        unknown = [e for e in chosen if e not in spec.effects]
        if unknown:
            raise BayeslmeError(f"factor {factor!r} has effects {list(spec.effects)}, not {unknown}")
        if ax is not None and len(chosen) > 1:
            raise BayeslmeError(f"ax takes one panel; pass effect= one of {list(spec.effects)}")
        u = self.draws(spec.u_var)
        u = u.reshape(-1, *u.shape[2:])
        axes = (
            [ax] if ax is not None else new_axes(len(chosen), size=(4.0, max(2.5, 0.22 * len(spec.levels))))
        )
        for panel, name in zip(axes, chosen, strict=True):
            plot_caterpillar_draws(
                u[:, :, spec.effects.index(name)],
                spec.levels,
                prob=prob,
                xlabel=f"{name} | {factor}",
                ax=panel,
            )
        return axes[0] if len(chosen) == 1 else axes

    def plot_variance_components(self, *, axes=None):
        """Posterior densities of every group-effect SD and correlation (and ``sigma``).

        Returns
        -------
        ndarray of matplotlib.axes.Axes
            One panel per quantity, titled like :meth:`summary` rows.
        """
        from bayeslme.plots.variance_components import plot_densities_draws

        draws: dict[str, np.ndarray] = {}
        for name in self.population_var_names():
            if name == "b":
                continue
            values = self.draws(name)
            values = values.reshape(-1, int(np.prod(values.shape[2:], dtype=int)))
            for label, column in zip(self._labels(name), values.T, strict=True):
                draws[label] = column
        return plot_densities_draws(draws, axes=axes)

    def plot_trajectories(
        self, factor: str, *, x: str, prob: float = 0.95, max_panels: int | None = None, axes=None
    ):
        """Small multiples of each level's data, fitted line and band, with the population line.

        Each level's line is the prediction (:meth:`predict` with ``kind="mean"``)
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
        from bayeslme.plots.trajectories import plot_trajectories_draws
        from bayeslme.results.lines import level_grid_frame

        spec = self._factor(factor)
        data = self.design.data
        if x not in data.columns or not pd.api.types.is_numeric_dtype(data[x]):
            numeric = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]
            raise BayeslmeError(
                f"x={x!r} is not a numeric column of the fitted data; numeric columns: {numeric}"
            )
        xs = data[x].to_numpy(dtype=float)
        grid = np.linspace(xs.min(), xs.max(), 50)
        index = self.design.factor(spec.name).index
        n = len(spec.levels) if max_panels is None else min(max_panels, len(spec.levels))
        frame = level_grid_frame(data, index, n, x, grid)
        lines, population = (
            np.asarray(self.predict(frame, groups=groups, scale="link", summary=False)).reshape(
                -1, n, grid.size
            )
            for groups in ("conditional", "population")
        )
        identity = self.spec.link == "identity"
        observed = [(xs[index == j], self.design.y[index == j]) for j in range(n)] if identity else None
        ylabel = self.spec.response if identity else f"{self.spec.response} ({self.spec.link} scale)"
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

    def plot_r2(self, *, ax=None):
        """Posterior densities of marginal and conditional R² (see :meth:`r2`)."""
        from bayeslme.plots.r2 import plot_r2_draws
        from bayeslme.results.r2 import r2_draws

        draws = r2_draws(self)
        return plot_r2_draws(np.asarray(draws["marginal"]), np.asarray(draws["conditional"]), ax=ax)

    def plot_ppc(self, *, n_lines: int = 50, random_seed: int | None = 0, ax=None):
        """Posterior predictive density check: observed vs replicated responses."""
        from bayeslme.plots.ppc import plot_ppc_draws

        replicated = self.posterior_predictive(random_seed=random_seed, store=False).values
        replicated = replicated.reshape(-1, replicated.shape[-1])
        ax = plot_ppc_draws(self.design.y, replicated, n_lines=n_lines, ax=ax)
        ax.set_xlabel(self.spec.response)
        return ax

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
        """Predictions over one predictor, others at their mean, one line per level of ``by``.

        Without ``by`` the line is the population prediction (group effects set
        to zero); with ``by`` each level of that grouping factor gets its own line.
        """
        from bayeslme.plots.predictions import plot_predictions_draws
        from bayeslme.results.prediction import prediction_draws

        data = self.design.data
        xs = data[x].to_numpy(dtype=float)
        grid = np.linspace(xs.min(), xs.max(), n_grid)
        base = {c: data[c].mean() for c in data.columns if pd.api.types.is_numeric_dtype(data[c])}
        base.update({c: data[c].iloc[0] for c in data.columns if c not in base})
        series = {}
        levels = self._factor(by).levels if by is not None else [None]
        for level in levels:
            frame = pd.DataFrame({**base, x: grid})
            if level is not None:
                frame[by] = level
            groups = "conditional" if by is not None else "population"
            # pointwise bands: grid rows are not a series, so residuals are drawn independently
            draws, _ = prediction_draws(
                self, frame, kind=kind, groups=groups, random_seed=0, correlated_residuals=False
            )
            series[str(level) if level is not None else "population"] = draws.reshape(-1, n_grid)
        return plot_predictions_draws(grid, series, prob=prob, xlabel=x, ylabel=self.spec.response, ax=ax)
