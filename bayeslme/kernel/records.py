"""Pieces of the kernel's flat arrays: codes of families, priors and blocks, value variables, a builder."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from bayeslme.families import log_binomial_coefficient
from bayeslme.kernel import header as d
from bayeslme.priors import Prior
from bayeslme.spec import ModelSpec

__all__ = [
    "BLOCK_KINDS",
    "FAMILIES",
    "LINKS",
    "LOCATION_KINDS",
    "SCALE_KINDS",
    "ValueVar",
    "lkj_positions",
]


FAMILIES = {"gaussian": 0, "student_t": 1, "bernoulli": 2, "binomial": 3, "poisson": 4, "negativebinomial": 5}
LOCATION_KINDS = {"normal": 0, "student_t": 1, "flat": 2}
SCALE_KINDS = {"halfnormal": 0, "halfstudent_t": 1, "halfcauchy": 2, "exponential": 3, "gamma": 4}
BLOCK_KINDS = {"diag": 0, "us": 1, "cs": 2, "ar1": 3}
# The canonical link of each family the kernel evaluates is code 0; probit (Bernoulli, binomial) is 1.
LINKS = {
    ("gaussian", "identity"): 0,
    ("student_t", "identity"): 0,
    ("bernoulli", "logit"): 0,
    ("bernoulli", "probit"): 1,
    ("binomial", "logit"): 0,
    ("binomial", "probit"): 1,
    ("poisson", "log"): 0,
    ("negativebinomial", "log"): 0,
}


@dataclass(frozen=True)
class ValueVar:
    """A PyMC value variable's place in ``q``.

    Attributes
    ----------
    name : str
        PyMC's value-variable name (``sigma_unit_log__``, ``Subject__L0_cholesky_corr__``, ...).
    start : int
        Its first position in ``q``.
    shape : tuple of int
        Its shape (``q[start:start + size]`` reshaped).
    """

    name: str
    start: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of entries."""
        return int(np.prod(self.shape, dtype=int))


def lkj_positions(width: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each unconstrained LKJ parameter in the strictly lower triangle.

    PyMC's ``CholeskyCorrTransform(n, upper=False)`` fills the triangle in
    "spiral" order (taken over from TensorFlow Probability): with ``m`` =
    ``n (n - 1) / 2`` values ``x``, the ``(n - 1) x (n - 1)`` matrix
    ``concat(x[n - 1:], reverse(x))`` reshaped, lower triangle, sits below the
    diagonal of ``W``.
    """
    n = width - 1
    m = width * (width - 1) // 2
    x = np.arange(m)
    filled = np.concatenate([x[n:], x[::-1]]).reshape(n, n)
    rows, cols = np.tril_indices(n)
    order = filled[rows, cols]
    position = np.empty(m, dtype=np.int64)
    position[order] = np.arange(m)
    return (rows + 1)[position].astype(np.int64), cols[position].astype(np.int64)


class _Builder:
    """Appends arrays to the flat ``F`` and ``I`` arrays and returns their offsets."""

    def __init__(self) -> None:
        self._floats: list[np.ndarray] = []
        self._ints: list[np.ndarray] = []
        self._nf = 0
        self._ni = d.HEADER

    def floats(self, values) -> int:
        array = np.asarray(values, dtype=np.float64).ravel()
        self._floats.append(array)
        offset = self._nf
        self._nf += array.size
        return offset

    def ints(self, values) -> int:
        array = np.asarray(values, dtype=np.int64).ravel()
        self._ints.append(array)
        offset = self._ni
        self._ni += array.size
        return offset

    def finish(self, header: list[int]) -> tuple[np.ndarray, np.ndarray]:
        F = np.concatenate(self._floats) if self._floats else np.zeros(0)
        I = np.concatenate([np.asarray(header, dtype=np.int64), *self._ints])
        return np.ascontiguousarray(F), np.ascontiguousarray(I)


def _theta_priors(spec: ModelSpec) -> list[Prior]:
    return [spec.coefficient_prior(n) for n in spec.fixed]


def _get(prior: Prior, name: str, default: float = 0.0) -> float:
    return dict(prior.params).get(name, default)


def _normaliser(builder: _Builder, spec: ModelSpec, y: np.ndarray, trials) -> int:
    """Each row's log normalising constant where the density leaves it out (zeros otherwise)."""
    if spec.family == "binomial":
        return builder.floats(log_binomial_coefficient(trials, y))
    if spec.family in ("poisson", "negativebinomial"):
        return builder.floats(-special.gammaln(y + 1.0))
    return builder.floats(np.zeros(len(y)))
