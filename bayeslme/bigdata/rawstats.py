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
is not centred). Numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeslme.backend.suffstats import GroupStats, segment_sums

__all__ = ["RawStats"]


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
