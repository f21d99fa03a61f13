"""Per-level group effects and per-level coefficients (fixed + group effect)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.results.summaries import summarize_draws
from bayeslme.spec import FactorSpec, ModelSpec

__all__ = ["coefficient_draws", "group_effects_table", "coefficients_table"]


def group_effects_table(factor: FactorSpec, u: np.ndarray, *, prob: float = 0.95) -> pd.DataFrame:
    """Summary of the group effects (deviations from the fixed effects).

    Parameters
    ----------
    factor : FactorSpec
    u : ndarray, shape (chain, draw, levels, effects)

    Returns
    -------
    pandas.DataFrame
        Index ``(level, effect)``.
    """
    index = pd.MultiIndex.from_product([factor.levels, factor.effects], names=[factor.name, "effect"])
    flat = u.reshape(u.shape[0], u.shape[1], -1)
    return summarize_draws(flat, index, prob=prob, diagnostics=False)


def coefficient_draws(
    spec: ModelSpec, factor: FactorSpec, b: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Each level's own coefficients: fixed effect plus that level's group effect.

    Coefficients are every fixed effect (constant across levels when the factor
    has no matching group effect, as in lme4's ``coef()``) followed by group
    effects that have no fixed counterpart.

    Parameters
    ----------
    b : ndarray, shape (chain, draw, n_fixed)
    u : ndarray, shape (chain, draw, levels, effects)

    Returns
    -------
    draws : ndarray, shape (chain, draw, levels, n_coefficients)
    names : list of str
    """
    names = list(spec.fixed) + [e for e in factor.effects if e not in spec.fixed]
    chains, draws, levels = u.shape[:3]
    out = np.zeros((chains, draws, levels, len(names)))
    for c, name in enumerate(names):
        if name in spec.fixed:
            out[..., c] += b[..., spec.fixed.index(name)][..., None]
        if name in factor.effects:
            out[..., c] += u[..., factor.effects.index(name)]
    return out, names


def coefficients_table(
    spec: ModelSpec, factor: FactorSpec, b: np.ndarray, u: np.ndarray, *, prob: float = 0.95
) -> pd.DataFrame:
    """Summary of :func:`coefficient_draws`, index ``(level, coefficient)``."""
    draws, names = coefficient_draws(spec, factor, b, u)
    index = pd.MultiIndex.from_product([factor.levels, names], names=[factor.name, "coefficient"])
    return summarize_draws(
        draws.reshape(draws.shape[0], draws.shape[1], -1), index, prob=prob, diagnostics=False
    )
