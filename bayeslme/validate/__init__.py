"""Simulation-based calibration (SBC) of bayeslme's models.

SBC (Talts et al. 2018) checks the whole inference pipeline: draw parameters
:math:`\\tilde\\theta` from the prior, simulate data :math:`\\tilde y` from the
model with them, fit, and record the rank of :math:`\\tilde\\theta` among
:math:`L` posterior draws,

.. math::

    r = \\#\\{\\ell : \\theta^{(\\ell)} < \\tilde\\theta\\} \\in \\{0, \\dots, L\\}.

If the posterior is computed correctly, the data-averaged posterior equals the
prior, and ``r`` is uniform on :math:`\\{0, \\dots, L\\}` for every parameter.
Ranks piling up in the middle mean over-dispersed posteriors, at the ends
under-dispersed or biased ones. Central :math:`q` intervals then cover the
truth in a fraction :math:`q` of the data sets, whatever the sample size.

The simulation uses the model's own design (``X``, ``Z``, level indices) and
its *resolved* priors: the priors are fixed once, from the template data, and
every simulated data set is fitted with the same spec, so the priors that
generate the data and the priors used in the fit are the same.

References
----------
Talts, S., Betancourt, M., Simpson, D., Vehtari, A., & Gelman, A. (2018).
Validating Bayesian inference algorithms with simulation-based calibration.
arXiv:1804.06788.
"""

from bayeslme.validate.prior_draws import draw_parameters, lkj_correlation, simulate_response, true_values
from bayeslme.validate.ranks import ECDFBandTest, coverage, ecdf_band_test, rank_uniformity
from bayeslme.validate.sbc import FIT_COLUMNS, SBCResult, _with_response, run_sbc  # noqa: F401

__all__ = [
    "ECDFBandTest",
    "FIT_COLUMNS",
    "SBCResult",
    "coverage",
    "draw_parameters",
    "ecdf_band_test",
    "lkj_correlation",
    "rank_uniformity",
    "run_sbc",
    "simulate_response",
    "true_values",
]
