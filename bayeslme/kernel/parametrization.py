"""Which factors to sample centered: those whose levels the data pin down.

The non-centered form (``u = z L'``, ``z`` standard normal) mixes well when a
level's data say little about its effect next to the group SD; when they say
much, ``z`` and the SD are tied along a narrow ridge and the centered form
(``u`` itself, prior ``N(0, L L')``) mixes far better (Papaspiliopoulos,
Roberts & Sköld 2007; Betancourt & Girolami 2015). Both are the same
posterior. The rule here compares, for each level of a factor, the
precision of its data about the level's intercept with the group variance:

``information_g = tau^2 / s_g^2``

where ``s_g^2`` is the sampling variance of the level's mean on the link
scale (Gaussian and Student-t: ``sigma^2 / n_g`` with ``sigma^2`` the pooled
within-level variance; Bernoulli and binomial: ``1 / ((trials_g + 1) p_g (1 - p_g))``
of the empirical logit; Poisson: ``1 / (sum_g y + 0.5)``; negative binomial: that
plus the overdispersion's share) and ``tau^2`` the between-level variance of
those means less their average sampling variance (a one-way moment
estimate). A factor is centered when it has a group intercept alone (one
effect per level) and the median level's information exceeds 1. Factors
with slopes stay non-centered: measured on a subjects x items maximal model,
centering both correlated blocks let the items' slope SD, which the data
barely inform, fall into the centered form's funnel (bulk ESS 23 against
438). The estimate ignores the fixed effects and the other factors: crossed
factors inflate each other's within-level variance (information
understated), a factor nested in another inherits the coarser factor's
spread (information overstated).

``fit()`` applies the rule by default to the factors that method
``"marginal"`` leaves to sample once the largest factor is integrated out
(the crossed factor left then no longer shares its ridge with the one
integrated out: crossed10k's items, bulk ESS of their SD 233-258
non-centered against 4,583-5,744 centered, two seeds); a factor integrated
out is never centered.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bayeslme.errors import SamplerError
from bayeslme.formula.design import Design
from bayeslme.kernel.factor_choice import integrated_factors
from bayeslme.kernel.records import FAMILIES
from bayeslme.spec import ModelSpec

__all__ = [
    "DPAR_ROW_INFORMATION",
    "centered_names",
    "information",
    "resolve_centered",
    "resolve_dpar_centered",
]

DPAR_ROW_INFORMATION = {"sigma": 2.0, "shape": 0.5, "phi": 0.5, "hu": 0.2, "zi": 0.1, "alpha": 0.1}
"""Fisher information of one row about a parameter on its link scale, roughly.

``log sigma`` of a normal: exactly 2 (less for Student-t); ``log shape`` of a
gamma: ``k^2 psi'(k) - k``, 0.64 at ``k = 1`` falling to 1/2; ``log phi`` of a
beta: taken as the gamma's; ``logit hu``: a Bernoulli's ``p (1 - p) <= 1/4``;
``logit zi`` and ``log alpha``: less, zeros and overdispersion being partly
confounded with the count part.
"""

TYPICAL_DPAR_VARIANCE = 0.25
"""The group variance assumed for a parameter's formula's factor: an SD of 0.5 on the link scale."""


def resolve_centered(
    spec: ModelSpec, design: Design, method: str, centered: str | bool | Sequence[str]
) -> tuple[bool, ...]:
    """Per factor, whether to sample it centered, from the user's ``centered`` argument.

    Raises
    ------
    SamplerError
        For a factor name the model does not have, or a value of another kind.
    """
    names = [factor.name for factor in spec.factors]
    integrated = set(integrated_factors(spec, method, design))
    if isinstance(centered, str) and centered == "auto":
        return tuple(
            bool(np.median(info) > 1.0) if info.size and name not in integrated else False
            for name, info in zip(names, information(spec, design), strict=True)
        )
    if isinstance(centered, bool):
        chosen = set(names) if centered else set()
    elif isinstance(centered, str) or not isinstance(centered, Sequence):
        raise SamplerError(
            f"centered must be 'auto', True, False or a list of factor names, got {centered!r}"
        )
    else:
        chosen = set(centered)
        dpar_factors = {d.label_prefix + f.name for d in spec.dpars for f in d.spec.factors}
        unknown = sorted(chosen - set(names) - dpar_factors)
        if unknown:
            raise SamplerError(f"centered names {unknown}, which are not grouping factors of {names}")
    if chosen & integrated:
        raise SamplerError(
            f"centered factors need their group effects sampled, but the {method} method "
            f"integrates {sorted(chosen & integrated)} out; use method='noncentered'"
        )
    return tuple(name in chosen for name in names)


def resolve_dpar_centered(
    spec: ModelSpec, design: Design, centered: str | bool | Sequence[str]
) -> dict[str, tuple[bool, ...]]:
    """Per parameter with a formula, per factor of it, whether to sample it centered.

    ``True``/``False`` apply to these factors too; a list names them as
    ``"sigma:clinic"``; ``"auto"`` centres a factor with a group intercept
    alone when its median level's information, ``n_g`` times
    :data:`DPAR_ROW_INFORMATION` times :data:`TYPICAL_DPAR_VARIANCE`, exceeds
    1 (the rule of the module docstring with a typical group variance in
    place of an estimate, which the data give only through the mean's fit):
    a residual SD's factor from three rows per level on, zero inflation's
    from 40.
    """
    out = {}
    for dpar in spec.dpars:
        flags = []
        for factor_spec, factor in zip(dpar.spec.factors, design.dpars[dpar.name].factors, strict=True):
            if isinstance(centered, bool):
                flags.append(centered)
            elif isinstance(centered, str):  # "auto"
                alone = factor.Z.shape[1] == 1 and bool(np.all(factor.Z[:, 0] == 1.0))
                sizes = np.bincount(np.asarray(factor.index), minlength=len(factor.levels))
                info = float(np.median(sizes)) * DPAR_ROW_INFORMATION[dpar.name] * TYPICAL_DPAR_VARIANCE
                flags.append(alone and info > 1.0)
            else:
                flags.append(dpar.label_prefix + factor_spec.name in centered)
        out[dpar.name] = tuple(flags)
    return out


def centered_names(
    spec: ModelSpec, flags: tuple[bool, ...], dpar_flags: dict[str, tuple[bool, ...]]
) -> list[str]:
    """The centered factors' names (``fit.info["centered"]``); a parameter's formula's as ``sigma:clinic``."""
    names = [f.name for f, flag in zip(spec.factors, flags, strict=True) if flag]
    for dpar in spec.dpars:
        own = dpar_flags.get(dpar.name, ())
        names += [dpar.label_prefix + f.name for f, flag in zip(dpar.spec.factors, own, strict=True) if flag]
    return names


def information(spec: ModelSpec, design: Design) -> list[np.ndarray]:
    """Per factor, each level's ``tau^2 / s_g^2`` (empty unless the factor is a group intercept alone).

    For the families without the precompiled kernel (gamma, beta, zero-inflated,
    ordinal, ...) the response is first freed of what the fixed effects
    explain (least squares on ``X``), so that a level-wide predictor such as
    glmmTMB's Salamanders' ``mined`` does not pass for group variation: there
    the site SD is near 0.1 and the centered form mixes badly (R-hat 1.04).
    """
    y = np.asarray(design.y, dtype=np.float64)
    if spec.family not in FAMILIES and design.X.size:
        X = np.asarray(design.X, dtype=np.float64)
        y = y - X @ np.linalg.lstsq(X, y, rcond=None)[0] + y.mean()
    trials = None if design.trials is None else np.asarray(design.trials, dtype=np.float64)
    out = []
    for factor in design.factors:
        Z = np.asarray(factor.Z, dtype=np.float64)
        if Z.shape[1] != 1 or not np.all(Z[:, 0] == 1.0):
            out.append(np.zeros(0))
            continue
        index = np.asarray(factor.index, dtype=np.int64)
        means, variances = _level_means(spec.family, y, trials, index, len(factor.levels))
        tau2 = max(float(np.var(means)) - float(np.mean(variances)), 0.0)
        out.append(tau2 / variances)
    return out


def _level_means(
    family: str, y: np.ndarray, trials: np.ndarray | None, index: np.ndarray, G: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each level's mean on the link scale and its sampling variance."""
    n = np.bincount(index, minlength=G).astype(np.float64)
    total = np.bincount(index, weights=y, minlength=G)
    if family in ("bernoulli", "binomial"):
        size = n if trials is None else np.bincount(index, weights=trials, minlength=G)
        p = (total + 0.5) / (size + 1.0)  # empirical logit, defined at 0 and all successes
        return np.log(p / (1.0 - p)), 1.0 / ((size + 1.0) * p * (1.0 - p))
    if family in ("poisson", "negativebinomial"):
        rate = (total + 0.5) / n
        variance = 1.0 / (total + 0.5)
        if family == "negativebinomial":
            mean = y.mean()
            overdispersion = max((y.var() - mean) / max(mean * mean, 1e-12), 0.0)  # 1 / alpha
            variance = variance + overdispersion / n
        return np.log(rate), variance
    mean = total / n
    within = max(float(np.sum((y - mean[index]) ** 2)) / max(y.size - G, 1), 1e-300)
    return mean, np.full(G, within) / n
