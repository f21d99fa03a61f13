"""Public model classes: :class:`LMM` (Gaussian) and :class:`GLMM` (other families)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from bayeslme.bigdata.design import is_source, streamed_parts
from bayeslme.errors import FormulaError, PriorError, SamplerError
from bayeslme.families import Family, get_family
from bayeslme.formula.design import Design, build_design, numeric_group_columns
from bayeslme.formula.distributional import split_formulas
from bayeslme.formula.parse import parse_formula
from bayeslme.model_checks import check_group_terms, check_response
from bayeslme.priors import Prior
from bayeslme.results.fit import Fit, PriorFit
from bayeslme.spec import ModelSpec
from bayeslme.spec.build import build_spec
from bayeslme.spec.dpars import add_dpars, rows_for_dpars, split_priors

__all__ = ["GLMM", "LMM"]

_log = logging.getLogger("bayeslme")


class GLMM:
    """A Bayesian generalized linear mixed model.

    Parameters
    ----------
    formula : str or list of str
        lme4-style formula, e.g. ``"y ~ x + (1 + x | g)"``; or a list of the
        mean's formula followed by formulas of the family's own parameters,
        as brms's ``bf()`` and bambi's ``Formula``:
        ``["y ~ x + (1 | g)", "sigma ~ arm + (1 | clinic)"]`` lets the
        residual SD differ by arm and clinic (log link). ``sigma`` (gaussian,
        student_t, lognormal), ``phi`` (beta), ``shape`` (gamma), ``alpha``
        (negative binomial, log link) and ``zi``/``hu`` (logit link) may have
        formulas; see ``docs/families.md``.
    data : pandas.DataFrame or str
        One row per observation. Rows with missing values in model columns
        are dropped with a :class:`~bayeslme.errors.DroppedRowsWarning`. A
        path, glob pattern or directory of Parquet files (or
        ``bl.scan_parquet(...)``) is read in batches by DuckDB and kept as
        sums (Gaussian, one factor or two nested ones; see ``docs/bigdata.md``).
    family : str
        Response distribution: ``"gaussian"``, ``"student_t"`` (robust,
        degrees of freedom estimated), ``"bernoulli"`` (0/1, booleans or two
        levels), ``"binomial"`` (``cbind(successes, failures)`` or
        ``successes | trials(n)`` on the left of ``~``), ``"poisson"``,
        ``"negativebinomial"``, ``"gamma"``, ``"lognormal"``, ``"beta"``,
        zero-inflated and hurdle counts, ``"cumulative"`` (ordinal): see
        ``docs/families.md``. Log-link families accept ``offset(log(exposure))``.
    link : str, optional
        Link function; the family's canonical link by default (``"logit"``
        or ``"probit"`` for bernoulli and binomial).
    priors : mapping of str to Prior, optional
        Overrides of the default priors (keys in :mod:`bayeslme.priors`).

    Raises
    ------
    FormulaError, DataError, FamilyError, PriorError
        For invalid input, naming the culprit.

    Examples
    --------
    >>> import bayeslme as bl
    >>> model = bl.GLMM(
    ...     "cbind(incidence, size - incidence) ~ period + (1 | herd)",
    ...     data=bl.datasets.cbpp(),
    ...     family="binomial",
    ... )
    >>> fit = model.fit(draws=500, chains=2, random_seed=1)  # doctest: +SKIP
    """

    def __init__(
        self,
        formula: str | Sequence[str],
        data: pd.DataFrame,
        *,
        family: str = "gaussian",
        link: str | None = None,
        priors: Mapping[str, Prior] | None = None,
    ):
        if priors is not None and not isinstance(priors, Mapping):
            raise PriorError(
                f"priors must be a dict mapping keys such as 'b' or 'sd[g]' to bayeslme.Prior, "
                f"got {type(priors).__name__}"
            )
        self.family: Family = get_family(family)
        self.link: str = self.family.check_link(link)
        text, dpars = split_formulas(formula, self.family.parameters(), self.family.name)
        self.formula = parse_formula(text)
        check_group_terms(self.formula)
        if is_source(data):  # Parquet files: statistics streamed by DuckDB (bayeslme.bigdata)
            if dpars:
                raise FormulaError(
                    "distributional formulas need the data in memory (a data frame); Parquet files are "
                    "read as sums, which a residual SD that differs by row does not reduce to",
                    dpars[0].text,
                )
            self.design, self.spec = streamed_parts(self.formula, data, self.family, self.link, priors)
            return
        priors, dpar_priors = split_priors(priors, tuple(d.name for d in dpars))
        if dpars:  # every formula on the same rows: drop those missing a parameter's column too
            data = rows_for_dpars(self.formula, dpars, data)
        self.design: Design = build_design(self.formula, data, family=self.family.name)
        check_response(self.design, self.family)
        numeric = numeric_group_columns(self.design)
        if numeric:
            _log.info("numeric grouping columns %s are read as category labels", numeric)
        scale = self.family.response_scale(self.design.y, self.link, self.design.trials, self.design.offset)
        self.spec: ModelSpec = build_spec(
            self.design,
            family=self.family.name,
            link=self.link,
            priors=priors,
            response_scale=scale,
            family_priors={
                name: prior
                for name, prior in self.family.family_priors(self.design.y).items()
                if name not in dpar_priors
            },
        )
        if dpars:
            self.design, self.spec = add_dpars(self.design, self.spec, dpars, self.family, dpar_priors)

    def build(self) -> Any:
        """The PyMC model (non-centered group effects, LKJ correlations)."""
        from bayeslme.backend.pymc_model import build_pymc_model

        return build_pymc_model(self.spec, self.design)

    def prior_predictive(self, draws: int = 500, *, random_seed: int | None = None) -> PriorFit:
        """Draws from the priors and the responses they imply, viewed as a fit.

        Every table, prediction and plot of a :class:`Fit` works on the result
        and describes the prior: ``prior.plot.ppc()`` (simulated against
        observed responses), ``prior.ppc()``, ``prior.r2()``,
        ``prior.predictions(...)``. ``prior.idata`` has PyMC's layout: groups
        ``prior``, ``prior_predictive`` and ``observed_data``.

        Parameters
        ----------
        draws : int
            Number of independent prior draws.
        random_seed : int, optional
            Same seed, same draws.

        Returns
        -------
        PriorFit

        Raises
        ------
        PriorError
            A flat (improper) prior, named.
        """
        from bayeslme.validate.prior_predictive import prior_predictive_tree

        tree = prior_predictive_tree(self, draws, random_seed)
        info = {"sampler": "prior", "draws": draws, "chains": 1, "random_seed": random_seed}
        return PriorFit(spec=self.spec, design=self.design, idata=tree, info=info)

    def fit(
        self,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        random_seed: int | None = None,
        sampler: str = "auto",
        target_accept: float = 0.8,
        progressbar: bool = True,
        method: str = "auto",
        centered: str | bool | Sequence[str] | None = None,
    ) -> Fit:
        """Sample the posterior with NUTS.

        Parameters
        ----------
        draws, tune, chains : int
            Kept draws per chain, warm-up iterations per chain, chains.
        random_seed : int, optional
            Same seed, same draws.
        sampler : {"auto", "nutpie", "pymc", "numpyro", "blackjax"}
            ``"auto"`` uses nutpie when installed.
        target_accept : float
            NUTS target acceptance rate (0.8, the default of PyMC, nutpie,
            bambi and brms); raise it if there are divergences.
        progressbar : bool
            Show sampling progress.
        method : {"auto", "collapsed", "marginal", "noncentered"}
            ``"collapsed"`` integrates the group effects out of a Gaussian
            likelihood (one grouping factor, or two nested factors such as
            ``(1 | school/class)``) and draws them afterwards from
            their exact conditional distribution: same posterior, sampling
            cost independent of the number of rows. ``"marginal"``
            integrates one factor out of a Gaussian likelihood with two or
            more factors (crossed designs such as subjects x items): the
            factor with the most group effects, given the others, which are
            sampled non-centered; its effects are drawn afterwards from their
            exact conditional; same posterior, cost per evaluation
            proportional to the rows (needs nutpie). ``"auto"`` uses
            ``"collapsed"`` where it applies, then ``"marginal"`` where the
            factors left to sample are intercepts alone (measured better
            there; with slopes left it was no faster), and the non-centered
            model otherwise; ``fit.info["method"]`` says which.
        centered : None, "auto", bool or list of str
            Which sampled grouping factors are sampled in the centered form
            (the group effects themselves, with prior ``N(0, Sigma)``)
            instead of as standardized ``z``: the same posterior, better
            mixing for factors whose levels the data pin down (cbpp's herds:
            42 % more bulk ESS), worse for others (crossed designs sampled
            whole, observation-level effects; see ``docs/performance.md``).
            ``None`` (default): ``"auto"`` for the factors that method
            ``"marginal"`` leaves to sample (crossed10k's items: bulk ESS of
            their SD 233-258 non-centered, 4,583-5,744 centered), ``False``
            for the other methods. ``False`` samples every factor
            non-centered; ``True`` centres all; a list names the centered
            factors; ``"auto"`` decides per intercept-only factor from the
            data (:mod:`bayeslme.kernel.parametrization`), the default for
            families without the precompiled kernel (gamma, beta, ...).
            ``fit.info["centered"]`` lists the choice.

        Returns
        -------
        Fit

        Warns
        -----
        ConvergenceWarning
            When diagnostics (divergences, R-hat, ESS, tree depth, E-BFMI) flag problems.
        SingularFitWarning
            When a group-effect SD piles up at zero (see :attr:`Fit.singular`).
        """
        from bayeslme.backend.build import build_model, finish_idata, resolve_method
        from bayeslme.backend.sampling import SamplerSettings, run_sampler
        from bayeslme.kernel.factor_choice import integrated_factors
        from bayeslme.kernel.parametrization import centered_names, resolve_centered, resolve_dpar_centered
        from bayeslme.kernel.records import FAMILIES as KERNEL_FAMILIES
        from bayeslme.kernel.sample import kernel_reason, sample_with_kernel
        from bayeslme.results.diagnostics import check_diagnostics, check_singular

        settings = SamplerSettings(
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            target_accept=target_accept,
            random_seed=random_seed,
            progressbar=progressbar,
        )
        named = isinstance(centered, Sequence) and not isinstance(centered, str) and len(centered) > 0
        asked = method
        method = resolve_method(self.spec, method, self.design)
        if asked == "auto" and (centered is True or named):
            # Centered factors are sampled per level: none of them may be integrated out.
            chosen = {f.name for f in self.spec.factors} if centered is True else set(centered)
            if chosen & set(integrated_factors(self.spec, method, self.design)):
                method = "noncentered"
        reason = kernel_reason(self.spec, self.design, method, settings.resolved_sampler())
        if method == "marginal" and reason is not None:
            if asked != "auto":
                raise SamplerError(f"method='marginal' needs the precompiled kernel (nutpie): {reason}")
            _log.info("method 'auto' samples non-centered: the marginal method needs the kernel (%s)", reason)
            method = "noncentered"
            reason = kernel_reason(self.spec, self.design, method, settings.resolved_sampler())
        if centered is None:  # "auto" where measured better: marginal's factors, PyMC's model's families
            pymc_only = self.spec.family not in KERNEL_FAMILIES or bool(self.spec.dpars)
            centered = "auto" if method == "marginal" or pymc_only else False
        flags = resolve_centered(self.spec, self.design, method, centered)
        dpar_flags = resolve_dpar_centered(self.spec, self.design, centered)
        start = time.perf_counter()
        if reason is None:
            # The precompiled log density: nothing to build or compile for this formula.
            build_seconds = 0.0
            idata, timing = sample_with_kernel(self.spec, self.design, method, settings, centered=flags)
            timing = {"sampler": "nutpie", **timing}
        else:  # PyMC's model, with the centered factors as resolved
            model, cache_key = build_model(self.spec, self.design, method, flags, dpar_flags)
            build_seconds = time.perf_counter() - start
            idata, timing = run_sampler(model, settings, cache_key=cache_key)
        start = time.perf_counter()
        idata = finish_idata(idata, self.spec, self.design, method, random_seed)
        info = {
            "method": method,
            "build_seconds": build_seconds,
            "postprocess_seconds": time.perf_counter() - start,
            "draws": draws,
            "tune": tune,
            "chains": chains,
            "random_seed": random_seed,
            "target_accept": target_accept,
            "centered": centered_names(self.spec, flags, dpar_flags),
            "integrated": integrated_factors(self.spec, method, self.design),
            **timing,
        }
        result = Fit(spec=self.spec, design=self.design, idata=idata, info=info)
        check_diagnostics(result.diagnostics)
        check_singular(result.singular)
        return result

    def __repr__(self) -> str:
        factors = ", ".join(f"{f.name} ({len(f.levels)} levels)" for f in self.spec.factors)
        numeric = numeric_group_columns(self.design)
        note = f", numeric grouping columns read as labels: {numeric}" if numeric else ""
        return (
            f"{type(self).__name__}({self.spec.formulas!r}, family={self.spec.family!r}, "
            f"n_obs={self.spec.n_obs}, groups=[{factors}]{note})"
        )

    def __str__(self) -> str:
        from bayeslme.report.text import model_text

        return model_text(self.spec)

    def _repr_html_(self) -> str:
        from bayeslme.report.html import sections_html
        from bayeslme.report.tables import model_sections

        return sections_html(model_sections(self.spec))


class LMM(GLMM):
    """A Bayesian linear mixed model (Gaussian response, identity link).

    Parameters
    ----------
    formula : str or list of str
        lme4-style formula, e.g. ``"Reaction ~ Days + (Days | Subject)"``;
        a list adds a formula for the residual SD, ``"sigma ~ ..."`` (see :class:`GLMM`).
    data : pandas.DataFrame
        One row per observation.
    priors : mapping of str to Prior, optional
        Overrides of the default priors.

    Examples
    --------
    >>> import bayeslme as bl
    >>> model = bl.LMM("Reaction ~ Days + (Days | Subject)", data=bl.datasets.sleepstudy())
    >>> fit = model.fit(draws=500, chains=2, random_seed=1)  # doctest: +SKIP
    """

    def __init__(
        self, formula: str | Sequence[str], data: pd.DataFrame, *, priors: Mapping[str, Prior] | None = None
    ):
        super().__init__(formula, data, family="gaussian", priors=priors)
