"""Response families side by side with bambi + nutpie, each fit a whole fresh process.

For each case one data set is simulated with
``bayeslme.simulate.glmm(family, n_groups=40, n_per_group=25, seed=3)`` and
written to a CSV that both packages read. Each package then fits it in a new
Python process (bayeslme under this interpreter, bambi under
``--bambi-python``), so imports and compilation count as a user meets them on
a machine that has run the package before (caches as earlier runs left them,
the "new formula" convention of ``docs/performance.md``). ``--runs 2`` fits
every case a second time, again in new processes, after the first pass.

Both packages: 4 chains x (1000 tune + 1000 draws), nutpie, seed 1, default
target_accept and priors. Recorded per (case, package, run): wall time of the
whole process, the fit call alone (bayeslme: ``GLMM(...)`` + ``fit()``;
bambi: ``Model(...)`` + ``fit(inference_method="nutpie")``), min bulk and tail
ESS and max R-hat over the population parameters (fixed effects, thresholds,
group SDs, family parameters; not per-group effects), min bulk ESS per second
of the fit call, divergences and the child's peak RSS. bayeslme's numbers are its
own ``fit.diagnostics``; bambi's are computed in its process with the same
``arviz_stats`` calls those make (rank-normalised split R-hat, bulk ESS, tail
ESS at 5 % / 95 %). Case ``gaussian_sigma`` has a second formula, for the
residual SD (``sigma ~ arm + (1 | clinic)``; bambi's ``Formula``). "min-ESS
param" names the parameter with the smallest bulk ESS, "kernel" bayeslme's
``fit.info["kernel"]`` (None: the compiled-graph path).

One JSON line per row is printed as it finishes, a markdown table at the end::

    python benchmarks/families.py --cases gamma beta --runs 2 --json out.json
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

# name: (bayeslme formula, bayeslme family, bambi formula, bambi family, bambi link)
# bambi's formula evaluates `np.log` in the runner's namespace (formulae has no bare `log`).
CASES = {
    "gamma": (
        "y ~ x + offset(log(exposure)) + (1 | g)",
        "gamma",
        "y ~ x + offset(np.log(exposure)) + (1 | g)",
        "gamma",
        "log",  # bambi's gamma defaults to the inverse link
    ),
    "beta": ("y ~ x + (1 | g)", "beta", "y ~ x + (1 | g)", "beta", None),
    "zero_inflated_poisson": (
        "y ~ x + offset(log(exposure)) + (1 | g)",
        "zero_inflated_poisson",
        "y ~ x + offset(np.log(exposure)) + (1 | g)",
        "zero_inflated_poisson",
        None,
    ),
    "hurdle_poisson": (
        "y ~ x + offset(log(exposure)) + (1 | g)",
        "hurdle_poisson",
        "y ~ x + offset(np.log(exposure)) + (1 | g)",
        "hurdle_poisson",
        None,
    ),
    "cumulative": ("y ~ x + (1 | g)", "cumulative", "y ~ x + (1 | g)", "cumulative", None),
    "lognormal": ("y ~ x + (1 | g)", "lognormal", "y ~ x + (1 | g)", "lognormal", None),
    # a residual SD with a formula of its own; formulas joined by ";" (a list for bayeslme, bmb.Formula)
    "gaussian_sigma": (
        "y ~ x + (1 | g);sigma ~ arm + (1 | clinic)",
        "gaussian",
        "y ~ x + (1 | g);sigma ~ arm + (1 | clinic)",
        "gaussian",
        None,
    ),
}

# Shared by both children: min bulk / tail ESS and max R-hat as bayeslme.results.diagnostics computes them.
DIAGNOSTICS = """
def _diagnostics(named):
    # named: {variable: (chain, draw, ...) array}; (min bulk ESS, min tail ESS, max R-hat, worst variable)
    import numpy as np
    from arviz_stats.base import array_stats
    labels = [n for n, a in named.items() for _ in range(int(np.prod(a.shape[2:], dtype=int)))]
    draws = np.concatenate([a.reshape(a.shape[0], a.shape[1], -1) for a in named.values()], axis=-1)
    varying = np.ptp(draws.reshape(-1, draws.shape[-1]), axis=0) > 0
    draws, labels = draws[..., varying], [l for l, v in zip(labels, varying) if v]
    rhat = float(np.nanmax(array_stats.rhat(draws, chain_axis=0, draw_axis=1)))
    ess = array_stats.ess(draws, chain_axis=0, draw_axis=1, method="bulk")
    tail_ess = array_stats.ess(draws, chain_axis=0, draw_axis=1, method="tail", prob=(0.05, 0.95))
    tail = float(np.nanmin(tail_ess))
    return float(np.nanmin(ess)), tail, rhat, labels[int(np.nanargmin(ess))]
"""

OURS = (
    DIAGNOSTICS
    + """
import json, resource, sys, time, warnings
start = time.perf_counter()
import pandas as pd
import bayeslme as bl
bl.GLMM  # `import bayeslme` is lazy: load the modules fit() uses before the fit's timer
imported = time.perf_counter() - start
warnings.simplefilter("ignore")
formula, family, path, draws, tune, chains, seed = sys.argv[1:8]
data = pd.read_csv(path)
for column in ("g", "clinic"):
    if column in data:
        data[column] = data[column].astype(str)
start = time.perf_counter()
model = bl.GLMM(formula.split(";") if ";" in formula else formula, data, family=family)
fit = model.fit(
    draws=int(draws), tune=int(tune), chains=int(chains), random_seed=int(seed), progressbar=False
)
seconds = time.perf_counter() - start
d = fit.diagnostics
info = fit.info
names = fit.population_var_names()
worst = _diagnostics({n: fit.posterior[n].values for n in names})[3]
print(json.dumps({"worst": worst, "parameters": names, "imports": imported, "fit": seconds,
                  "compile": info.get("compile_seconds"),
                  "sample": info.get("sampling_seconds"), "method": info.get("method"),
                  "kernel": info.get("kernel"), "min_ess_bulk": d.min_ess_bulk,
                  "min_ess_tail": d.min_ess_tail,
                  "max_rhat": d.max_rhat, "divergences": d.divergences,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
)

BAMBI = (
    """
import json, resource, sys, time, warnings
start = time.perf_counter()
import numpy as np
import pandas as pd
import bambi as bmb
imported = time.perf_counter() - start
warnings.simplefilter("ignore")
formula, family, link, path, draws, tune, chains, seed = sys.argv[1:9]
data = pd.read_csv(path)
for column in ("g", "clinic"):
    if column in data:
        data[column] = data[column].astype(str)
if family == "cumulative":  # bambi's ordinal families take an ordered categorical response
    data["y"] = pd.Categorical(data["y"], categories=sorted(data["y"].unique()), ordered=True)
start = time.perf_counter()
formula = bmb.Formula(*formula.split(";")) if ";" in formula else formula
model = bmb.Model(formula, data, family=family, **({"link": link} if link != "-" else {}))
idata = model.fit(inference_method="nutpie", draws=int(draws), tune=int(tune), chains=int(chains),
                  random_seed=int(seed), progressbar=False)
seconds = time.perf_counter() - start
posterior = idata["posterior"]
population = []
for name in posterior.data_vars:
    if any("__obs__" in dim for dim in posterior[name].dims):
        continue  # per-row quantities
    if "|" in name and not name.endswith("_sigma"):
        continue  # group-specific effects (`1|g`); keep their SDs (`1|g_sigma`)
    population.append(name)
"""
    + DIAGNOSTICS
    + """
bulk, tail, rhat, worst = _diagnostics({n: np.asarray(posterior[n].values) for n in population})
stats = idata["sample_stats"]
divergences = int(np.asarray(stats["diverging"].values).sum()) if "diverging" in stats else None
from importlib.metadata import version
print(json.dumps({"worst": worst, "imports": imported, "fit": seconds, "min_ess_bulk": bulk,
                  "min_ess_tail": tail,
                  "max_rhat": rhat, "divergences": divergences, "parameters": population,
                  "versions": {n: version(n) for n in ("bambi", "pymc", "pytensor", "nutpie", "numba")},
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
)


def simulate(name: str, path: str) -> int:
    """Write case ``name``'s data to ``path``; the number of rows."""
    import numpy as np
    import pandas as pd

    import bayeslme as bl

    data = bl.simulate.glmm(CASES[name][1], n_groups=40, n_per_group=25, seed=3).data
    if name == "gaussian_sigma":  # residual SD exp(-0.3 + 0.6 arm + v_clinic), v ~ N(0, 0.4^2), 8 clinics
        rng = np.random.default_rng(3)
        data["arm"] = rng.choice(["control", "treated"], len(data))
        data["clinic"] = rng.integers(0, 8, len(data))
        log_sigma = -0.3 + 0.6 * (data["arm"] == "treated") + rng.normal(0, 0.4, 8)[data["clinic"]]
        groups = pd.factorize(data["g"])[0]  # y = 1 + 0.5 x + u_g + e, u ~ N(0, 0.7^2)
        mean = 1 + 0.5 * data["x"] + rng.normal(0, 0.7, groups.max() + 1)[groups]
        data["y"] = mean + rng.normal(0, np.exp(log_sigma))
    data.to_csv(path, index=False)
    return len(data)


def source_digest() -> str:
    """Short digest of bayeslme's sources now (the checkout may change between rows)."""
    import hashlib

    digest = hashlib.sha256()
    for folder, _, files in sorted(os.walk(os.path.join(ROOT, "bayeslme"))):
        for file in sorted(f for f in files if f.endswith(".py")):
            with open(os.path.join(folder, file), "rb") as handle:
                digest.update(file.encode() + handle.read())
    return digest.hexdigest()[:10]


def run_case(name: str, package: str, path: str, settings: dict, bambi_python: str, timeout: float) -> dict:
    """Fit case ``name`` with ``package`` in a fresh process; one result row."""
    ours_formula, ours_family, bambi_formula, bambi_family, link = CASES[name]
    common = [str(settings[k]) for k in ("draws", "tune", "chains", "seed")]
    if package == "bayeslme":
        formula = ours_formula
        command = [sys.executable, "-c", OURS, ours_formula, ours_family, path, *common]
        env = {**os.environ, "PYTHONPATH": ROOT}
        digest = source_digest()
    else:
        formula = bambi_formula
        command = [bambi_python, "-c", BAMBI, bambi_formula, bambi_family, link or "-", path, *common]
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        digest = None
    wall, result, error = timed(command, env, timeout)
    row = {"case": name, "package": package, "formula": formula, "process_s": wall, **result, "error": error}
    if digest:
        row["source_digest"] = digest
    if result.get("fit") and result.get("min_ess_bulk") is not None:
        row["ess_per_s"] = result["min_ess_bulk"] / result["fit"]
    return row


def table(rows: list[dict]) -> str:
    """Markdown table of the rows."""
    headers = [
        "case",
        "package",
        "run",
        "process s",
        "fit s",
        "min ESS bulk",
        "min ESS tail",
        "max R-hat",
        "ESS/s (fit)",
        "div",
        "peak RSS MB",
        "min-ESS param",
        "note",
    ]
    cells = []
    for r in rows:
        note = r.get("error") or ""
        if r["package"] == "bayeslme" and r.get("method"):
            note = note or f"{r['method']}, kernel={r.get('kernel')}"
        cells.append(
            [
                r["case"],
                r["package"],
                r["run"],
                cell(r, "process_s"),
                cell(r, "fit"),
                cell(r, "min_ess_bulk", "{:.0f}"),
                cell(r, "min_ess_tail", "{:.0f}"),
                cell(r, "max_rhat", "{:.3f}"),
                cell(r, "ess_per_s"),
                cell(r, "divergences", "{:d}"),
                cell(r, "peak_rss_mb", "{:.0f}"),
                r.get("worst", "-"),
                note,
            ]
        )
    return markdown_table(headers, cells)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--bambi-python", default="/work/bambi-venv/bin/python")
    parser.add_argument("--packages", nargs="+", default=["bayeslme", "bambi"], choices=["bayeslme", "bambi"])
    parser.add_argument("--runs", type=int, default=1, help="passes over the cases (1: first fits only)")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--json", default=None, help="also write all rows to this file")
    args = parser.parse_args()
    settings = {"draws": args.draws, "tune": args.tune, "chains": args.chains, "seed": args.seed}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as work:
        paths = {}
        for name in args.cases:
            paths[name] = os.path.join(work, f"{name}.csv")
            simulate(name, paths[name])
        for run in range(1, args.runs + 1):
            for name in args.cases:
                for package in args.packages:
                    row = run_case(name, package, paths[name], settings, args.bambi_python, args.timeout)
                    row["run"] = run
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    print()
    print(table(rows))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
