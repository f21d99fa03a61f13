"""Try the newest nutpie, PyMC, PyTensor and numba in a scratch venv: one command per version bump.

    python benchmarks/bump_check.py            # newest releases of all four
    python benchmarks/bump_check.py nutpie     # only nutpie newer than the bounds

Installs bayeslme with its other dependencies as bounded in pyproject.toml,
then upgrades the named packages past the bounds, prints the versions, and
runs a smoke fit of each path that touches their internals: the kernel's C
callbacks (nutpie's numba-model class), the kernel through nutpie's public
``from_pyfunc`` fallback, and the compiled-graph path (PyTensor packing and
cached callbacks) of a model the kernel does not evaluate. Each prints which
path it took; "fallback" lines mean a private API moved (the fit still works,
slower). Then it runs the unit tests of those paths. If all is well, raise
the bounds in pyproject.toml to the printed minor versions.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile

PACKAGES = ("nutpie", "pymc", "pytensor", "numba")
ROOT = pathlib.Path(__file__).resolve().parents[1]

SMOKE = """
import importlib.metadata as md, os, warnings
warnings.simplefilter("ignore")
import numpy as np
import bayeslme as bl
for name in ("nutpie", "pymc", "pytensor", "numba"):
    print(f"{name} {md.version(name)}")
small = dict(draws=200, tune=200, chains=2, random_seed=1, progressbar=False)
fit = bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy()).fit(**small)
print("collapsed kernel:", fit.info["kernel"], "b =", fit.fixed_effects()["mean"].round(2).tolist())
cbpp = bl.datasets.cbpp()
glmm = bl.GLMM("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp, family="binomial")
fit = glmm.fit(**small)
print("non-centered kernel:", fit.info["kernel"], "b =", fit.fixed_effects()["mean"].round(2).tolist())
os.environ["BAYESLME_KERNEL"] = "0"
fit = glmm.fit(**small)
b = fit.fixed_effects()["mean"].round(2).tolist()
print("compiled graph: from_disk", fit.info["compile_from_disk"], "b =", b)
"""

TESTS = [
    "tests/unit/kernel",
    "tests/integration/test_kernel_fit.py",
    "tests/unit/backend/test_nutpie_compile.py",
    "tests/unit/backend/test_nutpie_record.py",
]


def main(argv: list[str]) -> int:
    packages = argv or list(PACKAGES)
    with tempfile.TemporaryDirectory(prefix="bayeslme-bump-") as scratch:
        venv = pathlib.Path(scratch) / "venv"
        python = venv / "bin" / "python"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", *packages], check=True)
        smoke = subprocess.run([str(python), "-c", SMOKE], cwd=ROOT)
        tests = subprocess.run(
            [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS], cwd=ROOT
        )
    return smoke.returncode or tests.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
