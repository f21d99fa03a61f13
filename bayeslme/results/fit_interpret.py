"""Interpretation of a fit on the outcome scale: predictions, comparisons, slopes, means, hypotheses.

:class:`FitInterpret` is a part of :class:`bayeslme.Fit`; each method hands
the fit to a function of :mod:`bayeslme.interpret`, which reads only what
:class:`bayeslme.results.view.FitLike` names. See ``docs/interpretation.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import xarray as xr

__all__ = ["FitInterpret"]

Grid = Mapping[str, Any] | pd.DataFrame | None


class FitInterpret:
    """Questions on the outcome scale, answered draw by draw (mixed into ``Fit``)."""

    def predictions(
        self,
        grid: Grid = None,
        *,
        by: str | Sequence[str] | None = None,
        groups: str = "auto",
        scale: str = "response",
        prob: float = 0.95,
        summary: bool = True,
        random_seed: int | None = None,
    ) -> pd.DataFrame | xr.DataArray:
        """Expected outcomes over a data grid, or averaged over the fitting rows.

        Parameters
        ----------
        grid : dict or pandas.DataFrame, optional
            Where to predict: a dict of column values for
            :func:`bayeslme.datagrid` (``{"Days": [0, 5, 9]}``; unnamed columns at
            typical values) or rows of data. ``None``: the fitting rows,
            averaged (within ``by`` groups).
        by : str or list of str, optional
            Average the predictions over the rows of each combination of
            these columns (every row weighs the same).
        groups : {"auto", "conditional", "population"}
            Include group effects (``"conditional"``) or not
            (``"population"``, lme4's ``re.form = NA``). ``"auto"``: include
            them exactly when a grouping column is named in ``grid`` or
            ``by``. Levels absent from the fit get fresh effects drawn from
            the population.
        scale : {"response", "link"}
            Expected outcome (probability, count, ...) or linear predictor.
        prob : float
            Probability of the equal-tailed interval.
        summary : bool
            ``True``: a table; ``False``: draws ``(chain, draw, row)`` with the
            label columns as coordinates (for :meth:`hypothesis` ``on=``).
        random_seed : int, optional
            Seed for the effects of new levels.

        Returns
        -------
        pandas.DataFrame or xarray.DataArray
            The label columns, then ``mean, sd`` and the interval.

        Examples
        --------
        >>> fit.predictions({"Days": [0, 9]})                       # doctest: +SKIP
        >>> fit.predictions({"Days": "all", "Subject": ["308"]})     # doctest: +SKIP
        """
        from bayeslme.interpret.effects import predictions

        return predictions(
            self, grid, by=by, groups=groups, scale=scale, prob=prob, summary=summary, random_seed=random_seed
        )

    def comparisons(
        self,
        variable: str,
        *,
        values: Any = None,
        by: str | Sequence[str] | None = None,
        grid: Grid = None,
        comparison: str = "difference",
        groups: str = "auto",
        scale: str = "response",
        prob: float = 0.95,
        summary: bool = True,
        random_seed: int | None = None,
    ) -> pd.DataFrame | xr.DataArray:
        """Differences (or ratios) of expected outcomes between values of ``variable``.

        Each row of the data (the fitting rows, or the grid) is predicted
        at both values; the contrast is averaged over the rows (within ``by``
        groups) draw by draw, as marginaleffects' ``avg_comparisons`` does.

        Parameters
        ----------
        variable : str
            The column whose values are compared.
        values : optional
            Categorical: ``None`` (each level against the first, the
            reference level), ``"pairwise"`` or ``(low, high)``. Numeric:
            ``None`` (+1), a step, ``"sd"`` (+1 SD) or ``(low, high)``.
        by, grid, groups, scale, prob, summary, random_seed
            As in :meth:`predictions`. With a grid and no ``by``, one
            contrast per grid row (``grid={"Days": [0, 9]}``: the
            treatment effect at each day).
        comparison : {"difference", "ratio"}
            ``"ratio"`` divides the averaged predictions (marginaleffects'
            ``ratioavg``): a risk or rate ratio on the response scale.

        Returns
        -------
        pandas.DataFrame or xarray.DataArray
            ``term``, ``contrast``, the label columns, ``mean, sd``, the
            interval and the posterior probability that the contrast exceeds
            0 (1 for ratios).
        """
        from bayeslme.interpret.effects import comparisons

        return comparisons(
            self,
            variable,
            values=values,
            by=by,
            grid=grid,
            comparison=comparison,
            groups=groups,
            scale=scale,
            prob=prob,
            summary=summary,
            random_seed=random_seed,
        )

    def slopes(
        self,
        variable: str,
        *,
        by: str | Sequence[str] | None = None,
        grid: Grid = None,
        groups: str = "auto",
        scale: str = "response",
        eps: float | None = None,
        prob: float = 0.95,
        summary: bool = True,
        random_seed: int | None = None,
    ) -> pd.DataFrame | xr.DataArray:
        """Derivative of the expected outcome with respect to a numeric ``variable``.

        A central finite difference on every row, draw by draw, averaged over
        the rows (within ``by``). ``slopes("Days", by="Subject")`` gives each
        subject's own slope (group effects included because a grouping
        column is named); for a GLMM on the response scale this is the
        subject's change in probability or count per unit.

        Parameters
        ----------
        eps : float, optional
            Step of the difference; 1e-4 times the observed range by default.
        by, grid, groups, scale, prob, summary, random_seed
            As in :meth:`predictions`.
        """
        from bayeslme.interpret.effects import slopes

        return slopes(
            self,
            variable,
            by=by,
            grid=grid,
            groups=groups,
            scale=scale,
            eps=eps,
            prob=prob,
            summary=summary,
            random_seed=random_seed,
        )

    def marginal_means(
        self,
        specs: str | Sequence[str],
        *,
        by: str | Sequence[str] | None = None,
        scale: str = "response",
        prob: float = 0.95,
        summary: bool = True,
    ) -> pd.DataFrame | xr.DataArray:
        """Estimated marginal means (emmeans) of categorical predictors, draw by draw.

        The reference grid crosses the levels of every categorical predictor
        with numeric predictors at their means; population-level linear
        predictors are averaged with equal weights over the factors not
        named, then back-transformed (``scale="response"``), as emmeans'
        ``emmeans(fit, specs, by, type = "response")``.

        Parameters
        ----------
        specs : str or list of str
            Categorical predictor column(s) whose levels get a mean each.
        by : str or list of str, optional
            Further categorical columns: means for each of their levels.
        scale : {"response", "link"}
        prob, summary
            As in :meth:`predictions`.
        """
        from bayeslme.interpret.means import marginal_means

        return marginal_means(self, specs, by=by, scale=scale, prob=prob, summary=summary)

    def hypothesis(
        self,
        hypotheses: str | Sequence[str],
        *,
        on: xr.DataArray | None = None,
        prob: float = 0.95,
        random_seed: int | None = None,
    ) -> pd.DataFrame:
        """Posterior of hypotheses about parameters or about interpretation results (brms style).

        Parameters
        ----------
        hypotheses : str or list of str
            Relations such as ``"Days > 8"``, ``"b[treatB] - b[treatC] = 0"``,
            ``"sd[Subject|Days] < 10"``, ``"exp(b[x]) > 1.2"``. Names are
            the table labels (``b[...]``, ``sd[...]``, ``cor[...]``,
            ``sigma``) or bare coefficient names. With ``on``: ``b1, b2, ...``
            are the result's rows in order (``"b2 - b1 = 0"``).
        on : xarray.DataArray, optional
            Draws of a :meth:`predictions`, :meth:`comparisons`,
            :meth:`slopes` or :meth:`marginal_means` result (``summary=False``).
        prob : float
            Probability of the equal-tailed interval.
        random_seed : int, optional
            Seed of the prior draws of the Savage-Dickey ratio.

        Returns
        -------
        pandas.DataFrame
            ``hypothesis``, ``mean, sd`` and the interval of ``left - right``;
            ``post_prob`` (the probability that an inequality holds) and
            ``evidence_ratio`` (``post_prob / (1 - post_prob)``, or for ``=``
            the Savage-Dickey Bayes factor in favour of the point
            hypothesis; NaN where a prior is improper or with ``on``).
        """
        from bayeslme.interpret.hypothesis import hypothesis

        return hypothesis(self, hypotheses, on=on, prob=prob, random_seed=random_seed)
