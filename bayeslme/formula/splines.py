"""R's spline bases ``splines::bs`` and ``splines::ns``, value for value.

* ``bs(x, df, knots, degree = 3, intercept = FALSE)``: the B-spline basis on
  knots ``knots`` (interior) and the range of ``x`` (boundary, each repeated
  ``degree + 1`` times); with ``df`` and no knots, ``df - degree`` interior knots
  (``df - degree - 1`` with an intercept) at equally spaced quantiles of ``x``.
  The first basis function is dropped unless ``intercept``. Outside the
  boundary the boundary polynomial pieces continue, as R's Taylor
  extrapolation does.
* ``ns(x, df, knots, intercept = FALSE)``: natural cubic splines: the cubic
  B-spline basis projected onto the functions with zero second derivative at
  both boundary knots (the null space of those constraints from a QR
  decomposition, as R); ``df - 1`` interior knots (``df - 2`` with an
  intercept). Linear beyond the boundary.

Knots come from the fitting data; new data are evaluated on the same knots
(the transforms of :mod:`bayeslme.formula.rfunctions` keep them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import BSpline

__all__ = ["SplineBasis", "bs_basis", "ns_basis"]


@dataclass(frozen=True)
class SplineBasis:
    """Knots of a spline basis, decided on the fitting data."""

    knots: tuple[float, ...]
    boundary: tuple[float, float]
    degree: int
    intercept: bool

    @property
    def augmented(self) -> np.ndarray:
        """All knots, boundary knots repeated ``degree + 1`` times."""
        order = self.degree + 1
        return np.sort(np.concatenate([np.repeat(self.boundary, order), np.asarray(self.knots, dtype=float)]))


def _quantile_knots(x: np.ndarray, n: int) -> tuple[float, ...]:
    """``n`` interior knots at equally spaced quantiles (R's ``quantile`` type 7, numpy's default)."""
    if n <= 0:
        return ()
    return tuple(float(v) for v in np.quantile(x, np.linspace(0.0, 1.0, n + 2)[1:-1]))


def bs_basis(
    x: np.ndarray, df: int | None = None, knots=None, degree: int = 3, intercept: bool = False
) -> SplineBasis:
    """Knots of R's ``bs()`` on fitting values ``x``."""
    x = np.asarray(x, dtype=float)
    if knots is None:
        n = 0 if df is None else int(df) - degree - int(bool(intercept))
        knots = _quantile_knots(x, n)
    return SplineBasis(
        tuple(float(k) for k in np.atleast_1d(knots)), (x.min(), x.max()), int(degree), bool(intercept)
    )


def ns_basis(x: np.ndarray, df: int | None = None, knots=None, intercept: bool = False) -> SplineBasis:
    """Knots of R's ``ns()`` on fitting values ``x``."""
    x = np.asarray(x, dtype=float)
    if knots is None:
        n = 0 if df is None else int(df) - 1 - int(bool(intercept))
        knots = _quantile_knots(x, n)
    return SplineBasis(tuple(float(k) for k in np.atleast_1d(knots)), (x.min(), x.max()), 3, bool(intercept))


def evaluate_bs(basis: SplineBasis, x: np.ndarray) -> np.ndarray:
    """R's ``bs()`` columns of ``x`` on ``basis``'s knots."""
    x = np.asarray(x, dtype=float)
    B = BSpline.design_matrix(x, basis.augmented, basis.degree, extrapolate=True).toarray()
    return B if basis.intercept else B[:, 1:]


def evaluate_ns(basis: SplineBasis, x: np.ndarray) -> np.ndarray:
    """R's ``ns()`` columns of ``x`` on ``basis``'s knots (linear beyond the boundary knots)."""
    x = np.asarray(x, dtype=float)
    t = basis.augmented
    lo, hi = basis.boundary
    project = _natural_projection(basis)
    inside = np.clip(x, lo, hi)
    values = BSpline.design_matrix(inside, t, 3, extrapolate=True).toarray()
    if not basis.intercept:
        values = values[:, 1:]
    out = values @ project
    for edge, mask in ((lo, x < lo), (hi, x > hi)):
        if mask.any():
            slope = _derivative_row(t, edge, basis.intercept) @ project
            out[mask] = out[mask] + np.outer(x[mask] - edge, slope)
    return out


def _derivative_row(t: np.ndarray, at: float, intercept: bool, order: int = 1) -> np.ndarray:
    count = len(t) - 4
    row = np.array([BSpline(t, np.eye(count)[j], 3)(at, nu=order) for j in range(count)])
    return row if intercept else row[1:]


def _natural_projection(basis: SplineBasis) -> np.ndarray:
    """Columns spanning the B-spline coefficients with zero second derivative at both boundaries."""
    constraints = np.array([_derivative_row(basis.augmented, b, basis.intercept, 2) for b in basis.boundary])
    q, _ = np.linalg.qr(constraints.T, mode="complete")
    return q[:, 2:]
