"""Sampler diagnostics after every fit, with plain-words warnings."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from arviz_stats.base import array_stats

from bayeslme.errors import ConvergenceWarning, SingularFitWarning
from bayeslme.spec import ModelSpec

__all__ = [
    "Diagnostics",
    "at_boundary",
    "check_diagnostics",
    "check_singular",
    "compute_diagnostics",
    "singular_components",
    "singular_message",
]

RHAT_LIMIT = 1.01
ESS_PER_CHAIN = 100
BFMI_LIMIT = 0.3


@dataclass(frozen=True)
class Diagnostics:
    """Convergence diagnostics of the population-level parameters.

    Attributes
    ----------
    divergences : int
        Divergent transitions after warm-up.
    max_rhat : float
        Largest rank-normalised split R-hat.
    min_ess_bulk, min_ess_tail : float
        Smallest bulk and tail effective sample sizes.
    treedepth_saturated : float
        Fraction of draws that hit the maximum tree depth.
    min_bfmi : float
        Smallest per-chain E-BFMI.
    chains : int
        Number of chains.
    """

    divergences: int
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    treedepth_saturated: float
    min_bfmi: float
    chains: int

    def problems(self) -> list[str]:
        """Plain-words descriptions of each problem found, with what to try."""
        found = []
        if self.divergences:
            found.append(
                f"{self.divergences} divergent transitions: the posterior has regions the sampler "
                "cannot follow; raise target_accept (e.g. 0.95-0.99) or simplify the random-effects "
                "structure"
            )
        if self.max_rhat > RHAT_LIMIT:
            found.append(
                f"max R-hat {self.max_rhat:.3f} > {RHAT_LIMIT}: chains disagree; run more tune and draws"
            )
        min_ess = min(self.min_ess_bulk, self.min_ess_tail)
        if min_ess < ESS_PER_CHAIN * self.chains:
            found.append(
                f"min ESS {min_ess:.0f} < {ESS_PER_CHAIN * self.chains}: estimates are noisy; run more draws"
            )
        if self.treedepth_saturated > 0.01:
            found.append(
                f"{100 * self.treedepth_saturated:.1f}% of draws hit the maximum tree depth: "
                "sampling is inefficient; consider rescaling predictors"
            )
        if self.min_bfmi < BFMI_LIMIT:
            found.append(
                f"E-BFMI {self.min_bfmi:.2f} < {BFMI_LIMIT}: the energy distribution is poorly "
                "explored; run more tune or reparameterize"
            )
        return found

    @property
    def ok(self) -> bool:
        """Whether no problem was found."""
        return not self.problems()

    def to_frame(self) -> pd.DataFrame:
        """One-row-per-check table with the value and whether it passed."""
        rows = {
            "divergences": (self.divergences, self.divergences == 0),
            "max_rhat": (self.max_rhat, self.max_rhat <= RHAT_LIMIT),
            "min_ess_bulk": (self.min_ess_bulk, self.min_ess_bulk >= ESS_PER_CHAIN * self.chains),
            "min_ess_tail": (self.min_ess_tail, self.min_ess_tail >= ESS_PER_CHAIN * self.chains),
            "treedepth_saturated": (self.treedepth_saturated, self.treedepth_saturated <= 0.01),
            "min_bfmi": (self.min_bfmi, self.min_bfmi >= BFMI_LIMIT),
        }
        return pd.DataFrame(rows, index=["value", "ok"]).T


def compute_diagnostics(posterior: xr.Dataset, sample_stats: xr.Dataset, var_names: list[str]) -> Diagnostics:
    """Compute :class:`Diagnostics` over ``var_names`` of the posterior."""
    arrays = []
    for name in var_names:
        values = posterior[name].values
        arrays.append(values.reshape(values.shape[0], values.shape[1], -1))
    draws = np.concatenate(arrays, axis=-1)
    chains = draws.shape[0]
    varying = np.ptp(draws.reshape(-1, draws.shape[-1]), axis=0) > 0
    draws = draws[..., varying]
    if draws.shape[1] >= 4 and draws.shape[-1]:
        rhat = float(np.nanmax(array_stats.rhat(draws, chain_axis=0, draw_axis=1)))
        bulk = float(np.nanmin(array_stats.ess(draws, chain_axis=0, draw_axis=1, method="bulk")))
        tail = float(
            np.nanmin(array_stats.ess(draws, chain_axis=0, draw_axis=1, method="tail", prob=(0.05, 0.95)))
        )
    else:
        rhat, bulk, tail = np.nan, np.nan, np.nan
    divergences = int(sample_stats["diverging"].sum()) if "diverging" in sample_stats else 0
    saturated = 0.0
    for key in ("maxdepth_reached", "reached_max_treedepth"):
        if key in sample_stats:
            saturated = float(sample_stats[key].mean())
    bfmi = np.nan
    if "energy" in sample_stats and sample_stats["energy"].shape[1] > 2:
        bfmi = float(np.min(array_stats.bfmi(sample_stats["energy"].values, chain_axis=0, draw_axis=1)))
    return Diagnostics(divergences, rhat, bulk, tail, saturated, bfmi, chains)


def check_diagnostics(diagnostics: Diagnostics) -> None:
    """Emit one :class:`ConvergenceWarning` listing every problem found."""
    problems = diagnostics.problems()
    if problems:
        warnings.warn("sampling problems:\n  - " + "\n  - ".join(problems), ConvergenceWarning, stacklevel=3)


SINGULAR_SHAPE_RATIO = 0.12
SINGULAR_PRIOR_FRACTION = 0.05


def at_boundary(draws: np.ndarray, prior_scale: float) -> bool:
    r"""Whether draws of a standard deviation pile up at zero.

    Two conditions, both required, on the posterior quantiles :math:`q_p`:

    1. *Mode at the boundary:* :math:`q_{0.05} < 0.12\, q_{0.5}`. For any
       density that does not increase away from zero the CDF is concave, so
       :math:`F(0.1 q_{0.5}) \ge 0.1 F(q_{0.5}) = 0.05`, that is
       :math:`q_{0.05} \le 0.1 q_{0.5}` (uniform: exactly 0.1; half-normal:
       0.093). Densities with an interior mode lie well above (gamma with
       shape 2: 0.21); 0.12 leaves room for Monte Carlo error in the quantiles.
       The default SD priors (half-normal, half-Student-t) are flat at zero, so
       there the posterior has the likelihood's shape and its mode is at zero
       when the likelihood is largest at zero: the case lme4 reports as a
       singular (boundary) fit (``isSingular``).
    2. *Near zero on the prior's scale:* :math:`q_{0.05} < 0.05\, s` with
       :math:`s` the prior scale. The default half-t(3, s) prior's own 5%
       quantile is :math:`0.066 s`, so a posterior that merely repeats the
       prior is not flagged; one the data pulled toward zero is.

    Parameters
    ----------
    draws : ndarray
        Posterior draws of one SD (any shape; flattened).
    prior_scale : float
        Scale of the SD's prior (:attr:`bayeslme.Prior.scale`).

    Returns
    -------
    bool
    """
    values = np.ravel(np.asarray(draws, dtype=float))
    q05, q50 = np.quantile(values, [0.05, 0.5])
    if q50 <= 0:
        return True
    mode_at_zero = q05 < SINGULAR_SHAPE_RATIO * q50
    near_zero = q05 < SINGULAR_PRIOR_FRACTION * prior_scale
    return bool(mode_at_zero and near_zero)


def singular_components(spec: ModelSpec, sds: dict[str, np.ndarray]) -> list[str]:
    """Group-effect SDs whose posterior piles up at zero (see :func:`at_boundary`).

    Parameters
    ----------
    spec : ModelSpec
    sds : dict
        Per factor name, SD draws shaped (chain, draw, effects).

    Returns
    -------
    list of str
        Labels ``"sd[factor|effect]"`` of the flagged SDs, in spec order.
    """
    flagged = []
    for factor in spec.factors:
        for key, (e, *_) in factor.sd_slots():
            if at_boundary(sds[factor.name][..., e], spec.priors[key].scale):
                flagged.append(key)
    return flagged


def singular_message(flagged: list[str]) -> str:
    """Plain-words explanation of a singular fit, with what to try."""
    return (
        f"singular (boundary) fit: the posterior of {', '.join(flagged)} piles up at zero, so the data "
        "show little or no variation between groups for these effects (like lme4's isSingular). "
        "Consider removing these group effects, or correlations involving them, from the formula; "
        "if the variation is expected, more groups are needed to estimate it"
    )


def check_singular(flagged: list[str]) -> None:
    """Emit a :class:`SingularFitWarning` naming the SDs that pile up at zero."""
    if flagged:
        warnings.warn(singular_message(flagged), SingularFitWarning, stacklevel=3)
