"""A machine's first fit compiles the kernel in two processes; the command line exits at once."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bayeslme.kernel import warm

pytest.importorskip("nutpie")

REPORT = """
import json, warnings
warnings.simplefilter("ignore")
from bayeslme.kernel import callbacks, density
for method in ("collapsed", "noncentered"):
    callbacks.logp_callback(method)
out = {}
for part, entries in density.PARTS.items():
    for function, signature in entries:
        stats = function.stats
        out[function.__name__] = {
            "hits": sum(stats.cache_hits.values()),
            "misses": sum(stats.cache_misses.values()),
            "signatures": [str(s) for s in function.signatures],
            "declared": str(tuple(signature)),
        }
print(json.dumps(out))
"""


def test_workers_compile_what_the_callbacks_then_load(tmp_path):
    # On an empty numba cache, three workers compile the shares of both
    # callbacks at once; a later process then creates both callbacks and
    # loads every inner function from the cache (no miss), with exactly the
    # signature PARTS declares. A wrong signature in PARTS would show as a
    # second signature compiled by the callback.
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    workers = [
        subprocess.Popen([sys.executable, "-m", "bayeslme.kernel.warm", part], env=env)
        for part in ("shared", "collapsed", "noncentered")
    ]
    assert [worker.wait(timeout=600) for worker in workers] == [0, 0, 0]
    done = subprocess.run(
        [sys.executable, "-c", REPORT], env=env, capture_output=True, text=True, timeout=600, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(report) == 7
    for name, entry in report.items():
        assert entry["misses"] == 0 and entry["hits"] >= 1, name
        assert entry["signatures"] == [entry["declared"]], name


def test_worker_refuses_an_unknown_share():
    done = subprocess.run(
        [sys.executable, "-m", "bayeslme.kernel.warm", "everything"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "usage" in done.stderr


@pytest.fixture
def fake_compile(monkeypatch):
    """Record the shares compiled in this process instead of compiling them."""
    from bayeslme.kernel import density

    calls: list[str] = []
    monkeypatch.setattr(density, "compile_part", calls.append)
    monkeypatch.setattr(warm, "_WORKERS", {})
    return calls


def _workers_exit_with(monkeypatch, code: int) -> list[str]:
    started: list[str] = []
    real = subprocess.Popen

    def popen(command, **kwargs):
        started.append(command[-1])
        return real([sys.executable, "-c", f"raise SystemExit({code})"], **kwargs)

    monkeypatch.setattr(warm.subprocess, "Popen", popen)
    return started


def test_a_failed_worker_leaves_the_compile_to_this_process(monkeypatch, fake_compile, caplog):
    monkeypatch.setattr(warm, "_compiled", lambda method: False)
    started = _workers_exit_with(monkeypatch, 1)
    warm.start(("shared",))
    with caplog.at_level(logging.INFO, logger="bayeslme"):
        warm.ensure("collapsed")
    assert started == ["shared", "collapsed"]
    # The shared worker failed: this process compiled the share itself; the
    # callback compiles what the failed model worker left.
    assert fake_compile == ["shared"]
    assert "compile worker failed" in caplog.text
    assert warm._WORKERS == {}


def test_a_worker_that_cannot_start_leaves_the_compile_to_this_process(monkeypatch, fake_compile):
    monkeypatch.setattr(warm, "_compiled", lambda method: False)

    def cannot(*args, **kwargs):
        raise OSError("no process for you")

    monkeypatch.setattr(warm.subprocess, "Popen", cannot)
    warm.ensure("noncentered")
    assert fake_compile == ["shared"]


def test_successful_workers_leave_nothing_to_compile_here(monkeypatch, fake_compile):
    # The demo starts both workers before its imports; ensure() only waits.
    monkeypatch.setattr(warm, "_compiled", lambda method: False)
    started = _workers_exit_with(monkeypatch, 0)
    warm.start(("shared", "collapsed"))
    warm.ensure("collapsed")
    assert started == ["shared", "collapsed"] and fake_compile == [] and warm._WORKERS == {}


def test_without_start_this_process_compiles_the_shared_share(monkeypatch, fake_compile):
    monkeypatch.setattr(warm, "_compiled", lambda method: False)
    started = _workers_exit_with(monkeypatch, 0)
    warm.ensure("noncentered")
    assert started == ["noncentered"] and fake_compile == ["shared"]


def test_no_workers_once_compiled(monkeypatch, fake_compile):
    monkeypatch.setattr(warm, "_compiled", lambda method: True)
    started = _workers_exit_with(monkeypatch, 0)
    warm.ensure("collapsed")
    assert started == [] and fake_compile == []


def test_marker_follows_the_density_source(monkeypatch, tmp_path):
    from bayeslme.kernel import density

    monkeypatch.setattr(density, "cache_directory", lambda: str(tmp_path))
    assert not warm._compiled("collapsed")
    warm.mark_compiled("collapsed")
    assert warm._compiled("collapsed") and not warm._compiled("noncentered")
    # An edit of any of the kernel's compiled modules (numba then recompiles) is a new marker.
    sources = density.source_files()
    assert {Path(p).name for p in sources} >= {"density.py", "rows.py", "woodbury.py", "callbacks.py"}
    edited = tmp_path / "rows.py"
    edited.write_text(Path(sources[3]).read_text() + "\n")
    monkeypatch.setattr(density, "source_files", lambda: (*sources[:3], str(edited), *sources[4:]))
    assert not warm._compiled("collapsed")


def test_command_flushes_its_output_and_exit_code(tmp_path):
    # `bayeslme` ends its process without the interpreter's teardown: the
    # whole output must be written first, and the exit code kept.
    import bayeslme as bl

    path = tmp_path / "data.csv"
    bl.datasets.sleepstudy().to_csv(path, index=False)
    command = [
        sys.executable,
        "-c",
        "from bayeslme.cli import run; run()",
        "fit",
        "Reaction ~ Days + (1 | Subject)",
    ]
    small = ["--data", str(path), "--draws", "30", "--tune", "30", "--chains", "1", "--no-progress"]
    done = subprocess.run(command + small, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Fixed effects:" in done.stdout and done.stdout.rstrip().splitlines()[-1].startswith(
        "total wall time"
    )
    bad = subprocess.run(
        [*command[:3], "fit", "y ~ x + (1 | )", "--data", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert bad.returncode == 2 and "no grouping factor" in bad.stderr


def test_a_failed_command_stops_its_workers(tmp_path, monkeypatch):
    # The command fails before any fit: its worker, still running, is ended.
    from bayeslme.cli import main

    monkeypatch.setattr(warm, "_WORKERS", {})
    real = subprocess.Popen
    started = []

    def slow(command, **kwargs):
        worker = real([sys.executable, "-c", "import time; time.sleep(60)"], **kwargs)
        started.append(worker)
        return worker

    monkeypatch.setattr(warm.subprocess, "Popen", slow)
    path = tmp_path / "data.csv"
    path.write_text("y,x,g\n1,2,a\n")
    assert main(["fit", "y ~ x + (1 | )", "--data", str(path)]) == 2
    assert len(started) == 1 and started[0].poll() is not None  # ended, not left running
    assert warm._WORKERS == {}


def test_workers_can_be_switched_off(monkeypatch, fake_compile):
    monkeypatch.setenv(warm.ENV_SWITCH, "0")
    started = _workers_exit_with(monkeypatch, 0)
    warm.start(("shared", "collapsed"))
    assert started == [] and warm._WORKERS == {}
