"""Posterior distributions of R² for mixed models.

Nakagawa's R²
-------------
Per posterior draw :math:`s`, with :math:`\\hat y^{F}_{si} = x_i^\\top\\beta_s`,

.. math::

    V_F = \\operatorname{Var}_i(\\hat y^F_{si}), \\qquad
    V_R = \\sum_f \\operatorname{tr}(\\Sigma_{f,s} \\tfrac1n Z_f^\\top Z_f), \\qquad
    V_E = \\text{latent residual variance},

    R^2_{m} = \\frac{V_F}{V_F + V_R + V_E}, \\qquad
    R^2_{c} = \\frac{V_F + V_R}{V_F + V_R + V_E}.

:math:`V_R` is Johnson's (2014) extension to random slopes: the variance the
group effects add to an observation, averaged over the observed design.
:math:`V_F` uses the sample variance with divisor :math:`n - 1`, as R's
``var`` in ``performance::r2_nakagawa``. :math:`V_E` is :math:`\\sigma^2` for
the Gaussian family and the distribution-specific variance of Nakagawa,
Johnson & Schielzeth (2017) for other families.

Bayesian R²
-----------
Gelman, Goodrich, Gabry & Vehtari (2019), residual form as in ``brms::bayes_R2``:

.. math::

    R^2_{s} = \\frac{\\operatorname{Var}_i(\\mu_{si})}
                   {\\operatorname{Var}_i(\\mu_{si}) + \\operatorname{Var}_i(y_i - \\mu_{si})},

with :math:`\\mu_{si}` the expected response including group effects.

References
----------
Nakagawa, S., & Schielzeth, H. (2013). A general and simple method for
obtaining R2 from generalized linear mixed-effects models. *Methods Ecol.
Evol.*, 4, 133-142.

Johnson, P. C. D. (2014). Extension of Nakagawa & Schielzeth's R2GLMM to random
slopes models. *Methods Ecol. Evol.*, 5, 944-946.

Gelman, A., Goodrich, B., Gabry, J., & Vehtari, A. (2019). R-squared for
Bayesian regression models. *The American Statistician*, 73, 307-309.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bayeslme.families import get_family
from bayeslme.results.summaries import summarize_draws
from bayeslme.results.view import has_latent_scale, held_as_statistics

if TYPE_CHECKING:
    from bayeslme.results.view import FitLike

__all__ = ["bayes_r2", "r2_draws", "r2_table"]


def bayes_r2(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Bayesian R² per draw (residual form).

    Parameters
    ----------
    y : ndarray, shape (n,)
        Observed response.
    mu : ndarray, shape (draws, n)
        Expected response per draw.

    Returns
    -------
    ndarray, shape (draws,)
    """
    var_fit = mu.var(axis=1, ddof=1)
    var_res = (y[None, :] - mu).var(axis=1, ddof=1)
    return var_fit / (var_fit + var_res)


def r2_draws(fit: FitLike) -> dict[str, np.ndarray]:
    """Per-draw marginal, conditional and Bayesian R² of ``fit``, shapes (chain, draw).

    Marginal and conditional R² come from :meth:`Fit.latent_variances`
    (:mod:`bayeslme.results.latent`), so every family uses its own
    distribution-specific variance; families without one (beta,
    zero-inflated, hurdle) have Bayesian R² only, computed on the response
    scale from the expected response (:meth:`Family.mean`).
    """
    from bayeslme.results.prediction import eta_draws, family_params, fitted_new_data

    chains, draws = fit.posterior.sizes["chain"], fit.posterior.sizes["draw"]
    family = get_family(fit.spec.family, fit.spec.link)
    out = {}
    if has_latent_scale(fit.spec):  # else Nakagawa et al. define no marginal and conditional R²
        out["marginal"], out["conditional"] = fit.latent_variances().r2()
    stats = held_as_statistics(fit.design)
    if stats is not None:
        out["bayes"] = stats.bayes_r2(fit.spec, fit.posterior, fit.info.get("random_seed"))
    else:
        eta = eta_draws(fit, fitted_new_data(fit), groups="conditional", new_groups="error", rng=None)
        mean = family.mean(family.location(fit.spec.link, eta), family_params(fit))
        out["bayes"] = bayes_r2(fit.design.y, mean)
    return {key: np.asarray(value).reshape(chains, draws) for key, value in out.items()}


def r2_table(fit: FitLike, *, prob: float = 0.95) -> pd.DataFrame:
    """Summary table of :func:`r2_draws`: one row per R², mean, sd, interval, ESS, R-hat."""
    values = r2_draws(fit)
    table = summarize_draws(np.stack(list(values.values()), axis=-1), list(values), prob=prob)
    table.index.name = "r2"
    return table
