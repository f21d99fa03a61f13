"""The fits users meet first, timed as whole processes, bayeslme and bambi side by side.

Run through ``benchmark.py --scenarios fresh-machine new-formula`` (or this file
directly with the same options). Every row is a new process; its wall time
includes Python's imports.

* ``fresh-machine``: nothing compiled yet. bayeslme: ``bayeslme demo`` with an
  empty ``HOME`` and an empty numba cache (``NUMBA_CACHE_DIR``), the state of a
  fresh clone with a new venv (the package's ``.pyc`` files exist, as after
  ``pip install``). bambi: the same sleepstudy model with an empty ``HOME``
  (PyTensor's compile cache, numba's included, lives in ``~/.pytensor``).
* ``new-formula``: a machine that has run the package before (caches as they
  are), a formula whose structure this process has never compiled, one row per
  formula across families on sleepstudy-sized data, and one on 100,000 rows.
  bayeslme's ``fit()`` time (build + compile + sampling + post-processing,
  imports excluded) and the whole process are reported; bambi's runner reports
  its build + compile + sampling, and the whole process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from common import cell, markdown_table, timed  # benchmarks/, the script's folder

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name: (bayeslme formula, bambi formula, family, categorical columns, rows)
FORMULAS = {
    "slope+z": (
        "Reaction ~ Days + z + (Days | Subject)",
        "Reaction ~ Days + z + (Days | Subject)",
        "gaussian",
        ("Subject",),
        180,
    ),
    "interaction": (
        "Reaction ~ Days * site + (1 | Subject)",
        "Reaction ~ Days * site + (1 | Subject)",
        "gaussian",
        ("Subject", "site"),
        180,
    ),
    "crossed": (
        "Reaction ~ Days + (Days | Subject) + (1 | batch)",
        "Reaction ~ Days + (Days | Subject) + (1 | batch)",
        "gaussian",
        ("Subject", "batch"),
        180,
    ),
    "bernoulli": (
        "yb ~ Days + (Days | Subject)",
        "yb ~ Days + (Days | Subject)",
        "bernoulli",
        ("Subject",),
        180,
    ),
    "poisson": (
        "cnt ~ Days + z + (1 | Subject)",
        "cnt ~ Days + z + (1 | Subject)",
        "poisson",
        ("Subject",),
        180,
    ),
    "negbin": (
        "cnt ~ Days + (Days | Subject)",
        "cnt ~ Days + (Days | Subject)",
        "negativebinomial",
        ("Subject",),
        180,
    ),
    "sim100k": ("y ~ x + z + (x | g)", "y ~ x + z + (x | g)", "gaussian", ("g",), 100_000),
}

OURS = """
import json, resource, sys, time, warnings
start = time.perf_counter()
import pandas as pd
import bayeslme as bl
bl.GLMM  # `import bayeslme` is lazy: load the modules fit() uses before the fit's timer
imported = time.perf_counter() - start
warnings.simplefilter("ignore")
formula, family, path, draws, tune, chains = sys.argv[1:7]
data = pd.read_csv(path)
for column in ("Subject", "site", "batch", "g"):
    if column in data:
        data[column] = data[column].astype(str)
start = time.perf_counter()
model = bl.GLMM(formula, data, family=family)
fit = model.fit(draws=int(draws), tune=int(tune), chains=int(chains), random_seed=1, progressbar=False)
seconds = time.perf_counter() - start
print(json.dumps({"imports": imported, "fit": seconds, "compile": fit.info["compile_seconds"],
                  "sample": fit.info["sampling_seconds"], "method": fit.info["method"],
                  "kernel": fit.info.get("kernel"), "min_ess_bulk": fit.diagnostics.min_ess_bulk,
                  "max_rhat": fit.diagnostics.max_rhat,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def scenario_data(name: str, path: str) -> None:
    """Write the data of formula ``name`` to ``path`` (seeded)."""
    import numpy as np

    import bayeslme as bl

    rows = FORMULAS[name][4]
    rng = np.random.default_rng(11)
    if rows > 1000:
        data = bl.simulate.random_slopes(n_groups=1000, n_per_group=100, seed=1).data
    else:
        data = bl.datasets.sleepstudy()
    n = len(data)
    data["z"] = rng.normal(size=n)
    data["site"] = np.where(rng.random(n) < 0.5, "a", "b")
    data["batch"] = rng.integers(0, 6, size=n).astype(str)
    if "Subject" in data:
        eta = -0.5 + 0.1 * data["Days"] + rng.normal(0, 0.6, 18)[data["Subject"].astype("category").cat.codes]
        data["yb"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
        data["cnt"] = rng.poisson(np.exp(0.5 + 0.08 * data["Days"]) * rng.gamma(5, 1 / 5, size=n))
    data.to_csv(path, index=False)


def fresh_machine(bambi_python: str | None, settings: dict, timeout: float) -> list[dict]:
    """``bayeslme demo`` and bambi's first fit, each with nothing compiled on the machine."""
    rows = []
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HOME": home, "NUMBA_CACHE_DIR": cache}
        command = [sys.executable, "-m", "bayeslme.cli", "demo", "--no-progress"]
        wall, _, error = timed(command, env, timeout, reads_json=False)  # the demo prints tables
        rows.append(
            {
                "scenario": "fresh-machine",
                "formula": "demo (sleepstudy)",
                "package": "bayeslme",
                "process_s": wall,
                "error": error,
            }
        )
    if bambi_python:
        rows.append(
            _bambi_row("fresh-machine", "sleepstudy-demo", bambi_python, settings, timeout, fresh=True)
        )
    return rows


def new_formula(bambi_python: str | None, settings: dict, timeout: float, names: list[str]) -> list[dict]:
    """One fresh process per formula, for each package."""
    rows = []
    for name in names:
        formula, _, family, _, n = FORMULAS[name]
        with tempfile.TemporaryDirectory() as work:
            path = os.path.join(work, "data.csv")
            scenario_data(name, path)
            command = [
                sys.executable,
                "-c",
                OURS,
                formula,
                family,
                path,
                str(settings["draws"]),
                str(settings["tune"]),
                str(settings["chains"]),
            ]
            wall, result, error = timed(command, {**os.environ, "PYTHONPATH": ROOT}, timeout)
            rows.append(
                {
                    "scenario": "new-formula",
                    "formula": formula,
                    "package": "bayeslme",
                    "rows": n,
                    "process_s": wall,
                    **(result or {}),
                    "error": error,
                }
            )
            if bambi_python:
                rows.append(_bambi_row("new-formula", name, bambi_python, settings, timeout, path=path))
    return rows


def _bambi_row(
    scenario: str,
    name: str,
    python: str,
    settings: dict,
    timeout: float,
    path: str | None = None,
    fresh: bool = False,
) -> dict:
    with tempfile.TemporaryDirectory() as work, tempfile.TemporaryDirectory() as home:
        if name == "sleepstudy-demo":
            import bayeslme as bl

            path = os.path.join(work, "data.csv")
            bl.datasets.sleepstudy().to_csv(path, index=False)
            formula, family, categorical = "Reaction ~ Days + (Days | Subject)", "gaussian", ("Subject",)
        else:
            _, formula, family, categorical, _ = FORMULAS[name]
        command = [
            python,
            os.path.join(HERE, "bambi_runner.py"),
            "--data",
            path,
            "--formula",
            formula,
            "--family",
            family,
            "--categorical",
            *categorical,
            "--draws",
            str(settings["draws"]),
            "--tune",
            str(settings["tune"]),
            "--chains",
            str(settings["chains"]),
            "--seed",
            "1",
            "--out",
            os.path.join(work, "draws.npz"),
        ]
        env = {**os.environ, **({"HOME": home} if fresh else {})}
        env.pop("PYTHONPATH", None)
        wall, result, error = timed(command, env, timeout)
    result = result or {}
    return {
        "scenario": scenario,
        "formula": formula,
        "package": "bambi",
        "rows": None,
        "process_s": wall,
        "fit": None if not result else result["build"] + result["compile"] + result["sample"],
        "compile": result.get("compile"),
        "sample": result.get("sample"),
        "error": error,
    }


def table(rows: list[dict]) -> str:
    """Markdown table of the rows."""
    headers = [
        "scenario",
        "formula",
        "package",
        "process s",
        "fit() s",
        "compile s",
        "sample s",
        "min ESS bulk",
        "max R-hat",
    ]
    cells = [
        [
            r["scenario"],
            f"`{r['formula']}`",
            r["package"],
            cell(r, "process_s"),
            cell(r, "fit"),
            cell(r, "compile", "{:.2f}"),
            cell(r, "sample"),
            cell(r, "min_ess_bulk", "{:.0f}"),
            cell(r, "max_rhat", "{:.3f}") + (f" {r['error']}" if r.get("error") else ""),
        ]
        for r in rows
    ]
    return markdown_table(headers, cells)


def run(
    scenarios: list[str], bambi_python: str | None, settings: dict, timeout: float, formulas: list[str]
) -> list[dict]:
    rows: list[dict] = []
    if "fresh-machine" in scenarios:
        rows += fresh_machine(bambi_python, settings, timeout)
    if "new-formula" in scenarios:
        rows += new_formula(bambi_python, settings, timeout, formulas)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenarios",
        nargs="+",
        default=["fresh-machine", "new-formula"],
        choices=["fresh-machine", "new-formula"],
    )
    parser.add_argument("--formulas", nargs="+", default=list(FORMULAS), choices=list(FORMULAS))
    parser.add_argument("--bambi-python", default=None)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    settings = {"draws": args.draws, "tune": args.tune, "chains": args.chains}
    rows = run(args.scenarios, args.bambi_python, settings, args.timeout, args.formulas)
    print(table(rows))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
