"""Per-level group effects and per-level coefficients (fixed + group effect)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.results.summaries import summarize_draws
from bayeslme.spec import FactorSpec, ModelSpec

__all__ = ["coefficient_draws", "group_effects_table", "coefficients_table"]


def _labels(factor: FactorSpec, levels: np.ndarray | None) -> list[str]:
    return list(factor.levels) if levels is None else [factor.levels[i] for i in levels]


def group_effects_table(
    factor: FactorSpec, u: np.ndarray, *, prob: float = 0.95, levels: np.ndarray | None = None
) -> pd.DataFrame:
    """Summary of the group effects (deviations from the fixed effects).

    Parameters
    ----------
    factor : FactorSpec
    u : ndarray, shape (chain, draw, levels, effects)
    levels : ndarray, optional
        Indices of the levels in ``u`` (all, in order, when not given).

    Returns
    -------
    pandas.DataFrame
        Index ``(level, effect)``.
    """
    index = pd.MultiIndex.from_product(
        [_labels(factor, levels), factor.effects], names=[factor.name, "effect"]
    )
    flat = u.reshape(u.shape[0], u.shape[1], -1)
    return summarize_draws(flat, index, prob=prob, diagnostics=False)


def coefficient_draws(
    spec: ModelSpec, factors: list[FactorSpec], b: np.ndarray, u: list[np.ndarray]
) -> tuple[np.ndarray, list[str]]:
    """Each level's own coefficients: fixed effect plus that level's group effects.

    Coefficients are every fixed effect (constant across levels when no factor
    has a matching group effect, as in lme4's ``coef()``) followed by group
    effects that have no fixed counterpart. ``factors`` are factors over the
    same levels (lme4's ``g`` and ``g.1``); effects of the same name add up.

    Parameters
    ----------
    b : ndarray, shape (chain, draw, n_fixed)
    u : list of ndarray, shape (chain, draw, levels, effects), one per factor

    Returns
    -------
    draws : ndarray, shape (chain, draw, levels, n_coefficients)
    names : list of str
    """
    extra = [e for factor in factors for e in factor.effects if e not in spec.fixed]
    names = list(spec.fixed) + list(dict.fromkeys(extra))
    chains, draws, levels = u[0].shape[:3]
    out = np.zeros((chains, draws, levels, len(names)))
    for c, name in enumerate(names):
        if name in spec.fixed:
            out[..., c] += b[..., spec.fixed.index(name)][..., None]
        for factor, values in zip(factors, u, strict=True):
            if name in factor.effects:
                out[..., c] += values[..., factor.effects.index(name)]
    return out, names


def coefficients_table(
    factor: FactorSpec,
    draws: np.ndarray,
    names: list[str],
    *,
    prob: float = 0.95,
    levels: np.ndarray | None = None,
) -> pd.DataFrame:
    """Summary of :func:`coefficient_draws`, index ``(level, coefficient)`` (``levels`` as above)."""
    index = pd.MultiIndex.from_product([_labels(factor, levels), names], names=[factor.name, "coefficient"])
    return summarize_draws(
        draws.reshape(draws.shape[0], draws.shape[1], -1), index, prob=prob, diagnostics=False
    )


def in_level_order(factor: FactorSpec, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Tables of blocks of ``factor``'s levels as one table, levels in the factor's order."""
    if len(parts) == 1:
        return parts[0]
    table = pd.concat(parts)
    rank = {level: i for i, level in enumerate(factor.levels)}
    order = np.argsort([rank[level] for level in table.index.get_level_values(0)], kind="stable")
    return table.iloc[order]
