"""Rank statistics of SBC: uniformity, interval coverage, the ECDF band test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from bayeslme.errors import BayeslmeError

__all__ = ["ECDFBandTest", "coverage", "ecdf_band_test", "rank_uniformity"]


def rank_uniformity(ranks: np.ndarray, n_draws: int, *, bins: int = 10) -> float:
    """Chi-square p-value of the ranks against the discrete uniform on ``0..n_draws``.

    The ``n_draws + 1`` rank values are split into ``bins`` groups of (nearly)
    equal count; expected counts follow those group sizes exactly.
    """
    ranks = np.asarray(ranks)
    edges = np.linspace(0, n_draws + 1, bins + 1).round().astype(int)
    observed = np.histogram(ranks, bins=edges)[0]
    expected = np.diff(edges) / (n_draws + 1) * ranks.size
    return float(stats.chisquare(observed, expected).pvalue)


def coverage(ranks: np.ndarray, n_draws: int, prob: float) -> tuple[float, float]:
    """Fraction of data sets whose truth lies in the central ``prob`` posterior interval.

    The truth is inside the central interval when its rank lies between the
    interval's bounds, :math:`L (1 - q)/2 \\le r \\le L (1 + q)/2`. Returns the
    fraction and its binomial standard error :math:`\\sqrt{q (1 - q) / n}`
    under nominal coverage.
    """
    ranks = np.asarray(ranks)
    low, high = n_draws * (1 - prob) / 2, n_draws * (1 + prob) / 2
    inside = (ranks >= low) & (ranks <= high)
    return float(inside.mean()), float(np.sqrt(prob * (1 - prob) / ranks.size))


@dataclass(frozen=True)
class ECDFBandTest:
    """Result of :func:`ecdf_band_test`.

    Attributes
    ----------
    p_value : float
        Share of simulated uniform rank sets whose ECDF strays at least as far
        (smallest pointwise binomial tail probability at most the observed one).
    outside : bool
        Whether the observed ECDF leaves the ``1 - alpha`` simultaneous band.
    gamma : float
        Pointwise level of the band: the band holds every count whose
        two-sided binomial tail probability is at least ``gamma``.
    z : numpy.ndarray
        Evaluation points, ``(j + 1) / (L + 1)`` for ``j = 0..L-1``.
    ecdf : numpy.ndarray
        Observed ECDF of the ranks at those points, ``#(r <= j) / n``.
    lower, upper : numpy.ndarray
        The band of the ECDF at those points.
    """

    p_value: float
    outside: bool
    gamma: float
    z: np.ndarray
    ecdf: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def _pointwise_tail(counts: np.ndarray, n: int, z: np.ndarray) -> np.ndarray:
    """Two-sided binomial tail probability of each count: ``2 min(P(X <= c), P(X >= c))``, at most 1."""
    low = stats.binom.cdf(counts, n, z)
    high = stats.binom.sf(counts - 1, n, z)
    return np.minimum(2 * np.minimum(low, high), 1.0)


def ecdf_band_test(
    ranks: np.ndarray,
    n_draws: int,
    *,
    alpha: float = 0.05,
    n_sim: int = 2000,
    seed: int = 0,
) -> ECDFBandTest:
    """Simultaneous ECDF band test of SBC ranks against the discrete uniform on ``0..n_draws``.

    After the idea of Säilynoja, Bürkner & Vehtari (2022): under uniformity
    the count of ranks ``<= j`` is Binomial(n, (j + 1) / (L + 1)) at each ``j``.
    The statistic is the smallest two-sided binomial tail probability over
    all ``j``; its null distribution is simulated from ``n_sim`` sets of
    uniform ranks. The ``alpha`` quantile of that distribution is the
    pointwise level ``gamma`` for which the band of all counts with tail
    probability ``>= gamma`` holds the whole ECDF with probability about
    ``1 - alpha``. Unlike a chi-square test over bins, the band has power at
    every scale and shows *where* the ECDF departs (a bow: over- or
    under-dispersion; a shift: bias).

    Parameters
    ----------
    ranks : array_like of int
        Ranks in ``0..n_draws``, one per data set.
    n_draws : int
        ``L``, the number of posterior draws each rank is taken among.
    alpha : float
        1 minus the simultaneous coverage of the band.
    n_sim : int
        Simulated uniform rank sets.
    seed : int
        Seeds the simulation (results are reproducible).

    Returns
    -------
    ECDFBandTest

    References
    ----------
    Säilynoja, T., Bürkner, P.-C., & Vehtari, A. (2022). Graphical test for
    discrete uniformity and its applications in goodness-of-fit evaluation
    and multiple sample comparison. *Statistics and Computing*, 32, 32.
    """
    ranks = np.asarray(ranks, dtype=int)
    if ranks.ndim != 1 or ranks.size == 0:
        raise BayeslmeError("ranks must be a non-empty one-dimensional array")
    if ranks.min() < 0 or ranks.max() > n_draws:
        raise BayeslmeError(f"ranks must lie in 0..{n_draws}")
    if not 0 < alpha < 1:
        raise BayeslmeError(f"alpha must be in (0, 1), got {alpha!r}")
    n = ranks.size
    z = np.arange(1, n_draws + 1) / (n_draws + 1)

    def counts_below(sets: np.ndarray) -> np.ndarray:
        # Row-wise histograms of rank sets, cumulated: #(r <= j) for j = 0..L-1.
        rows = sets.shape[0]
        flat = sets + (n_draws + 1) * np.arange(rows)[:, None]
        hist = np.bincount(flat.ravel(), minlength=rows * (n_draws + 1)).reshape(rows, n_draws + 1)
        return np.cumsum(hist, axis=1)[:, :-1]

    observed = counts_below(ranks[None, :])[0]
    statistic = float(_pointwise_tail(observed, n, z).min())
    rng = np.random.default_rng(seed)
    null = np.empty(n_sim)
    for start in range(0, n_sim, 500):
        chunk = rng.integers(0, n_draws + 1, size=(min(500, n_sim - start), n))
        null[start : start + chunk.shape[0]] = _pointwise_tail(counts_below(chunk), n, z).min(axis=1)
    gamma = float(np.quantile(null, alpha, method="lower"))
    p_value = float((1 + np.sum(null <= statistic)) / (1 + n_sim))
    grid = np.arange(n + 1)[:, None]
    inside = _pointwise_tail(grid, n, z[None, :]) >= gamma
    lower = np.argmax(inside, axis=0) / n
    upper = (n - np.argmax(inside[::-1], axis=0)) / n
    return ECDFBandTest(
        p_value=p_value,
        outside=bool(statistic < gamma),
        gamma=gamma,
        z=z,
        ecdf=observed / n,
        lower=lower,
        upper=upper,
    )
