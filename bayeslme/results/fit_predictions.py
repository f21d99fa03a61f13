"""Predictions and model checks of a fit: predict, personalize, R², LOO, PPC.

:class:`FitPredictions` is a part of :class:`bayeslme.Fit`; each method hands
the fit to a function of :mod:`bayeslme.results.prediction`,
:mod:`~bayeslme.results.personalized`, :mod:`~bayeslme.results.r2` or
:mod:`~bayeslme.results.checks`, which read only what
:class:`bayeslme.results.view.FitLike` names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import xarray as xr

if TYPE_CHECKING:
    from bayeslme.formula.design import Design
    from bayeslme.results.personalized import Personalized
    from bayeslme.spec import ModelSpec

__all__ = ["FitPredictions"]


class FitPredictions:
    """Prediction, personalisation, R² and model checking (mixed into ``Fit``)."""

    # Provided by Fit: spec, design, idata, posterior, draws(name), latent_variances().
    spec: ModelSpec
    design: Design
    idata: xr.DataTree

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
        group of :attr:`idata` (used by :meth:`ppc`), as PyMC's
        ``extend_inferencedata`` and bambi's ``inplace`` do. This adds a derived
        group to the DataTree the fit holds; the fit's fields and its sampled
        groups (posterior, sample stats, data) never change.
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
        :attr:`idata`, so that ArviZ functions accept ``fit.idata`` directly
        (a derived group added, as with :meth:`posterior_predictive`).
        """
        from bayeslme.results.checks import arviz_tree

        group = arviz_tree(self)["log_likelihood"]
        if store:
            self.idata["log_likelihood"] = group.copy()
        return group.to_dataset()[next(iter(group.data_vars))]

    def log_prior(self, *, store: bool = True) -> xr.Dataset:
        """Log prior density of each draw, one ``(chain, draw)`` variable per population parameter.

        See :mod:`bayeslme.results.log_prior` (which priors count, as brms's
        ``lprior``). With ``store=True`` it is also kept as the ``log_prior``
        group of :attr:`idata`: with :meth:`log_likelihood` stored too,
        ``arviz_stats.psense_summary(fit.idata)`` runs on the fit.
        """
        from bayeslme.results.log_prior import LOG_PRIOR_GROUP, log_prior_dataset

        dataset = log_prior_dataset(self.spec, self.idata["posterior"].to_dataset())
        if store:
            self.idata[LOG_PRIOR_GROUP] = xr.DataTree(dataset)
        return dataset

    def prior_sensitivity(self, *, var_names: list[str] | None = None, **kwargs: Any) -> Any:
        """Power-scaling prior and likelihood sensitivity (:func:`arviz_stats.psense_summary`).

        A prior sensitivity above 0.05 flags a prior that shapes the
        posterior of that parameter (Kallioinen et al. 2024); a likelihood
        sensitivity below 0.05 flags data that say little about it.

        Parameters
        ----------
        var_names : list of str, optional
            Posterior variables to check; the population parameters by default.
        **kwargs
            Passed to :func:`arviz_stats.psense_summary`.

        Returns
        -------
        pandas.DataFrame
            One row per parameter, labelled as in :meth:`fixed_effects` and
            :meth:`variance_components` (``b[Days]``, ``sd[Subject|Days]``).
        """
        import arviz_stats

        from bayeslme.results.checks import LOG_LIK_VAR, arviz_tree
        from bayeslme.results.view import draw_labels

        names = var_names or self.population_var_names()
        kwargs.setdefault("likelihood_var_names", [LOG_LIK_VAR])
        table = arviz_stats.psense_summary(arviz_tree(self), var_names=names, **kwargs)
        labels = [label for name in names for label in draw_labels(self.spec, name)]
        if len(labels) == len(table):  # ArviZ lists the entries in variable and coordinate order
            table.index = labels
        return table

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
