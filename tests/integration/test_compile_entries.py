"""A later process rebuilds the compiled model from an earlier one's entry and reproduces its draws."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("nutpie")

FIT = """
import json, sys, warnings
import numpy as np
import bayeslme as bl
warnings.simplefilter("ignore")
model = bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy())
fit = model.fit(draws=100, tune=100, chains=2, random_seed=5, progressbar=False)
result = {"from_disk": fit.info["compile_from_disk"], "b": fit.draws("b").tolist()}
if "compare" in sys.argv:
    # The model this process sampled, against the same model compiled afresh here.
    from bayeslme.backend.nutpie_callbacks import _evaluate
    from bayeslme.backend.nutpie_compile import _compile_afresh
    from bayeslme.backend.sampling import _COMPILED

    ((used, packed, _),) = _COMPILED.values()
    afresh, _ = _compile_afresh(packed, None)
    gaps = []
    for seed in range(3):
        x = used.initial_point_func(seed)
        (_, logp, grad), (_, logp_ref, grad_ref) = (
            _evaluate(c.compiled_logp_func, x, c.n_dim, c.user_data) for c in (used, afresh)
        )
        gaps.append(abs(logp - logp_ref) / abs(logp_ref))
        gaps.extend(np.abs(grad - grad_ref) / (1 + np.abs(grad_ref)))
    result["max_relative_gap"] = float(max(gaps))
print(json.dumps(result))
"""


def _fit_in_new_process(*arguments: str) -> dict:
    command = [sys.executable, "-c", FIT, *arguments]
    # Entries serve the compiled-graph path (models the kernel does not evaluate).
    env = {**os.environ, "BAYESLME_KERNEL": "0"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_later_processes_start_from_the_entry_and_reproduce_draws():
    # The first process compiles (or finds an entry from an earlier run); every
    # later one must start from the entry. Draws are compared between two later
    # processes: the first process to compile a graph on a machine can round
    # differently (see bayeslme.backend.nutpie_compile).
    _fit_in_new_process()
    second, third = _fit_in_new_process(), _fit_in_new_process("compare")
    assert second["from_disk"] and third["from_disk"]
    assert second["b"] == third["b"]
    # Rebuilt from the entry, the log density and gradient are the compiled ones (to rounding).
    assert third["max_relative_gap"] < 1e-12
