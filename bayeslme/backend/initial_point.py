"""Starting points for nutpie's chains: each free variable's support point, jittered.

nutpie's default (``pymc.initial_point.make_initial_point_fn`` with every free
variable jittered) compiles a PyTensor function, about 0.5 s in a process
that has compiled nothing else, which was a third of rebuilding sleepstudy's
compiled model from its on-disk entry. The same starting points are the
support points on the unconstrained scale plus independent Uniform(-1, 1)
jitter: the support points are computed once (or taken from the entry, which
stores them with a digest of the data they came from) and the jitter is
drawn with numpy, so a seed gives the same starting points whichever way the
model was compiled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import pymc as pm

__all__ = ["JitteredInitialPoint"]


def _support_point_function(model: pm.Model) -> Callable[[int], dict[str, np.ndarray]]:
    """PyMC's initial-point function without jitter (it reads the model's data when called)."""
    from pymc.initial_point import make_initial_point_fn

    return make_initial_point_fn(
        model=model,
        overrides=None,
        default_strategy="support_point",
        jitter_rvs=set(),
        return_transformed=True,
    )


def _flatten(
    point: dict[str, np.ndarray], names: Sequence[str], shapes: Sequence[tuple[int, ...]]
) -> np.ndarray:
    """The values of ``names`` in ``point``, checked against ``shapes`` and concatenated."""
    parts = []
    for name, shape in zip(names, shapes, strict=True):
        value = np.asarray(point[name], dtype=np.float64)
        if value.shape != tuple(shape):
            raise ValueError(f"support point of {name} has shape {value.shape}, expected {tuple(shape)}")
        parts.append(value.ravel())
    return np.concatenate(parts) if parts else np.zeros(0)


class JitteredInitialPoint:
    """``seed -> support point + Uniform(-1, 1) jitter``, the callable nutpie asks for a chain's start.

    Parameters
    ----------
    model : pymc.Model
        The model whose data decide the support points (prior locations may
        depend on the data).
    names, shapes : sequence
        The free value variables and their shapes, in the order of nutpie's
        unconstrained vector.
    base : numpy.ndarray, optional
        The support points, when already known for the model's current data;
        computed on first use otherwise.
    """

    def __init__(
        self,
        model: pm.Model,
        names: Sequence[str],
        shapes: Sequence[tuple[int, ...]],
        base: np.ndarray | None = None,
        function: Callable[[int], dict[str, np.ndarray]] | None = None,
    ) -> None:
        self._model = model
        self._function = function
        self._names = list(names)
        self._shapes = [tuple(shape) for shape in shapes]
        self._base = None if base is None else np.asarray(base, dtype=np.float64)
        self._lock = threading.Lock()  # nutpie starts chains from several threads

    @property
    def base(self) -> np.ndarray:
        """The unjittered support points."""
        with self._lock:
            if self._base is None:
                if self._function is None:
                    self._function = _support_point_function(self._model)
                self._base = _flatten(self._function(0), self._names, self._shapes)
            return self._base

    def __call__(self, seed: int | None = None) -> np.ndarray:
        """The starting point for ``seed``."""
        base = self.base
        return base + np.random.default_rng(seed).uniform(-1.0, 1.0, size=base.shape)

    def for_new_data(self) -> JitteredInitialPoint:
        """The same starting rule after the model's data containers were given new values.

        The compiled support-point function, if any, is shared: it reads the
        containers' current values when called.
        """
        with self._lock:
            function = self._function
        return JitteredInitialPoint(self._model, self._names, self._shapes, function=function)
