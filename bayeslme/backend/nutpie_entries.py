"""On-disk entries that let a later process skip rewriting and compiling a model's graph.

After :mod:`bayeslme.backend.nutpie_compile` has compiled a model, its two
numba callbacks sit in PyTensor's numba cache, but finding them needs the key
of the *rewritten* graph, and rewriting costs seconds (about 2 of the 4 s
that compiling sleepstudy's collapsed model took in a fresh process). An entry
records, under :func:`model_key` of the graph as built (before any rewrite),
everything else nutpie needs: the sizes and layout of the unconstrained and
expanded vectors, which shared variables each callback reads, the callbacks'
numba keys, and one evaluation of the log density to check against.

The key covers the unrewritten log density and expansion graphs
(:func:`bayeslme.backend.graph_key.graph_key`), the model's variable names
and transforms, the versions of everything that rewrites and compiles them,
the PyTensor flags that steer rewriting, and the source of the modules that
write and read entries. A stale entry would mean a wrong posterior, so
anything not covered must not change what is compiled.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from functools import cache
from hashlib import blake2b
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pymc as pm
import pytensor
from pytensor.compile.sharedvalue import SharedVariable

from bayeslme.backend.graph_key import graph_key

__all__ = ["CompileEntry", "data_digest", "model_key", "read_entry", "write_entry"]

_VERSIONED = ("pymc", "pytensor", "nutpie", "numba", "numpy", "llvmlite")
_FLAGS = (
    "floatX",
    "mode",
    "linker",
    "optimizer",
    "optimizer_excluding",
    "optimizer_including",
    "optimizer_requiring",
    "numba__cache",
    "numba__fastmath",
    "cast_policy",
)
_SOURCES = (
    "graph_key.py",
    "nutpie_entries.py",
    "nutpie_compile.py",
    "nutpie_callbacks.py",
    "nutpie_record.py",
    "nutpie_source.py",
    "nutpie_abi.py",
    "initial_point.py",
)
# Entries kept; writing one more removes the oldest (a simulation study with
# integer data writes one per data set: integer values are part of the key).
_MAX_ENTRIES = 500


@dataclass(frozen=True)
class CompileEntry:
    """What a later process needs, besides the cached callbacks, to rebuild nutpie's compiled model.

    Attributes
    ----------
    n_dim, n_expanded : int
        Lengths of the unconstrained and the expanded vectors.
    names, slices, shapes : list
        nutpie's ``shape_info``: each expanded variable's name, its
        ``[start, stop)`` in the expanded vector and its shape.
    reparameterized : list of str
        Value variables with a transform.
    logp_shared, expand_shared : list of int
        The shared variables each callback reads, as positions in
        :func:`model_key`'s list, in the order PyTensor's functions take them.
    callback_keys : dict
        ``"logp"``/``"expand"`` -> numba cache key of the callback.
    source_digests : dict
        ``"logp"``/``"expand"`` -> digest of the callback's source, to check
        that the record layout rebuilt in this process is the one compiled.
    data_digest : str
        :func:`data_digest` of the shared data the reference and the support
        point were computed on.
    support_point : list of float
        The free variables' support points on the unconstrained scale (the
        chains start there, jittered).
    reference_x, reference_grad : list of float
        A point and the log density's gradient there.
    reference_logp : float
        The log density there.
    """

    n_dim: int
    n_expanded: int
    names: list[str]
    slices: list[list[int]]
    shapes: list[list[int]]
    reparameterized: list[str]
    logp_shared: list[int]
    expand_shared: list[int]
    callback_keys: dict[str, str]
    source_digests: dict[str, str]
    data_digest: str
    support_point: list[float]
    reference_x: list[float]
    reference_logp: float
    reference_grad: list[float]

    def validate(self) -> None:
        """Raise ``ValueError`` unless the entry's sizes agree with each other."""
        lengths = {
            "reference_x": len(self.reference_x),
            "reference_grad": len(self.reference_grad),
            "support_point": len(self.support_point),
        }
        if any(length != self.n_dim for length in lengths.values()):
            raise ValueError(f"entry vectors {lengths} do not all have n_dim = {self.n_dim} elements")
        sizes = [int(np.prod(shape)) for shape in self.shapes]
        if (
            len(self.names) != len(self.slices)
            or len(self.slices) != len(self.shapes)
            or any(stop - start != size for (start, stop), size in zip(self.slices, sizes, strict=True))
            or sum(sizes) != self.n_expanded
        ):
            raise ValueError("entry slices and shapes do not add up to n_expanded")

    def shape_info(self) -> tuple[list[str], list[slice], list[tuple[int, ...]]]:
        """The ``shape_info`` triple nutpie takes."""
        return (
            list(self.names),
            [slice(start, stop) for start, stop in self.slices],
            [tuple(shape) for shape in self.shapes],
        )


def model_key(model: pm.Model) -> tuple[str, list[SharedVariable]]:
    """Key of ``model``'s compiled log density and expansion, and the shared variables they read.

    Raises
    ------
    bayeslme.backend.graph_key.UnkeyableGraphError
        If the graph holds something without a deterministic description.
    """
    expanded = model.unobserved_value_vars
    key, shared = graph_key([model.logp(), *expanded])
    free = [model.rvs_to_values[rv].name for rv in model.free_RVs]
    transformed = [model.rvs_to_values[rv].name for rv in model.free_RVs if model.rvs_to_transforms.get(rv)]
    salt = [
        key,
        repr(free),
        repr(transformed),
        repr([var.name for var in expanded]),
        repr(model.check_bounds),
        *(f"{flag}={getattr(pytensor.config, flag, None)}" for flag in _FLAGS),
        _installation(),
    ]
    return blake2b("\n".join(salt).encode(), digest_size=32).hexdigest(), shared


def data_digest(values: list[np.ndarray]) -> str:
    """Digest of the shared data (dtype, shape and bytes of each array, in order)."""
    digest = blake2b(digest_size=32)
    for value in values:
        array = np.ascontiguousarray(value)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.data)
    return digest.hexdigest()


def read_entry(key: str) -> CompileEntry | None:
    """The entry stored under ``key``, or ``None`` when there is none or it cannot be read or checked."""
    path = _entry_dir() / f"{key}.json"
    try:
        entry = CompileEntry(**json.loads(path.read_text()))
        entry.validate()
    except (OSError, ValueError, TypeError):
        return None
    return entry


def write_entry(key: str, entry: CompileEntry) -> None:
    """Store ``entry`` under ``key`` (atomically: a reader sees the old file or the new one)."""
    directory = _entry_dir()
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(asdict(entry), file)
        os.replace(temporary, directory / f"{key}.json")
    finally:
        Path(temporary).unlink(missing_ok=True)
    _prune(directory)


def _prune(directory: Path) -> None:
    """Remove the oldest entries beyond :data:`_MAX_ENTRIES`."""
    entries = sorted(directory.glob("*.json"), key=lambda path: path.stat().st_mtime)
    for path in entries[: max(0, len(entries) - _MAX_ENTRIES)]:
        path.unlink(missing_ok=True)


def _entry_dir() -> Path:
    """Entries live next to PyTensor's numba cache, so clearing PyTensor's cache clears them too."""
    return Path(pytensor.config.base_compiledir) / "bayeslme_nutpie"


@cache
def _installation() -> str:
    """Versions of the packages that rewrite and compile, and digests of the modules behind entries."""
    versions = [f"{package}={version(package)}" for package in _VERSIONED]
    sources = [blake2b((Path(__file__).parent / name).read_bytes()).hexdigest() for name in _SOURCES]
    return "\n".join([*versions, *sources])
