"""Compile a PyMC model for nutpie with callbacks that numba caches on disk.

``nutpie.compile_pymc_model(model, backend="numba")`` wraps the model's
PyTensor functions in two ``numba.cfunc`` callbacks that read the data
containers from a record of pointers. Those callbacks are compiled afresh in
every process: the record's field names are random and the callbacks are
closures, so numba cannot cache them, and the copy of the gradient pulls in
numba's generic error formatting. That costs several seconds per process,
more than building the PyTensor functions themselves (whose numba code
PyTensor caches on disk).

This is the one module on the PyMC-graph path that imports nutpie's
internals (``nutpie.compile_pymc``); its helpers generate the callbacks'
source (``nutpie_source``), lay out the record (``nutpie_record``), and
compile and check the callbacks through PyTensor's numba cache
(``nutpie_callbacks``, the one user of those PyTensor internals). The only
caller, :func:`bayeslme.backend.sampling._compile_for_nutpie`, falls back to
nutpie's public ``compile_pymc_model`` on any failure in them.

:func:`compile_model` builds the same :class:`nutpie.compile_pymc.CompiledPyMCModel`
from the same PyTensor functions, but names the record's fields
deterministically (``s0``, ``s1``, ...) and moves all the work of each callback
(reading the record, calling the PyTensor function, copying and checking the
result) into a function generated from source with a key derived from the
PyTensor function's own cache key. Numba loads that function, with the C-ABI
wrapper nutpie calls, from PyTensor's on-disk cache in later processes, so no
``cfunc`` is compiled at all. ``CompiledPyMCModel.with_data`` works unchanged:
the record follows nutpie's ``make_user_data`` layout.

The log density agrees with nutpie's to the last bit or two (its gradient
exactly), and a start-up check compares one evaluation with PyTensor's own
function (any disagreement, or any failure here, makes the caller fall back
to nutpie's compile).

Finding the callbacks in the cache still needs PyTensor's key of the
*rewritten* graph, and rewriting is most of what is left (about 2 s of a 4 s
sleepstudy compile). So each compile also stores an entry
(:mod:`bayeslme.backend.nutpie_entries`) under a key of the graph as built;
a later process with the same key rebuilds the compiled model from the entry
and the cached callbacks without rewriting or compiling anything, checks one
evaluation against the entry's reference (on the same data), and compiles
afresh if anything about the entry does not fit. Code loaded from numba's
cache may round differently from code compiled in the process: the first
process that compiles a new model graph on a machine can draw slightly
different values for a seed than every later process (measured: sleepstudy,
2 x 200 draws, sum of ``b`` draws 104885.46 in the first process, 104916.52
in later ones, identical within each). nutpie's own compile behaves the same
between a cold and a warm PyTensor cache. Within a process, and from the
second process on, the same seed gives the same draws.
"""

from __future__ import annotations

import logging
from typing import Any

import pymc as pm

from bayeslme.backend.graph_key import UnkeyableGraphError
from bayeslme.backend.initial_point import JitteredInitialPoint
from bayeslme.backend.nutpie_callbacks import (
    NOT_IN_CACHE,
    CCallback,
    _check_against_entry,
    _check_against_pytensor,
    build_callback,
    inner_cache_key,
)
from bayeslme.backend.nutpie_entries import CompileEntry, data_digest, model_key, read_entry, write_entry
from bayeslme.backend.nutpie_record import _Record
from bayeslme.backend.nutpie_source import _callback_key, _digest

__all__ = ["compile_model"]

_log = logging.getLogger("bayeslme")


def compile_model(model: pm.Model) -> tuple[Any, bool]:
    """Compile ``model`` for nutpie's numba backend with disk-cacheable callbacks.

    When an earlier process compiled a model with the same graph (see
    :mod:`bayeslme.backend.nutpie_entries`), the compiled model is rebuilt
    from its entry and the cached callbacks without rewriting the graph.

    Parameters
    ----------
    model : pymc.Model
        The model to compile (the same argument as for
        ``nutpie.compile_pymc_model``).

    Returns
    -------
    compiled : nutpie.compile_pymc.CompiledPyMCModel
        Same fields as ``nutpie.compile_pymc_model(model, backend="numba")``
        returns and the same log density, gradient and expansion (up to the
        last bit of the log density, see the module docstring); rebuilt from
        an entry, it has no PyTensor functions (``logp_func`` and
        ``expand_func`` are ``None``; nutpie does not use them).
    from_disk : bool
        Whether it was rebuilt from an entry.

    Raises
    ------
    RuntimeError
        If a PyTensor function has no numba cache key (then nothing could be
        cached and nutpie's own compile should be used).
    """
    key, shared = _model_key(model)
    if key is not None:
        entry = read_entry(key)
        if entry is not None:
            try:
                return _compile_from_entry(model, entry, shared), True
            except Exception as error:  # noqa: BLE001 - any failure means compiling afresh
                _log.debug(
                    "compiling afresh: the entry for this model could not be used (%s: %s)",
                    type(error).__name__,
                    error,
                )
    compiled, entry = _compile_afresh(model, shared)
    if key is not None and entry is not None:
        try:
            write_entry(key, entry)
        except (OSError, TypeError, ValueError) as error:
            _log.debug("could not store the compile entry (%s)", error)
    return compiled, False


def _model_key(model: pm.Model) -> tuple[str | None, list | None]:
    """:func:`nutpie_entries.model_key`, or ``(None, None)`` for a graph it cannot key."""
    try:
        return model_key(model)
    except UnkeyableGraphError as error:
        _log.debug("no compile entry for this model: %s", error)
    except Exception as error:  # noqa: BLE001 - no key only means no entry
        _log.debug("no compile entry for this model: %s: %s", type(error).__name__, error)
    return None, None


def _compile_afresh(model: pm.Model, shared: list | None) -> tuple[Any, CompileEntry | None]:
    """Rewrite and compile the model's graph; also the entry a later process can start from."""
    from nutpie.compile_pymc import _make_functions

    n_dim, n_expanded, logp_fn_pt, expand_fn_pt, _, shape_info, reparameterized = _make_functions(
        model,
        mode="NUMBA",
        compute_grad=True,
        join_expanded=True,
        pymc_initial_point_fn=_no_initial_point,
        var_names=None,
    )
    free = len(model.free_RVs)
    initial_point_fn = JitteredInitialPoint(model, shape_info[0][:free], shape_info[2][:free])
    functions = {"logp": logp_fn_pt, "expand": expand_fn_pt}
    record = _record(logp_fn_pt.get_shared(), expand_fn_pt.get_shared())
    sources, keys, callbacks = {}, {}, {}
    for kind, function in functions.items():
        sources[kind] = record.source(kind, n_dim, n_expanded)
        keys[kind] = _callback_key(inner_cache_key(function.vm.jit_fn), record.slots[kind], sources[kind])
        callbacks[kind] = build_callback(
            kind, sources[kind], keys[kind], record.slots[kind], function.vm.jit_fn
        )
    x, logp, grad = _check_against_pytensor(
        callbacks["logp"], logp_fn_pt, initial_point_fn, n_dim, record.user_data
    )
    compiled = _assemble(
        model,
        record,
        callbacks,
        initial_point_fn,
        sizes=(n_dim, n_expanded),
        shape_info=shape_info,
        reparameterized=reparameterized,
        functions=functions,
    )
    if shared is None:
        return compiled, None
    position = {id(var): index for index, var in enumerate(shared)}
    if any(id(var) not in position for var in record.variables["logp"] + record.variables["expand"]):
        return compiled, None
    names, slices, shapes = shape_info
    entry = CompileEntry(
        n_dim=int(n_dim),
        n_expanded=int(n_expanded),
        names=[str(name) for name in names],
        slices=[[int(item.start), int(item.stop)] for item in slices],
        shapes=[[int(size) for size in shape] for shape in shapes],
        reparameterized=[str(name) for name in reparameterized],
        logp_shared=[position[id(var)] for var in record.variables["logp"]],
        expand_shared=[position[id(var)] for var in record.variables["expand"]],
        callback_keys=keys,
        source_digests={kind: _digest(source) for kind, source in sources.items()},
        data_digest=data_digest(list(record.shared_data.values())),
        support_point=initial_point_fn.base.tolist(),
        reference_x=x.tolist(),
        reference_logp=float(logp),
        reference_grad=grad.tolist(),
    )
    return compiled, entry


def _compile_from_entry(model: pm.Model, entry: CompileEntry, shared: list) -> Any:
    """The compiled model rebuilt from an entry and the callbacks in numba's disk cache.

    Raises
    ------
    RuntimeError
        If the record layout differs from the entry's, a callback is not in
        the cache, or the log density disagrees with the entry's reference
        (on the same data) or is not finite.
    """
    record = _record(
        [shared[index] for index in entry.logp_shared], [shared[index] for index in entry.expand_shared]
    )
    callbacks = {}
    for kind in ("logp", "expand"):
        source = record.source(kind, entry.n_dim, entry.n_expanded)
        if _digest(source) != entry.source_digests[kind]:
            raise RuntimeError(f"the {kind} callback's record layout differs from the entry's")
        # Loaded from numba's cache, the callback needs no inner function; if
        # it is not in the cache, compiling with this placeholder fails.
        callbacks[kind] = build_callback(
            kind, source, entry.callback_keys[kind], record.slots[kind], NOT_IN_CACHE
        )
    digest = data_digest(list(record.shared_data.values()))
    _check_against_entry(callbacks, entry, record.user_data, digest)
    shape_info = entry.shape_info()
    names, _, shapes = shape_info
    free = len(model.free_RVs)
    # The stored support point holds for the same data and no initial values set by hand.
    same_start = digest == entry.data_digest and all(
        value is None for value in model.rvs_to_initial_values.values()
    )
    initial_point_fn = JitteredInitialPoint(
        model, names[:free], shapes[:free], base=entry.support_point if same_start else None
    )
    return _assemble(
        model,
        record,
        callbacks,
        initial_point_fn,
        sizes=(entry.n_dim, entry.n_expanded),
        shape_info=shape_info,
        reparameterized=list(entry.reparameterized),
    )


def _record(logp_vars: list, expand_vars: list) -> _Record:
    """The user-data record of the shared variables, laid out by nutpie's ``make_user_data``."""
    from nutpie.compile_pymc import make_user_data

    return _Record.build(logp_vars, expand_vars, make_user_data)


def _assemble(
    model: pm.Model,
    record: _Record,
    callbacks: dict[str, CCallback],
    initial_point_fn: JitteredInitialPoint,
    *,
    sizes: tuple[int, int],
    shape_info: tuple,
    reparameterized: list[str],
    functions: dict[str, Any] | None = None,
) -> Any:
    """The compiled model nutpie samples, from its parts.

    ``sizes`` is ``(n_dim, n_expanded)``; ``functions`` the PyTensor
    functions (``"logp"``/``"expand"``) when they were compiled here (nutpie
    keeps them but does not use them).
    """
    from nutpie.compile_pymc import CompiledPyMCModel, _prepare_dims_and_coords

    functions = functions or {}
    dims, coords = _prepare_dims_and_coords(model, shape_info, reparameterized)
    names, _, shapes = shape_info
    n_dim, n_expanded = sizes
    return CompiledPyMCModel(
        _n_dim=n_dim,
        dims=dims,
        _coords=coords,
        _shapes={name: tuple(shape) for name, shape in zip(names, shapes, strict=True)},
        compiled_logp_func=callbacks["logp"],
        compiled_expand_func=callbacks["expand"],
        initial_point_func=initial_point_fn,
        shared_data=record.shared_data,
        shared_var_keys=record.shared_var_keys,
        user_data=record.user_data,
        n_expanded=n_expanded,
        shape_info=shape_info,
        logp_func=functions.get("logp"),
        expand_func=functions.get("expand"),
        reparameterized_names=reparameterized,
    )


def _no_initial_point(seed: Any) -> dict:
    """Stands in for the initial-point function ``_make_functions`` wraps (ours replaces it)."""
    raise RuntimeError("the initial point comes from JitteredInitialPoint")
