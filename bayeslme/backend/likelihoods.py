"""Observation models: the likelihood of the response given the linear predictor."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy import special

from bayeslme.backend.prior_vars import scalar_probability, scalar_scale
from bayeslme.backend.rescor import add_correlated_normal
from bayeslme.families import link_function, log_binomial_coefficient
from bayeslme.formula.rescor import RescorDesign
from bayeslme.spec import ModelSpec
from bayeslme.spec.names import CENTERED_THRESHOLDS, COEFFICIENTS, THRESHOLD_DIM, THRESHOLDS

__all__ = ["RESPONSE_DATA", "RESPONSE_NORMALISER", "add_likelihood"]

RESPONSE_DATA = "y__observed"
"""Name of the ``pm.Data`` container holding the observed response."""

RESPONSE_NORMALISER = "y__log_normaliser"
"""Name of the ``pm.Data`` container holding each row's log normalising constant.

The binomial coefficient (binomial) or ``-log(y!)`` (Poisson), computed once
from the data instead of three or one ``gammaln`` per row at every gradient
evaluation (the response is a data container, so PyTensor cannot fold them).
It depends on the response: whoever swaps :data:`RESPONSE_DATA` in a built
model must swap this too (bayeslme rebuilds the model for new data, so the
two always travel together there); a stale one shifts the log density by a
constant and leaves the posterior unchanged.
"""


def add_likelihood(
    spec: ModelSpec,
    eta: pt.TensorVariable,
    y: np.ndarray,
    trials: np.ndarray | None = None,
    rescor: RescorDesign | None = None,
    dpars: Mapping[str, pt.TensorVariable] | None = None,
) -> None:
    """Add the observed response variable ``y`` to the current model.

    Parameters
    ----------
    spec : ModelSpec
        Family, link and priors of the family's own parameters.
    eta : TensorVariable, shape (n,)
        Linear predictor, offset included.
    y : ndarray, shape (n,)
        Observed response (successes for binomial).
    trials : ndarray, optional
        Number of trials per row (binomial).
    rescor : RescorDesign, optional
        Index arrays of a residual correlation term (Gaussian only; see
        :mod:`bayeslme.backend.rescor`).
    dpars : mapping of str to TensorVariable, optional
        Family parameters modelled by formulas (:class:`~bayeslme.spec.DparSpec`),
        one value per row, in place of the single scalar parameter.
    """
    family, link = spec.family, spec.link
    scale = _ParameterSource(spec, dpars or {})
    # The response enters as a data container, not a graph constant, so that
    # a refit on a new response of the same shape (SBC, bootstrap, a cached
    # session) reuses the compiled model. PyMC leaves a container used as
    # observed data out of ``constant_data``; the values stay in ``observed_data``.
    y_values = np.asarray(y, dtype=float)
    y = pm.Data(RESPONSE_DATA, y, dims="obs")
    if family == "gaussian":
        sigma = scale("sigma")
        if spec.rescor is not None and rescor is not None:
            add_correlated_normal(spec.rescor, rescor, eta, sigma, spec.priors[spec.rescor.kind], y)
        else:
            pm.Normal("y", mu=eta, sigma=sigma, observed=y, dims="obs")
    elif family == "student_t":
        sigma = scale("sigma")
        nu = scale("nu")
        pm.StudentT("y", nu=nu, mu=eta, sigma=sigma, observed=y, dims="obs")
    elif family == "bernoulli":
        if link == "logit":
            pm.CustomDist("y", eta, dist=_bernoulli_logit, logp=_bernoulli_logit_logp, observed=y, dims="obs")
        else:
            pm.Bernoulli("y", p=_probit_probability(eta), observed=y, dims="obs")
    elif family == "binomial":
        n = pm.Data("trials", np.asarray(trials, dtype=np.int64), dims="obs")
        if link == "logit":
            log_choose = log_binomial_coefficient(trials, y_values)
            normaliser = pm.Data(RESPONSE_NORMALISER, log_choose, dims="obs")
            pm.CustomDist(
                "y",
                eta,
                n,
                normaliser,
                dist=_binomial_logit,
                logp=_binomial_logit_logp,
                observed=y,
                dims="obs",
            )
        else:
            pm.Binomial("y", n=n, p=_probit_probability(eta), observed=y, dims="obs")
    elif family == "poisson":
        normaliser = pm.Data(RESPONSE_NORMALISER, -special.gammaln(y_values + 1.0), dims="obs")
        pm.CustomDist("y", eta, normaliser, dist=_poisson_log, logp=_poisson_log_logp, observed=y, dims="obs")
    elif family == "negativebinomial":
        alpha = scale("alpha")
        pm.NegativeBinomial("y", mu=pt.exp(eta), alpha=alpha, observed=y, dims="obs")
    else:
        _add_other_likelihood(spec, eta, y, y_values, scale)


class _ParameterSource:
    """Each family parameter: the rows' values of its formula, else one scalar with its prior."""

    def __init__(self, spec: ModelSpec, dpars: Mapping[str, pt.TensorVariable]) -> None:
        self._spec = spec
        self._dpars = dpars

    def __call__(self, name: str) -> pt.TensorVariable:
        if name in self._dpars:
            return self._dpars[name]
        if name in ("zi", "hu"):
            return scalar_probability(name, self._spec.priors[name])
        return scalar_scale(name, self._spec.priors[name])


def _add_other_likelihood(
    spec: ModelSpec,
    eta: pt.TensorVariable,
    y: pt.TensorVariable,
    y_values: np.ndarray,
    scale: _ParameterSource,
) -> None:
    """The families added with issue 21, in brms's parametrizations (:mod:`bayeslme.families`)."""
    family = spec.family
    if family == "gamma":
        shape = scale("shape")
        pm.Gamma("y", alpha=shape, beta=shape * pt.exp(-eta), observed=y, dims="obs")
    elif family == "lognormal":
        sigma = scale("sigma")
        pm.LogNormal("y", mu=eta, sigma=sigma, observed=y, dims="obs")
    elif family == "beta":
        phi = scale("phi")
        mu = pt.sigmoid(eta)
        pm.Beta("y", alpha=mu * phi, beta=(1 - mu) * phi, observed=y, dims="obs")
    elif family == "cumulative":
        thresholds = _thresholds(spec, y_values)
        kinds = {"logit": pm.OrderedLogistic, "probit": pm.OrderedProbit}
        kinds[spec.link]("y", eta=eta, cutpoints=thresholds, compute_p=False, observed=y - 1, dims="obs")
    elif family in _ZERO_MODELS:
        zero = "zi" if family.startswith("zero_inflated") else "hu"
        psi = 1 - scale(zero)  # PyMC's psi: the count part's share
        kwargs = {"mu": pt.exp(eta)}
        if family.endswith("negativebinomial"):
            kwargs["alpha"] = scale("alpha")
        _ZERO_MODELS[family]("y", psi=psi, observed=y, dims="obs", **kwargs)
    else:
        raise NotImplementedError(family)  # families are validated before this point


def _thresholds(spec: ModelSpec, y: pt.TensorVariable) -> pt.TensorVariable:
    """An ordinal model's increasing cut points, started at the empirical cumulative proportions' link.

    The predictors enter centred at their means (:attr:`ModelSpec.column_means`),
    as brms centres them: the cut points sampled, with the prior, are those at
    the means (``thresholds_centered``), which do not trade off against the
    slopes; ``thresholds = thresholds_centered + x_means . b`` are the cut
    points of the uncentred predictors, what every result reads. Returns the
    centred ones (the linear predictor is centred too).
    """
    prior = spec.priors[THRESHOLDS]
    observed = np.asarray(y.get_value() if hasattr(y, "get_value") else y.data, dtype=float)
    K = len(spec.response_levels or ())
    share = np.clip(
        np.cumsum(np.bincount(observed.astype(int) - 1, minlength=K))[:-1] / observed.size, 0.02, 0.98
    )
    start = np.maximum.accumulate(link_function(spec.link, share) + np.arange(K - 1) * 1e-3)
    kwargs = {"dims": THRESHOLD_DIM, "transform": pm.distributions.transforms.ordered, "initval": start}
    if prior.dist == "flat":
        centred = pm.Flat(CENTERED_THRESHOLDS, **kwargs)
    elif prior.dist == "normal":
        centred = pm.Normal(CENTERED_THRESHOLDS, mu=prior["mu"], sigma=prior["sigma"], **kwargs)
    else:
        centred = pm.StudentT(
            CENTERED_THRESHOLDS, nu=prior["nu"], mu=prior["mu"], sigma=prior["sigma"], **kwargs
        )
    shift = pt.dot(spec.column_means, pm.modelcontext(None)[COEFFICIENTS]) if spec.fixed else 0.0
    pm.Deterministic(THRESHOLDS, centred + shift, dims=THRESHOLD_DIM)
    return centred


_ZERO_MODELS = {
    "zero_inflated_poisson": pm.ZeroInflatedPoisson,
    "zero_inflated_negativebinomial": pm.ZeroInflatedNegativeBinomial,
    "hurdle_poisson": pm.HurdlePoisson,
    "hurdle_negativebinomial": pm.HurdleNegativeBinomial,
}


def _probit_probability(eta: pt.TensorVariable) -> pt.TensorVariable:
    """The normal CDF of ``eta``, kept inside [1e-12, 1 - 1e-12] so log p and log(1 - p) stay finite."""
    p = 0.5 * pt.erfc(-eta / np.sqrt(2.0))
    return pt.clip(p, 1e-12, 1 - 1e-12)


# Logit- and log-link densities written on the linear predictor. PyMC's own
# Bernoulli, Binomial and Poisson give the same values but evaluate them
# through several switches, bounds checks and (with a data-container
# response) the normalising constant at every gradient; the response is
# validated before the model is built (0/1, 0 <= y <= trials, counts), so none
# of that is needed, and the likelihood fuses into one loop over the rows.
# Each pairs with PyMC's distribution for drawing.


def _bernoulli_logit(eta: pt.TensorVariable, size: pt.TensorVariable) -> pt.TensorVariable:
    return pm.Bernoulli.dist(logit_p=eta, size=size)


def _softplus(x: pt.TensorVariable) -> pt.TensorVariable:
    """``log(1 + exp(x))`` as ``max(x, 0) + log1p(exp(-|x|))`` with one shared exponential.

    Exact to rounding at any ``x``. Value and gradient (the logistic,
    ``exp(-|x|) / (1 + exp(-|x|))`` on one side of 0) both use the single
    ``exp(-|x|)``, written as ``exp2(-|x| log2(e))`` so that PyTensor's
    stabilising rewrites, which turn ``log1p(exp(.))`` and ``exp(.) / (1 + exp(.))``
    into its ``softplus`` and ``sigmoid`` with one exponential each, leave it
    alone: 15 % less time per gradient of a 10,000-row Bernoulli model
    (``docs/performance.md``). ``max(x, 0)`` is ``(x + |x|) / 2`` so that the
    gradient at exactly 0 is the logistic's 1/2.
    """
    magnitude = pt.abs(x)
    return 0.5 * (x + magnitude) + pt.log1p(pt.exp2(-_LOG2_E * magnitude))


_LOG2_E = 1.4426950408889634
"""log2(e): ``exp2(-a * log2(e)) = exp(-a)``."""


def _bernoulli_logit_logp(value: pt.TensorVariable, eta: pt.TensorVariable) -> pt.TensorVariable:
    # log sigmoid(eta) for y = 1, log sigmoid(-eta) for y = 0, without cancellation.
    return -_softplus((1 - 2 * value) * eta)


def _binomial_logit(
    eta: pt.TensorVariable, trials: pt.TensorVariable, normaliser: pt.TensorVariable, size: pt.TensorVariable
) -> pt.TensorVariable:
    return pm.Binomial.dist(n=trials, logit_p=eta, size=size)


def _binomial_logit_logp(
    value: pt.TensorVariable, eta: pt.TensorVariable, trials: pt.TensorVariable, normaliser: pt.TensorVariable
) -> pt.TensorVariable:
    # y log p + (n - y) log(1 - p) with log p = eta - softplus(eta), log(1 - p) = -softplus(eta).
    return value * eta - trials * _softplus(eta) + normaliser


def _poisson_log(
    eta: pt.TensorVariable, normaliser: pt.TensorVariable, size: pt.TensorVariable
) -> pt.TensorVariable:
    return pm.Poisson.dist(mu=pt.exp(eta), size=size)


def _poisson_log_logp(
    value: pt.TensorVariable, eta: pt.TensorVariable, normaliser: pt.TensorVariable
) -> pt.TensorVariable:
    return value * eta - pt.exp(eta) + normaliser
