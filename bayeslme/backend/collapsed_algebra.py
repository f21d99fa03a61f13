"""PyTensor building blocks of the collapsed likelihoods: small batched linear algebra.

The :math:`k \\times k` matrices of the collapsed models (one per group) are
handled entry by entry as length-:math:`G` vectors: ``k`` is small and known
when the graph is built, and unrolled elementwise operations keep the
gradient graph small and avoid batched-linalg ops that numba runs in object
mode.
"""

from __future__ import annotations

import pytensor.tensor as pt

__all__ = ["fixed_residual_norm", "unrolled_cholesky", "unrolled_forward_solve", "woodbury_matrix"]


def woodbury_matrix(ZZ: pt.TensorVariable, L: pt.TensorVariable, s2: pt.TensorVariable, k: int) -> list[list]:
    """Entries of :math:`M_g = s^2 I + L^\\top (Z^\\top Z)_g L` for a (G, k, k) batch ``ZZ``."""
    LZZL = pt.tensordot(pt.tensordot(ZZ, L, axes=[[2], [0]]), L, axes=[[1], [0]])  # (G, k, k)
    return [[LZZL[:, a, b] + (s2 if a == b else 0.0) for b in range(k)] for a in range(k)]


def fixed_residual_norm(data: dict[str, pt.TensorVariable], theta: pt.TensorVariable) -> pt.TensorVariable:
    """:math:`r^\\top r` with :math:`r = y - X\\theta`, from ``stats_yy``, ``stats_Xy``, ``stats_XX``."""
    return (
        data["stats_yy"]
        - 2 * pt.dot(data["stats_Xy"], theta)
        + pt.dot(theta, pt.dot(data["stats_XX"], theta))
    )


def unrolled_cholesky(M: list[list], k: int) -> list[list]:
    """Cholesky factor of a batch of k x k matrices given entry-wise as length-G vectors."""
    C: list[list] = [[None] * k for _ in range(k)]
    for j in range(k):
        diag = M[j][j] - sum(C[j][m] ** 2 for m in range(j)) if j else M[j][j]
        C[j][j] = pt.sqrt(diag)
        for i in range(j + 1, k):
            off = M[i][j] - sum(C[i][m] * C[j][m] for m in range(j)) if j else M[i][j]
            C[i][j] = off / C[j][j]
    return C


def unrolled_forward_solve(C: list[list], w: list, k: int) -> list:
    """Solve ``C v = w`` for lower-triangular ``C`` entry-wise."""
    v: list = []
    for i in range(k):
        rest = w[i] - sum(C[i][m] * v[m] for m in range(i)) if i else w[i]
        v.append(rest / C[i][i])
    return v
