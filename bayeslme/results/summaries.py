"""Posterior summary tables: mean, SD, equal-tailed interval, ESS and R-hat."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from arviz_stats.base import array_stats

__all__ = ["interval_labels", "summarize_draws"]


def interval_labels(prob: float) -> tuple[str, str]:
    """Column names of the interval bounds, e.g. ``("q2.5", "q97.5")`` for 0.95."""
    lower = 100 * (1 - prob) / 2
    return f"q{lower:.4g}", f"q{100 - lower:.4g}"


def summarize_draws(
    draws: np.ndarray,
    names: Sequence | pd.Index,
    *,
    prob: float = 0.95,
    diagnostics: bool = True,
) -> pd.DataFrame:
    """Summarise draws of several quantities.

    Parameters
    ----------
    draws : ndarray, shape (chain, draw, k)
        Posterior draws of ``k`` scalar quantities.
    names : sequence or Index of length k
        Row labels.
    prob : float
        Probability mass of the central (equal-tailed) interval. The default
        0.95 matches brms and rstanarm, not ArviZ 1.x's 0.89.
    diagnostics : bool
        Add bulk and tail ESS and rank-normalised R-hat.

    Returns
    -------
    pandas.DataFrame
        Columns ``mean, sd, q<lo>, q<hi>`` and, with diagnostics,
        ``ess_bulk, ess_tail, r_hat``.
    """
    _check_prob(prob)
    draws = np.asarray(draws, dtype=float)
    if draws.ndim == 2:
        draws = draws[..., None]
    flat = draws.reshape(-1, draws.shape[-1])
    lower, upper = interval_labels(prob)
    bounds = np.quantile(flat, [(1 - prob) / 2, 1 - (1 - prob) / 2], axis=0)  # one partition for both
    table = {
        "mean": flat.mean(axis=0),
        "sd": flat.std(axis=0, ddof=1) if flat.shape[0] > 1 else np.full(flat.shape[1], np.nan),
        lower: bounds[0],
        upper: bounds[1],
    }
    if diagnostics:
        table.update(_diagnostics(draws))
    index = names if isinstance(names, pd.Index) else pd.Index(list(names))
    return pd.DataFrame(table, index=index)


def _diagnostics(draws: np.ndarray) -> dict[str, np.ndarray]:
    k = draws.shape[-1]
    if draws.shape[1] < 4:
        nan = np.full(k, np.nan)
        return {"ess_bulk": nan, "ess_tail": nan, "r_hat": nan}
    constant = np.ptp(draws.reshape(-1, k), axis=0) == 0
    safe = draws.copy()
    # ESS and R-hat are undefined for constant quantities (e.g. a fixed zero).
    safe[..., constant] = np.random.default_rng(0).normal(size=safe[..., constant].shape)
    out = {
        "ess_bulk": array_stats.ess(safe, chain_axis=0, draw_axis=1, method="bulk"),
        "ess_tail": array_stats.ess(safe, chain_axis=0, draw_axis=1, method="tail", prob=(0.05, 0.95)),
        "r_hat": array_stats.rhat(safe, chain_axis=0, draw_axis=1),
    }
    for value in out.values():
        value[constant] = np.nan
    return out


def _check_prob(prob: float) -> None:
    from bayeslme.errors import BayeslmeError

    if not isinstance(prob, float | int) or not 0 < prob < 1:
        raise BayeslmeError(f"prob must be a number in (0, 1), got {prob!r}")
