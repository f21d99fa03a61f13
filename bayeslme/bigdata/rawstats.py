"""Sums over rows that add up across chunks, and the centred statistics the collapsed model needs.

The collapsed Gaussian model reads per-level :math:`Z_i^\\top Z_i,
Z_i^\\top X_i, Z_i^\\top y_i` and the totals :math:`X^\\top X, X^\\top y,
y^\\top y, N` with :math:`X` centred at the column means
(:class:`~bayeslme.backend.suffstats.GroupStats`). The means are only known
once every row has been read, so chunks accumulate *raw* sums, which add,
and :meth:`RawStats.centered` shifts them afterwards, exactly:

.. math::

    Z_i^\\top X_{c,i} = Z_i^\\top X_i - (Z_i^\\top 1)\\, m^\\top, \\quad
    X_c^\\top X_c = X^\\top X - n\\, m m^\\top, \\quad
    X_c^\\top y = X^\\top y - m\\, (1^\\top y),

with :math:`m = X^\\top 1 / n` on the slope columns (the intercept column
is not centred). Two nested factors (:class:`NestedRawStats`) keep both
factors' sums, the per-inner-level cross products :math:`Z^{B\\top}_i Z^A_i`
(which do not involve :math:`X`, so need no shift) and the map of inner to
outer levels. Numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeslme.backend.nested_stats import NestedStats
from bayeslme.backend.suffstats import GroupStats, segment_sums

__all__ = ["NestedRawStats", "RawStats"]


@dataclass(frozen=True)
class RawStats:
    """Uncentred sums of one grouping factor's rows; ``G`` levels, ``k`` effects, ``p`` fixed columns."""

    counts: np.ndarray  # (G,) rows per level
    ZZ: np.ndarray  # (G, k, k)
    ZX: np.ndarray  # (G, k, p)
    Zy: np.ndarray  # (G, k)
    Z1: np.ndarray  # (G, k)
    X1: np.ndarray  # (p,)
    XX: np.ndarray  # (p, p)
    Xy: np.ndarray  # (p,)
    y1: float
    yy: float

    @property
    def n_obs(self) -> int:
        """Rows summed."""
        return int(self.counts.sum())

    @classmethod
    def from_rows(
        cls, y: np.ndarray, X: np.ndarray, Z: np.ndarray, index: np.ndarray, n_levels: int
    ) -> RawStats:
        """The sums of a block of rows (``index``: each row's level in ``range(n_levels)``)."""
        y = np.asarray(y, dtype=float)
        X = np.asarray(X, dtype=float)
        Z = np.asarray(Z, dtype=float)
        index = np.asarray(index, dtype=np.int64)
        k, p = Z.shape[1], X.shape[1]
        return cls(
            counts=np.bincount(index, minlength=n_levels).astype(float),
            ZZ=segment_sums(index, n_levels, Z[:, :, None] * Z[:, None, :]).reshape(n_levels, k, k),
            ZX=segment_sums(index, n_levels, Z[:, :, None] * X[:, None, :]).reshape(n_levels, k, p),
            Zy=segment_sums(index, n_levels, Z * y[:, None]).reshape(n_levels, k),
            Z1=segment_sums(index, n_levels, Z).reshape(n_levels, k),
            X1=X.sum(axis=0),
            XX=X.T @ X,
            Xy=X.T @ y,
            y1=float(y.sum()),
            yy=float(y @ y),
        )

    def __add__(self, other: RawStats) -> RawStats:
        """Sums of both blocks of rows."""
        return RawStats(
            counts=self.counts + other.counts,
            ZZ=self.ZZ + other.ZZ,
            ZX=self.ZX + other.ZX,
            Zy=self.Zy + other.Zy,
            Z1=self.Z1 + other.Z1,
            X1=self.X1 + other.X1,
            XX=self.XX + other.XX,
            Xy=self.Xy + other.Xy,
            y1=self.y1 + other.y1,
            yy=self.yy + other.yy,
        )

    @property
    def column_means(self) -> np.ndarray:
        """Means of the fixed columns over all rows (the spec's ``x_means``)."""
        return self.X1 / max(self.n_obs, 1)

    @property
    def per_factor(self) -> tuple[RawStats, ...]:
        """Each factor's sums, in the design's factor order (here the one factor's)."""
        return (self,)

    def centered(self, centre: np.ndarray) -> GroupStats:
        """:class:`GroupStats` with ``X`` shifted by ``centre`` (0 for columns left as they are)."""
        m = np.asarray(centre, dtype=float)
        n = float(self.n_obs)
        XX = self.XX - np.outer(self.X1, m) - np.outer(m, self.X1) + n * np.outer(m, m)
        return GroupStats(
            ZZ=self.ZZ,
            ZX=self.ZX - self.Z1[:, :, None] * m[None, None, :],
            Zy=self.Zy,
            XX=XX,
            Xy=self.Xy - m * self.y1,
            yy=self.yy,
            n_obs=self.n_obs,
        )


@dataclass(frozen=True)
class NestedRawStats:
    """Sums of two nested factors' rows: inner level ``i`` lies within outer level ``parent[i]``.

    Both :class:`RawStats` hold the same totals (``X1``, ``XX``, ``Xy``,
    ``y1``, ``yy``), read through this object's properties.
    """

    outer: RawStats
    inner: RawStats
    cross: np.ndarray  # (I, k_b, k_a): Z^B_i' Z^A_i
    parent: np.ndarray  # (I,) outer level of each inner level, -1 for one not in the rows yet
    outer_position: int  # position of the outer factor in the design's factors

    @classmethod
    def from_rows(
        cls,
        y: np.ndarray,
        X: np.ndarray,
        outer: tuple[np.ndarray, np.ndarray, int],
        inner: tuple[np.ndarray, np.ndarray, int],
        outer_position: int,
    ) -> NestedRawStats:
        """The sums of a block of rows; ``outer`` and ``inner`` are each factor's ``(Z, index, n_levels)``."""
        (Za, index_a, n_a), (Zb, index_b, n_b) = outer, inner
        Za, Zb = np.asarray(Za, dtype=float), np.asarray(Zb, dtype=float)
        index_a, index_b = np.asarray(index_a, dtype=np.int64), np.asarray(index_b, dtype=np.int64)
        ka, kb = Za.shape[1], Zb.shape[1]
        parent = np.full(n_b, -1, dtype=np.int64)
        parent[index_b] = index_a
        return cls(
            outer=RawStats.from_rows(y, X, Za, index_a, n_a),
            inner=RawStats.from_rows(y, X, Zb, index_b, n_b),
            cross=segment_sums(index_b, n_b, Zb[:, :, None] * Za[:, None, :]).reshape(n_b, kb, ka),
            parent=parent,
            outer_position=outer_position,
        )

    def __add__(self, other: NestedRawStats) -> NestedRawStats:
        """Sums of both blocks of rows (the nesting was checked before reading them)."""
        return NestedRawStats(
            outer=self.outer + other.outer,
            inner=self.inner + other.inner,
            cross=self.cross + other.cross,
            parent=np.maximum(self.parent, other.parent),
            outer_position=self.outer_position,
        )

    @property
    def per_factor(self) -> tuple[RawStats, RawStats]:
        """Each factor's sums, in the design's factor order."""
        return (self.outer, self.inner) if self.outer_position == 0 else (self.inner, self.outer)

    n_obs = property(lambda self: self.outer.n_obs, doc="Rows summed.")
    X1 = property(lambda self: self.outer.X1, doc="Column sums of X.")
    XX = property(lambda self: self.outer.XX, doc="X'X.")
    Xy = property(lambda self: self.outer.Xy, doc="X'y.")
    y1 = property(lambda self: self.outer.y1, doc="Sum of y.")
    yy = property(lambda self: self.outer.yy, doc="y'y.")
    column_means = property(lambda self: self.outer.column_means, doc="Means of the fixed columns.")

    def centered(self, centre: np.ndarray) -> NestedStats:
        """:class:`NestedStats` with ``X`` shifted by ``centre``."""
        return NestedStats(
            outer=self.outer.centered(centre),
            inner=self.inner.centered(centre),
            cross=self.cross,
            parent=self.parent,
        )
