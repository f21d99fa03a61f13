"""Collapsed Gaussian likelihood of two nested grouping factors (two-level Woodbury).

With the notation of :mod:`bayeslme.backend.nested_stats` (outer factor
:math:`A`, :math:`J` levels, :math:`k_a` effects; inner factor :math:`B`,
:math:`I` levels, :math:`k_b` effects; :math:`r = y - X\\theta`), the inner
effects are integrated out per inner level first. With
:math:`M_i = s^2 I + L_B^\\top Z^{B\\top}_i Z^B_i L_B = C_i C_i^\\top`,

.. math::

    v_i = C_i^{-1} L_B^\\top Z^{B\\top}_i r_i, \\qquad
    V_i = C_i^{-1} L_B^\\top Z^{B\\top}_i Z^A_i ,

the rows of outer level :math:`j` given :math:`u_j` have the Gaussian
log-density whose quadratic form in :math:`u_j` has (times :math:`s^2`)

.. math::

    A_j = Z^{A\\top}_j Z^A_j - \\sum_{i: a(i)=j} V_i^\\top V_i, \\qquad
    c_j = Z^{A\\top}_j r_j - \\sum_{i: a(i)=j} V_i^\\top v_i

(segment sums of per-inner-level quantities into their outer level). The
outer effects are then integrated out as in the one-factor case, with
:math:`M_j = s^2 I + L_A^\\top A_j L_A` and :math:`w_j = L_A^\\top c_j`:

.. math::

    \\log p(y) = -\\tfrac12 \\Big[ N \\log 2\\pi + (N - I k_b - J k_a) \\log s^2
        + \\sum_i \\log |M_i| + \\sum_j \\log |M_j|
        + s^{-2} \\big( r^\\top r - \\textstyle\\sum_i v_i^\\top v_i
        - \\sum_j w_j^\\top M_j^{-1} w_j \\big) \\Big].

:math:`A_j = s^2 Z^{A\\top}_j \\operatorname{Cov}(y_j \\mid u_j)^{-1} Z^A_j` is
positive semi-definite, so :math:`M_j \\succeq s^2 I`. A log-density
evaluation costs :math:`O(I (k_b^3 + k_b^2 k_a + k_b k_a^2) + J k_a^3)`,
independent of the number of rows. Three or more levels of nesting, and
crossed factors, are not collapsed.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

from bayeslme.backend.collapsed_algebra import (
    fixed_residual_norm,
    unrolled_cholesky,
    unrolled_forward_solve,
    woodbury_matrix,
)

__all__ = ["nested_loglik"]


def nested_loglik(
    data: dict[str, pt.TensorVariable],
    theta: pt.TensorVariable,
    L_outer: pt.TensorVariable,
    L_inner: pt.TensorVariable,
    sigma: pt.TensorVariable,
    *,
    k_outer: int,
    k_inner: int,
) -> pt.TensorVariable:
    """Marginal log-likelihood given :math:`\\theta`, :math:`L_A`, :math:`L_B`, :math:`s` (module docs).

    ``data`` holds tensors named as :meth:`NestedStats.arrays
    <bayeslme.backend.nested_stats.NestedStats.arrays>`.
    """
    ka, kb = k_outer, k_inner
    n_obs = data["stats_n"]
    s2 = sigma**2
    # Inner levels.
    C = unrolled_cholesky(woodbury_matrix(data["stats_inner_ZZ"], L_inner, s2, kb), kb)
    r_inner = data["stats_inner_Zy"] - pt.tensordot(data["stats_inner_ZX"], theta, axes=[[2], [0]])
    w_inner = pt.dot(r_inner, L_inner)
    v = unrolled_forward_solve(C, [w_inner[:, a] for a in range(kb)], kb)
    P = pt.tensordot(data["stats_cross"], L_inner, axes=[[1], [0]])  # (I, ka, kb): P[i, b, a] = (Lb'Zb'Za)_ab
    V = [unrolled_forward_solve(C, [P[:, b, a] for a in range(kb)], kb) for b in range(ka)]
    per_inner = [sum(V[a][m] * V[b][m] for m in range(kb)) for a in range(ka) for b in range(ka)]
    per_inner += [sum(V[a][m] * v[m] for m in range(kb)) for a in range(ka)]
    # Segment sums into the outer levels.
    n_outer = data["stats_ZZ"].shape[0]
    sums = pt.inc_subtensor(
        pt.zeros((n_outer, len(per_inner)))[data["stats_parent"]], pt.stack(per_inner, axis=1)
    )
    A = data["stats_ZZ"] - sums[:, : ka * ka].reshape((n_outer, ka, ka))
    c = data["stats_Zy"] - pt.tensordot(data["stats_ZX"], theta, axes=[[2], [0]]) - sums[:, ka * ka :]
    # Outer levels.
    C_outer = unrolled_cholesky(woodbury_matrix(A, L_outer, s2, ka), ka)
    w_outer = pt.dot(c, L_outer)
    v_outer = unrolled_forward_solve(C_outer, [w_outer[:, a] for a in range(ka)], ka)
    n_inner = data["stats_inner_ZZ"].shape[0]
    logdet = sum(pt.sum(2 * pt.log(C[a][a])) for a in range(kb))
    logdet += sum(pt.sum(2 * pt.log(C_outer[a][a])) for a in range(ka))
    quad = sum(pt.sum(v[a] ** 2) for a in range(kb)) + sum(pt.sum(v_outer[a] ** 2) for a in range(ka))
    return -0.5 * (
        n_obs * np.log(2 * np.pi)
        + (n_obs - n_inner * kb - n_outer * ka) * pt.log(s2)
        + logdet
        + (fixed_residual_norm(data, theta) - quad) / s2
    )
