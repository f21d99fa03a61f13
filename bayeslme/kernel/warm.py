"""A machine's first fit: compile the kernel's callback in two processes at once.

numba compiles the log density once per machine (then loads it from its disk
cache). On a machine that has not compiled a callback yet, its costly inner
functions are split into two shares (:data:`bayeslme.kernel.density.PARTS`):
a worker process compiles the model's share while this process compiles the
shared one, and the callback then compiles only its own small body; both
shares land in numba's disk cache, where the callback finds them. The command
line starts the workers before its own imports (:func:`start`), so the
compile also overlaps them.

Whether a callback was compiled is a marker file beside numba's cache, keyed
by the density's source file, numba, Python and the CPU, as numba keys its
cache. A wrong marker costs only time: when it says "compiled" and numba's
cache disagrees, the callback compiles in this process, as without workers;
when a worker cannot start or fails, this process compiles what is missing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import threading

__all__ = ["ENV_SWITCH", "ensure", "mark_compiled", "start", "stop"]

_log = logging.getLogger("bayeslme")

_WORKERS: dict[str, subprocess.Popen] = {}
_LOCK = threading.Lock()
_WAIT_SECONDS = 600.0
"""Longest wait for a worker; past it, this process compiles the share itself."""


def _marker(method: str) -> str:
    import llvmlite.binding as llvm
    import numba

    from bayeslme.kernel import density

    sources = [os.stat(path) for path in density.source_files()]
    key = "|".join(
        (
            *(f"{source.st_mtime_ns}:{source.st_size}" for source in sources),
            numba.__version__,
            sys.version,
            llvm.get_host_cpu_name(),
            llvm.get_host_cpu_features().flatten(),
        )
    )
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return os.path.join(density.cache_directory(), f"bayeslme-{method}-{digest}.compiled")


def _compiled(method: str) -> bool:
    return os.path.exists(_marker(method))


def mark_compiled(method: str) -> None:
    """Record that this machine's numba cache holds ``method``'s callback."""
    try:
        with open(_marker(method), "w") as handle:
            handle.write("compiled\n")
    except OSError as error:  # a read-only cache only costs the next process its workers
        _log.debug("could not write the kernel's compile marker: %s", error)


def _spawn(part: str) -> None:
    if part in _WORKERS or os.environ.get(ENV_SWITCH, "1") == "0" or getattr(sys, "frozen", False):
        return
    try:
        _WORKERS[part] = subprocess.Popen(
            [sys.executable, "-m", "bayeslme.kernel.warm", part],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError as error:
        _log.info("could not start a compile worker (%s); compiling in this process", error)


def _join(part: str) -> bool:
    """Wait for ``part``'s worker; whether it compiled its share."""
    worker = _WORKERS.get(part)
    if worker is None:
        return False
    try:
        code = worker.wait(timeout=_WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        code = None
    finally:  # also on an interrupt: the worker never outlives the wait
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        _WORKERS.pop(part, None)
    if code not in (0, None):
        _log.info("the kernel's %s compile worker exited with code %s", part, code)
    return code == 0


ENV_SWITCH = "BAYESLME_COMPILE_WORKERS"
"""Set to ``0`` to compile in the fitting process only (no worker processes)."""


def start(parts: tuple[str, ...]) -> None:
    """Start a worker per share in ``parts`` (keys of :data:`~bayeslme.kernel.density.PARTS`).

    For a caller that knows what it will sample before its own imports (the
    command line): the workers compile what this machine has not compiled
    yet, or only load it (under a second each), while the caller imports.
    :func:`ensure` waits for them.
    """
    with _LOCK:
        for part in parts:
            _spawn(part)


def ensure(method: str) -> None:
    """Before ``method``'s callback is created: on a cold machine, compile its shares at once."""
    from bayeslme.kernel.density import compile_part

    with _LOCK:
        started = tuple(_WORKERS)
        if _compiled(method):
            for part in started:  # started by start(); they only loaded what was compiled
                _join(part)
            return
        _log.info("first fit on this machine: compiling bayeslme's log density once")
        _spawn(method)
        try:
            if not _join("shared"):
                compile_part("shared")
            if not _join(method):
                _log.info("the kernel's compile worker failed; compiling in this process")
        finally:
            _stop_unlocked()


def stop() -> None:
    """End the workers nobody waited for (the command failed, or sampled without the kernel).

    numba writes a cache entry whole or not at all, so a stopped worker
    leaves the cache as it was.
    """
    with _LOCK:
        _stop_unlocked()


def _stop_unlocked() -> None:
    for part in tuple(_WORKERS):
        worker = _WORKERS.pop(part)
        if worker.poll() is None:
            worker.terminate()
        worker.wait()


def _main(argv: list[str]) -> int:
    from bayeslme.kernel.density import PARTS, compile_part

    if len(argv) != 1 or argv[0] not in PARTS:
        print(f"usage: python -m bayeslme.kernel.warm {{{','.join(PARTS)}}}", file=sys.stderr)
        return 2
    compile_part(argv[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
