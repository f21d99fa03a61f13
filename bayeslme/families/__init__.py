"""Response families: names, links, default priors and the numpy maths of each family.

This package holds the family *descriptions* (no PyMC). The likelihoods used
for sampling live in :mod:`bayeslme.backend.likelihoods`; everything here
works on plain numpy arrays of posterior draws. Each family is a
:class:`~bayeslme.families.base.Family` subclass; parametrizations follow
brms, whose names the parameters keep.

Families
--------
===================================  ==============  ================================================
family                               links           own parameters
===================================  ==============  ================================================
``gaussian``                         identity        ``sigma`` (residual SD)
``student_t``                        identity        ``sigma`` (scale), ``nu`` (degrees of freedom)
``bernoulli``                        logit, probit   none
``binomial``                         logit, probit   none (number of trials from the formula)
``poisson``                          log             none
``negativebinomial``                 log             ``alpha`` (Var = mu + mu^2 / alpha)
``gamma``                            log             ``shape`` (Var = mu^2 / shape)
``lognormal``                        identity        ``sigma`` (SD of log y; mu is the mean of log y)
``beta``                             logit           ``phi`` (Var = mu (1 - mu) / (1 + phi))
``zero_inflated_poisson``            log             ``zi`` (probability of a structural zero)
``zero_inflated_negativebinomial``   log             ``alpha``, ``zi``
``hurdle_poisson``                   log             ``hu`` (probability of a zero)
``hurdle_negativebinomial``          log             ``alpha``, ``hu``
===================================  ==============  ================================================

Latent-scale residual variance
------------------------------
:meth:`Family.latent_residual_variance` gives the distribution-specific
variance :math:`\\sigma^2_d` of Nakagawa, Johnson & Schielzeth (2017), used by
the ICC and the latent-scale R²:

* gaussian: :math:`\\sigma^2`; student_t: :math:`\\sigma^2 \\nu / (\\nu - 2)`
  (infinite for :math:`\\nu \\le 2`); lognormal: :math:`\\sigma^2` (log scale);
* bernoulli / binomial / cumulative: :math:`\\pi^2 / 3` (logit), :math:`1`
  (probit), the latent variable's residual variance;
* poisson (lognormal approximation): :math:`\\ln(1 + 1/\\lambda)`;
* negativebinomial (lognormal approximation):
  :math:`\\ln(1 + 1/\\lambda + 1/\\alpha)`;
* gamma (lognormal approximation): :math:`\\ln(1 + 1/\\text{shape})`;
* beta, zero-inflated and hurdle families: not defined by the paper; their
  ICC and latent-scale R² are reported as not available.

For the log-link count families :math:`\\lambda` is the expected count. The
paper uses :math:`\\lambda = \\exp(\\beta_0 + \\sigma^2_\\tau / 2)`; we use its
generalisation to any fixed part, the mean over the observed rows of
:math:`\\exp(\\eta_i + V_{\\text{random}} / 2)`, with :math:`\\eta_i` the fixed
linear predictor (plus offset) and :math:`V_{\\text{random}}` the group-effect
variance. With an intercept-only fixed part the two coincide.
``performance::r2_nakagawa`` instead takes :math:`\\beta_0` from a refitted
null model, so its Poisson values can differ slightly.

References
----------
Nakagawa, S., Johnson, P. C. D., & Schielzeth, H. (2017). The coefficient of
determination R2 and intra-class correlation coefficient from generalized
linear mixed-effects models revisited and expanded. *J. R. Soc. Interface*, 14.
"""

from __future__ import annotations

from dataclasses import replace

from bayeslme.errors import FamilyError
from bayeslme.families.base import Family, expected_count, log_binomial_coefficient
from bayeslme.families.ordinal import Cumulative
from bayeslme.families.positive import Beta, Gamma, LogNormal
from bayeslme.families.standard import Bernoulli, Binomial, Gaussian, NegativeBinomial, Poisson, StudentT
from bayeslme.families.zeros import Hurdle, ZeroInflated
from bayeslme.links import inverse_link, link_function

__all__ = [
    "ALIASES",
    "FAMILIES",
    "Family",
    "expected_count",
    "get_family",
    "inverse_link",
    "link_function",
    "log_binomial_coefficient",
]

FAMILIES: dict[str, Family] = {
    "gaussian": Gaussian("gaussian", ("identity",), has_sigma=True),
    "student_t": StudentT("student_t", ("identity",), has_sigma=True),
    "bernoulli": Bernoulli("bernoulli", ("logit", "probit")),
    "binomial": Binomial("binomial", ("logit", "probit")),
    "poisson": Poisson("poisson", ("log",)),
    "negativebinomial": NegativeBinomial("negativebinomial", ("log",)),
    "gamma": Gamma("gamma", ("log",)),
    "lognormal": LogNormal("lognormal", ("identity",), has_sigma=True),
    "beta": Beta("beta", ("logit",)),
    "zero_inflated_poisson": ZeroInflated("zero_inflated_poisson", ("log",), count="poisson"),
    "zero_inflated_negativebinomial": ZeroInflated(
        "zero_inflated_negativebinomial", ("log",), count="negativebinomial"
    ),
    "hurdle_poisson": Hurdle("hurdle_poisson", ("log",), count="poisson"),
    "hurdle_negativebinomial": Hurdle("hurdle_negativebinomial", ("log",), count="negativebinomial"),
    "cumulative": Cumulative("cumulative", ("logit", "probit")),
}

ALIASES = {
    "negbinomial": "negativebinomial",
    "zero_inflated_negbinomial": "zero_inflated_negativebinomial",
    "hurdle_negbinomial": "hurdle_negativebinomial",
}
"""brms's spellings of the negative binomial families."""


def get_family(name: str, link: str | None = None) -> Family:
    """Look up a family by name (or a brms spelling in :data:`ALIASES`), bound to ``link`` when given.

    Raises
    ------
    FamilyError
        For an unknown family, listing the known ones.
    """
    try:
        family = FAMILIES[ALIASES.get(name, name)]
    except KeyError:
        raise FamilyError(f"unknown family {name!r}; choose one of {sorted(FAMILIES)}") from None
    return family if link is None else replace(family, link=family.check_link(link))
