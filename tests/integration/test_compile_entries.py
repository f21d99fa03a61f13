"""A later process rebuilds the compiled model from an earlier one's entry and reproduces its draws."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("nutpie")

FIT = """
import json, warnings
import bayeslme as bl
warnings.simplefilter("ignore")
model = bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy())
fit = model.fit(draws=100, tune=100, chains=2, random_seed=5, progressbar=False)
print(json.dumps({"from_disk": fit.info["compile_from_disk"], "b": fit.draws("b").tolist()}))
"""


def _fit_in_new_process() -> dict:
    command = [sys.executable, "-c", FIT]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_later_processes_start_from_the_entry_and_reproduce_draws():
    # The first process compiles (or finds an entry from an earlier run); every
    # later one must start from the entry. Draws are compared between two later
    # processes: the first process to compile a graph on a machine can round
    # differently (see bayeslme.backend.nutpie_compile).
    _fit_in_new_process()
    second, third = _fit_in_new_process(), _fit_in_new_process()
    assert second["from_disk"] and third["from_disk"]
    assert second["b"] == third["b"]
