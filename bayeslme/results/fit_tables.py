"""The tables of a fit: fixed effects, variance components, group effects, coefficients.

:class:`FitTables` is a part of :class:`bayeslme.Fit`; each method labels the
result of a pure function of :mod:`bayeslme.results.variance`,
:mod:`~bayeslme.results.effects` or :mod:`~bayeslme.results.latent`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from bayeslme.errors import FamilyError
from bayeslme.families import get_family
from bayeslme.results import effects, latent, variance
from bayeslme.results.dpar_view import DparView, dpar_or_error
from bayeslme.results.summaries import summarize_draws
from bayeslme.results.view import draw_labels, factor_or_error, has_latent_scale, held_as_statistics
from bayeslme.spec.names import COEFFICIENTS

if TYPE_CHECKING:
    from bayeslme.formula.design import Design
    from bayeslme.spec import FactorSpec, ModelSpec

__all__ = ["DparTables", "FitTables"]


class FitTables:
    """Summary tables of a fit's population and group-level parameters (mixed into ``Fit``)."""

    # Provided by Fit: spec, design, posterior, draws(name), population_var_names().
    spec: ModelSpec
    design: Design

    def fixed_effects(self, *, prob: float = 0.95, dpar: str | None = None) -> pd.DataFrame:
        """Fixed (population-level) effects.

        Parameters
        ----------
        prob : float
            Central interval probability (default 0.95, as brms).
        dpar : str, optional
            A family parameter with a formula of its own (``"sigma"``): its
            coefficients, on its link scale (log for ``sigma``).

        Returns
        -------
        pandas.DataFrame
            One row per coefficient: mean, sd, interval, ess_bulk, ess_tail, r_hat.
        """
        if dpar is not None:
            return self._dpar(dpar).fixed_effects(prob=prob)
        if not self.spec.fixed:
            return summarize_draws(np.zeros((1, 1, 0)), [], prob=prob)
        table = summarize_draws(self.draws(COEFFICIENTS), list(self.spec.fixed), prob=prob)
        table.index.name = "coefficient"
        return table

    def variance_components(self, *, prob: float = 0.95, dpar: str | None = None) -> pd.DataFrame:
        """SDs, variances, correlations and covariances of group effects, residual SD, ICC.

        A residual correlation term adds a row ``("Residual", "ar" or "cosy",
        "")``; ``sigma`` stays the marginal residual SD, so the residual
        variance and the ICC keep their meaning.

        Values are on the link scale for non-Gaussian families. Their ICC uses
        the distribution-specific latent residual variance of Nakagawa et al.
        (2017) (:meth:`bayeslme.families.Family.latent_residual_variance`), and
        the table has no ``Residual`` rows. Families without a latent scale
        (beta, zero-inflated, hurdle) have no ICC row, nor have models whose
        parameters have formulas (their residual variance differs by row).
        ``dpar="sigma"`` gives the group effects of ``sigma``'s formula, on its
        link scale.

        Returns
        -------
        pandas.DataFrame
            Index ``(group, quantity, term)``; see
            :func:`bayeslme.results.variance.variance_components_table`.
        """
        if dpar is not None:
            return self._dpar(dpar).variance_components(prob=prob)
        factors = self.spec.factors
        sds, cors, moments = self._group_moments()
        if self.spec.family == "gaussian" and not self.spec.dpars:
            residual = self.draws("sigma")
            rescor = self.spec.rescor
            correlation = None if rescor is None else (rescor.kind, self.draws(rescor.kind))
            return variance.variance_components_table(
                factors, sds, cors, moments, residual, prob=prob, residual_correlation=correlation
            )
        latent_scale = factors and has_latent_scale(self.spec)
        residual_variance = self.latent_variances().residual if latent_scale else None
        return variance.variance_components_table(
            factors, sds, cors, moments, None, prob=prob, residual_variance=residual_variance
        )

    def latent_variances(self) -> latent.LatentVariances:
        """Fixed, random and distribution-specific variances on the latent scale, per draw.

        See :mod:`bayeslme.results.latent` (Nakagawa, Johnson & Schielzeth 2017).

        Raises
        ------
        FamilyError
            For a model whose parameters have formulas: its residual variance
            differs by row, which the decomposition does not define.
        """
        if self.spec.dpars:
            raise FamilyError(
                f"the latent-scale variances assume one residual variance for all rows; this model's "
                f"{[d.name for d in self.spec.dpars]} vary by row (their formulas)"
            )
        family = get_family(self.spec.family, self.spec.link)
        sds, cors, moments = self._group_moments()
        v_random = latent.total_random_variance(self.spec.factors, sds, cors, moments)
        chains, draws = self.posterior.sizes["chain"], self.posterior.sizes["draw"]
        b = self.draws(COEFFICIENTS) if self.spec.fixed else np.zeros((chains, draws, 0))
        params = {name: self.draws(name) for name in family.parameters()}
        stats = held_as_statistics(self.design)
        if stats is not None:
            return latent.latent_variances(
                family, self.spec.link, None, b, v_random, params, v_fixed_given=stats.fixed_variance(b)
            )
        return latent.latent_variances(
            family, self.spec.link, self.design.X, b, v_random, params, offset=self.design.offset
        )

    def _group_moments(self) -> tuple[dict, dict, dict]:
        factors = self.spec.factors
        sds = {f.name: self.draws(f.sd_var) for f in factors}
        cors = {f.name: self.draws(f.cor_var) if f.pairs() else None for f in factors}
        moments = {f.name: variance.factor_moment(self.design, f.name) for f in factors}
        return sds, cors, moments

    def random_effects(self, factor: str, *, prob: float = 0.95, dpar: str | None = None) -> pd.DataFrame:
        """Posterior group effects (deviations ``u``) of each level of ``factor``.

        ``dpar="sigma"``: those of ``factor`` in ``sigma``'s formula (link scale).
        """
        if dpar is not None:
            return self._dpar(dpar).random_effects(factor, prob=prob)
        spec = factor_or_error(self.spec, factor)
        parts = [
            effects.group_effects_table(spec, self.draws(spec.u_var, levels), prob=prob, levels=levels)
            for levels in self.level_blocks(spec)
        ]
        return effects.in_level_order(spec, parts)

    def coef(self, factor: str, *, prob: float = 0.95, dpar: str | None = None) -> pd.DataFrame:
        """Each level's own coefficients (fixed + group effect), like lme4's ``coef()``.

        Group effects of every term of the same grouping columns add up, so
        for ``(1 | g) + (x | g)`` (lme4's separate terms ``g`` and ``g.1``)
        the intercept of a level is the fixed intercept plus both of its
        group intercepts. ``dpar="sigma"``: the coefficients of ``sigma``'s
        formula (link scale: log sigma).

        Returns
        -------
        pandas.DataFrame
            Index ``(level, coefficient)``; ``.unstack()`` on ``mean`` gives
            lme4's wide layout.
        """
        if dpar is not None:
            return self._dpar(dpar).coef(factor, prob=prob)
        spec = factor_or_error(self.spec, factor)
        parts = []
        for levels in self.level_blocks(spec):
            draws, names, _ = self._coefficient_draws(factor, levels)
            parts.append(effects.coefficients_table(spec, draws, names, prob=prob, levels=levels))
        return effects.in_level_order(spec, parts)

    def coef_draws(self, factor: str, *, dpar: str | None = None) -> xr.DataArray:
        """Posterior draws of each level's own coefficients (fixed + group effect).

        The draws behind :meth:`coef`, for questions a summary cannot answer,
        such as the probability that a person's slope is negative:
        ``(fit.coef_draws("person").sel(coefficient="x") < 0).mean(("chain", "draw"))``.

        Parameters
        ----------
        factor : str
            Grouping factor.
        dpar : str, optional
            A family parameter with a formula of its own: its factor's
            coefficients (link scale).

        Returns
        -------
        xarray.DataArray
            Dims ``(chain, draw, <factor>__level, coefficient)``, labelled by level and
            coefficient name.
        """
        if dpar is not None:
            return self._dpar(dpar).coef_draws(factor)
        values, names, spec = self._coefficient_draws(factor)
        coords = {
            "chain": self.posterior["chain"].values,
            "draw": self.posterior["draw"].values,
            spec.level_dim: list(spec.levels),
            "coefficient": names,
        }
        return xr.DataArray(values, dims=list(coords), coords=coords, name="coef")

    def _coefficient_draws(
        self, factor: str, levels: np.ndarray | None = None
    ) -> tuple[np.ndarray, list[str], FactorSpec]:
        """Per-level coefficient draws of ``factor`` (``levels`` only), sibling terms (``g.1``) included."""
        spec = factor_or_error(self.spec, factor)
        siblings = [f for f in self.spec.factors if f.columns == spec.columns]
        u = [self.draws(f.u_var, levels) for f in siblings]
        b = self.draws(COEFFICIENTS) if self.spec.fixed else np.zeros(u[0].shape[:2] + (0,))
        values, names = effects.coefficient_draws(self.spec, siblings, b, u)
        return values, names, spec

    def _dpar(self, name: str) -> FitTables:
        """The tables of parameter ``name``'s formula (:class:`DparTables`)."""
        return DparTables(self, dpar_or_error(self.spec, name))

    def summary(self, *, prob: float = 0.95) -> pd.DataFrame:
        """All population-level parameters in one table."""
        parts = []
        for name in self.population_var_names():
            values = self.draws(name)
            values = values.reshape(values.shape[0], values.shape[1], -1)
            labels = draw_labels(self.spec, name)
            parts.append(summarize_draws(values, labels, prob=prob))
        return pd.concat(parts)


class DparTables(DparView, FitTables):
    """The tables of one parameter's formula (``sigma ~ arm + (1 | clinic)``), on its link scale.

    Its variance components have no residual rows.
    """

    def variance_components(self, *, prob: float = 0.95, dpar: str | None = None) -> pd.DataFrame:
        """SDs, variances and correlations of the formula's group effects (link scale)."""
        sds, cors, moments = self._group_moments()
        return variance.variance_components_table(self.spec.factors, sds, cors, moments, None, prob=prob)
