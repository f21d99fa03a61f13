"""Blocks of group effects: which effects of a factor share a covariance structure.

A group term ``(1 + x | g)`` gives one block of two correlated effects. Its
covariance structure is one of lme4 2.0's (lme4's vignette "Covariance
Structures"):

* ``"us"``: unstructured, an LKJ prior on the correlation matrix (the default,
  as ``(1 + x | g)`` or ``us(1 + x | g)``);
* ``"diag"``: independent effects (``diag(1 + x | g)``);
* ``"cs"``: compound symmetry, one correlation :math:`\\rho` shared by every
  pair, :math:`-1/(p-1) < \\rho < 1` for :math:`p` effects;
* ``"ar1"``: AR(1) over the effects in column order,
  :math:`\\operatorname{cor}(u_i, u_j) = \\rho^{|i-j|}`, :math:`-1 < \\rho < 1`.

As in lme4, ``diag`` and ``cs`` blocks have one SD per effect unless
``hom = TRUE`` (one SD for all), and ``ar1`` blocks have one SD for all
unless ``hom = FALSE``. ``(x || g)`` gives one single-effect block per effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "STRUCTURES",
    "BlockSpec",
    "block_cholesky",
    "structured_cholesky_array",
    "structured_correlation_cholesky",
]

STRUCTURES = ("us", "diag", "cs", "ar1")


@dataclass(frozen=True)
class BlockSpec:
    """Effects of one group term that share a covariance structure.

    Attributes
    ----------
    effects : tuple of str
        Effect names, in the order of the term's columns.
    structure : {"us", "diag", "cs", "ar1"}
        Covariance structure (see the module docstring).
    homogeneous : bool
        One SD for every effect of the block.
    """

    effects: tuple[str, ...]
    structure: str = "us"
    homogeneous: bool = False

    @property
    def correlated(self) -> bool:
        """Whether the block's effects are correlated (two or more, not ``diag``)."""
        return len(self.effects) > 1 and self.structure != "diag"

    @property
    def shared_sd(self) -> bool:
        """Whether one SD serves every effect of the block."""
        return self.homogeneous and len(self.effects) > 1

    @property
    def rho_bounds(self) -> tuple[float, float]:
        """Open range of the correlation parameter of a ``cs`` or ``ar1`` block."""
        if self.structure == "cs":
            return -1.0 / (len(self.effects) - 1), 1.0
        return -1.0, 1.0

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Correlated effect pairs ``(a, b)`` with ``a`` before ``b``, row-major."""
        if not self.correlated:
            return ()
        e = self.effects
        return tuple((e[i], e[j]) for i in range(len(e)) for j in range(i + 1, len(e)))


def structured_correlation_cholesky(structure: str, rho, size: int, *, sqrt=np.sqrt) -> list[list]:
    """Lower Cholesky factor of a ``cs`` or ``ar1`` correlation matrix, as nested lists of entries.

    Written with arithmetic on ``rho`` alone (and ``sqrt``), so the same
    function builds numpy draws (``rho`` an array) and PyTensor graphs
    (``rho`` a tensor, ``sqrt`` PyTensor's). Entries above the diagonal are
    ``0 * rho``.

    For AR(1), :math:`L_{i0} = \\rho^i` and :math:`L_{ij} = \\rho^{i-j}\\sqrt{1-\\rho^2}`
    (:math:`1 \\le j \\le i`). For compound symmetry, with :math:`a_0 = 0` and
    :math:`a_{j+1} = a_j + (1 - \\rho a_j)^2 / (1 - \\rho^2 a_j)`,
    :math:`L_{jj} = \\sqrt{1 - \\rho^2 a_j}` and
    :math:`L_{ij} = (\\rho - \\rho^2 a_j) / \\sqrt{1 - \\rho^2 a_j}` for :math:`i > j`
    (the recursion of lme4's covariance-structures vignette).
    """
    zero = 0 * rho
    rows = [[zero] * size for _ in range(size)]
    if structure == "ar1":
        tail = sqrt(1 - rho**2)
        for i in range(size):
            rows[i][0] = rho**i
            for j in range(1, i + 1):
                rows[i][j] = rho ** (i - j) * tail
        return rows
    if structure != "cs":
        raise ValueError(f"no structured correlation for {structure!r}")
    a = zero
    for j in range(size):
        diagonal = sqrt(1 - rho**2 * a)
        rows[j][j] = diagonal
        for i in range(j + 1, size):
            rows[i][j] = (rho - rho**2 * a) / diagonal
        a = a + (1 - rho * a) ** 2 / (1 - rho**2 * a)
    return rows


def structured_cholesky_array(structure: str, rho: np.ndarray, size: int) -> np.ndarray:
    """Lower Cholesky factors ``(..., size, size)`` of ``cs`` or ``ar1`` correlations, one per ``rho``.

    Parameters
    ----------
    structure : {"cs", "ar1"}
    rho : ndarray, shape (...)
        Correlation parameter draws.
    size : int
        Number of effects in the block.
    """
    rho = np.asarray(rho, dtype=float)
    entries = structured_correlation_cholesky(structure, rho, size)
    return np.stack([np.stack(row, axis=-1) for row in entries], axis=-2)


def block_cholesky(
    blocks: Sequence[BlockSpec], sd: np.ndarray, correlation_cholesky: Sequence[np.ndarray | None]
) -> np.ndarray:
    """Block-diagonal :math:`L` with :math:`\\Sigma = L L^\\top`, one per draw.

    Each block contributes :math:`\\operatorname{diag}(s_b)\\,C_b`, with
    :math:`C_b` its correlation Cholesky factor (the identity for an
    uncorrelated block). The one numpy form of this map: every sampling path,
    the prior simulation and the results use it.

    Parameters
    ----------
    blocks : sequence of BlockSpec
        A factor's blocks, in effect order.
    sd : ndarray, shape (..., k)
        SD of every effect.
    correlation_cholesky : sequence of (ndarray of shape (..., w, w)) or None
        Per block, its correlation Cholesky factor, or ``None`` when the block is
        uncorrelated.

    Returns
    -------
    ndarray, shape (..., k, k)
    """
    sd = np.asarray(sd, dtype=float)
    k = sd.shape[-1]
    L = np.zeros(sd.shape + (k,))
    start = 0
    for block, C in zip(blocks, correlation_cholesky, strict=True):
        width = len(block.effects)
        idx = slice(start, start + width)
        if C is None:
            L[..., idx, idx] = np.eye(width) * sd[..., idx, None]
        else:
            L[..., idx, idx] = sd[..., idx, None] * C
        start += width
    return L
