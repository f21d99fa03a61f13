"""Which factors the marginal method integrates out: the largest one, or a nested pair of intercepts."""

from __future__ import annotations

import numpy as np

from bayeslme.formula.design import Design
from bayeslme.formula.factors import parent_levels
from bayeslme.spec import ModelSpec

__all__ = ["integrated_factors", "marginal_factors", "parent_map"]


def integrated_factors(spec: ModelSpec, method: str, design: Design) -> list[str]:
    """Names of the factors whose effects ``method`` integrates out while sampling (drawn afterwards)."""
    if method == "collapsed":
        return [factor.name for factor in spec.factors]
    if method == "marginal":
        return [spec.factors[p].name for p in marginal_factors(spec, design) if p >= 0]
    return []


def marginal_factors(spec: ModelSpec, design: Design) -> tuple[int, int]:
    """The factor method ``"marginal"`` integrates out, and a factor it is nested in that goes with it.

    Two group intercepts of which one is nested in the other (every level of
    the inner factor within one level of the outer on the fitting data,
    :attr:`ModelSpec.nested`: lecturers within departments) are integrated
    out together by a two-level Woodbury step; the largest such pair is
    taken. Measured on lme4's InstEval (docs/performance.md): with the
    lecturers and departments integrated out and the students sampled,
    the ridge between the intercept and the 14 department effects is gone
    (its bulk ESS 426 with the students integrated out instead). Otherwise the factor with the most group
    effects: it removes the most dimensions from the sampled vector, and in
    a crossed design the largest factor carries the ridge between the
    intercept and the effects' mean that a diagonal mass matrix adapts to
    worst. The cost per evaluation is the same for any choice (one more pass
    over the rows per effect, a k x k Cholesky per level). Ties go to the
    first. Returns ``(inner, outer)`` positions, ``outer`` -1 for none.
    """
    intercepts = [
        p
        for p, (factor, own) in enumerate(zip(spec.factors, design.factors, strict=True))
        if tuple(factor.effects) == ("Intercept",) and np.all(np.asarray(own.Z) == 1.0)
    ]
    best, best_size = (-1, -1), 0
    for inner in intercepts:
        for outer in intercepts:
            if inner == outer:
                continue
            size = len(spec.factors[inner].levels) + len(spec.factors[outer].levels)
            if size <= best_size:
                continue
            if spec.nests(inner, outer):
                best, best_size = (inner, outer), size
    if best[0] >= 0:
        return best
    sizes = [len(factor.levels) * len(factor.effects) for factor in spec.factors]
    return int(np.argmax(sizes)), -1


def parent_map(design: Design, inner: int, outer: int) -> np.ndarray:
    """The outer level of each inner level, read from ``design``'s rows (the spec says they nest)."""
    own = design.factors[inner]
    parent = parent_levels(own.index, design.factors[outer].index, len(own.levels))
    if parent is None:
        raise ValueError(f"the rows of {own.name!r} are not nested in {design.factors[outer].name!r}")
    return np.asarray(parent, dtype=np.int64)
