"""Benchmark bayeslme's collapsed and non-centered paths, and bambi + nutpie, side by side.

A script, not a test. Each (data set, fit) row runs in its own process, so
peak RSS and compile time are per row and start cold; for each data set the
bayeslme rows and the bambi row run one after another (interleaved), so they
see the same machine load. Usage::

    python benchmarks/benchmark.py                       # every case, default settings
    python benchmarks/benchmark.py --cases sleepstudy sim10k --draws 500 --tune 500 --chains 2
    python benchmarks/benchmark.py --skip-noncentered-above 200000 \\
        --bambi-python /work/bambi-venv/bin/python

Data sets: ``sleepstudy`` (embedded), ``sim10k`` / ``sim100k`` / ``sim1m``
(``y ~ x + (x | g)``, 200 / 1,000 / 1,000 groups), ``cbpp`` (binomial,
``(1 | herd)``), ``bern10k`` (Bernoulli, ``y ~ x + (x | g)``, 200 groups of
50) and ``crossed10k`` (Gaussian, ``y ~ x + (1 | subject) + (1 | item)``, 100 x 50
levels). The last three are on bayeslme's non-centered path only (and
``crossed10k`` on the marginal one: ``subject`` integrated out given ``item``).
``nested100k`` (``y ~ x + (x | school) + (1 | school:class)``, 100 schools x
10 classes x 100 rows, ``bl.simulate.nested``) takes the nested collapsed path.

``--scenarios fresh-machine new-formula`` times whole processes as users meet
them first instead: ``bayeslme demo`` with nothing compiled, and one fresh
process per new formula across families (``benchmarks/scenarios.py``).

Columns: build (design + spec + PyMC model), compile (nutpie/numba), sample,
total wall seconds (build + compile + sample + drawing the group effects),
compile and total of a second fit of the same formula on freshly built data
in the same process (warm compile cache; collapsed rows and sleepstudy; for
bambi, a second model built and compiled in the same process, sleepstudy by
default, see --bambi-warm), min
bulk / tail ESS and max R-hat over the population parameters that both
packages estimate (fixed effects, group SDs, family parameters such as the
residual SD), bulk ESS per total second, divergences, peak RSS of the process,
and bayeslme's min bulk ESS when its group-effect correlations are included
(bambi does not estimate them).

bambi rows need ``--bambi-python`` (an interpreter with bambi and nutpie,
e.g. a separate venv: bambi pins formulae < 0.7). It runs
``benchmarks/bambi_runner.py`` on the same data (written to a CSV) with the
same chains, draws, tune, seed and target_accept; ESS and R-hat of its draws
are computed here with bayeslme's own diagnostic code. bambi's default priors
differ from bayeslme's (both weakly informative and scaled to the data).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class Case:
    """One data set: formulas for both packages, family, and which bayeslme paths apply."""

    formula: str
    bambi_formula: str
    family: str = "gaussian"
    categorical: tuple[str, ...] = ()
    methods: tuple[str, ...] = ("collapsed", "noncentered")
    size: int = 0
    sim: dict = field(default_factory=dict)
    bambi_family: str | None = None


SIM = "y ~ x + (x | g)"
CASES = {
    "sleepstudy": Case(
        "Reaction ~ Days + (Days | Subject)",
        "Reaction ~ Days + (Days | Subject)",
        categorical=("Subject",),
        size=180,
    ),
    "sim10k": Case(SIM, SIM, categorical=("g",), size=10_000, sim={"groups": 200, "per": 50}),
    "sim100k": Case(SIM, SIM, categorical=("g",), size=100_000, sim={"groups": 1000, "per": 100}),
    "sim1m": Case(SIM, SIM, categorical=("g",), size=1_000_000, sim={"groups": 1000, "per": 1000}),
    "cbpp": Case(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)",
        "p(incidence, size) ~ period + (1 | herd)",
        family="binomial",
        categorical=("herd", "period"),
        methods=("noncentered",),
        size=56,
    ),
    "bern10k": Case(
        SIM,
        SIM,
        family="bernoulli",
        categorical=("g",),
        methods=("noncentered",),
        size=10_000,
        sim={"groups": 200, "per": 50},
    ),
    "crossed10k": Case(
        "y ~ x + (1 | subject) + (1 | item)",
        "y ~ x + (1 | subject) + (1 | item)",
        categorical=("subject", "item"),
        methods=("noncentered", "marginal"),
        size=10_000,
    ),
    # 100 schools x 10 classes x 100 rows; collapsed by the two-level (nested) Woodbury path.
    "nested100k": Case(
        "y ~ x + (x | school) + (1 | school:class)",
        "y ~ x + (x | school) + (1 | class_id)",
        categorical=("school", "class_id"),
        size=100_000,
    ),
    # Issue 17's panel: crossed designs and GLMMs.
    # lme4's InstEval (exported with Rscript; simulated with its sizes without R).
    "insteval": Case(
        "y ~ service + (1 | s) + (1 | d) + (1 | dept)",
        "y ~ service + (1 | s) + (1 | d) + (1 | dept)",
        categorical=("s", "d", "dept", "service"),
        methods=("noncentered", "marginal"),
        size=73_421,
    ),
    # Subjects x items, 48 x 32, 15 % of the trials missing, maximal model.
    "subjitem": Case(
        "y ~ cond + (1 + cond | subj) + (1 + cond | item)",
        "y ~ cond + (1 + cond | subj) + (1 + cond | item)",
        categorical=("subj", "item"),
        methods=("noncentered", "marginal"),
        size=1306,
    ),
    "subjitem_bern": Case(
        "y ~ cond + (1 + cond | subj) + (1 + cond | item)",
        "y ~ cond + (1 + cond | subj) + (1 + cond | item)",
        family="bernoulli",
        categorical=("subj", "item"),
        methods=("noncentered",),
        size=1306,
    ),
    # Negative binomial with a correlated slope, 60 groups x 25.
    "negbin": Case(
        "y ~ x + (1 + x | g)",
        "y ~ x + (1 + x | g)",
        family="negativebinomial",
        categorical=("g",),
        methods=("noncentered",),
        size=1500,
    ),
    # Student-t with a correlated slope, 60 groups x 25.
    "student": Case(
        "y ~ x + (1 + x | g)",
        "y ~ x + (1 + x | g)",
        family="student_t",
        bambi_family="t",
        categorical=("g",),
        methods=("noncentered",),
        size=1500,
    ),
    # lme4's grouseticks: Poisson with an observation-level effect (INDEX).
    "grouseticks": Case(
        "TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)",
        "TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)",
        family="poisson",
        categorical=("YEAR", "BROOD", "INDEX", "LOCATION"),
        methods=("noncentered",),
        size=403,
    ),
}
PANEL = ("insteval", "subjitem", "subjitem_bern", "negbin", "student", "grouseticks")
"""Issue 17's cases (``--cases panel`` runs them)."""


def _bernoulli(groups: int, per: int, seed: int = 1):
    """Bernoulli y ~ x + (x | g): intercept 0, slope 0.5, SDs 0.8 / 0.4, correlation -0.3."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    sd = np.array([0.8, 0.4])
    cov = np.outer(sd, sd) * np.array([[1.0, -0.3], [-0.3, 1.0]])
    u = rng.multivariate_normal(np.zeros(2), cov, size=groups)
    g = np.repeat(np.arange(groups), per)
    x = rng.normal(size=g.size)
    eta = 0.0 + u[g, 0] + (0.5 + u[g, 1]) * x
    y = (rng.uniform(size=g.size) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{k:03d}" for k in g]})


def _crossed(n_a: int = 100, n_b: int = 50, n: int = 10_000, seed: int = 1):
    """Gaussian y ~ x + (1 | subject) + (1 | item): intercept 5, slope 2, SDs 1.0 / 0.5, sigma 1.

    (``b`` would clash with bayeslme's reserved parameter name.)
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    a = rng.integers(0, n_a, size=n)
    b = rng.integers(0, n_b, size=n)
    x = rng.normal(size=n)
    y = 5 + 2 * x + rng.normal(0, 1.0, n_a)[a] + rng.normal(0, 0.5, n_b)[b] + rng.normal(size=n)
    subject = [f"s{k:03d}" for k in a]
    return pd.DataFrame({"y": y, "x": x, "subject": subject, "item": [f"i{k:02d}" for k in b]})


def _from_r(dataset: str):
    """lme4's data set ``dataset`` as a DataFrame, exported once with Rscript; None without R."""
    import shutil

    import pandas as pd

    folder = os.path.join(tempfile.gettempdir(), "bayeslme-benchmark-data")
    path = os.path.join(folder, f"{dataset}.csv")
    if not os.path.exists(path):
        if shutil.which("Rscript") is None:
            return None
        os.makedirs(folder, exist_ok=True)
        script = f'suppressMessages(library(lme4)); write.csv({dataset}, "{path}.tmp", row.names = FALSE)'
        done = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            return None
        os.replace(f"{path}.tmp", path)
    return pd.read_csv(path)


def _insteval():
    """InstEval from lme4, or a Gaussian simulation with its sizes and lme4's REML estimates.

    2,972 students (s), 1,128 lecturers (d) in 14 departments, 73,421
    ratings; lme4 1.1-31: intercept 3.28, service -0.07, SDs s 0.32, d 0.52,
    dept 0.08, residual 1.18.
    """
    import numpy as np
    import pandas as pd

    data = _from_r("InstEval")
    if data is None:
        rng = np.random.default_rng(17)
        n = 73_421
        s = rng.integers(0, 2972, size=n)
        d = np.minimum(rng.zipf(1.3, size=n) - 1, 1127)
        dept = np.arange(1128) % 14
        service = rng.integers(0, 2, size=n)
        y = (
            3.28
            - 0.07 * service
            + rng.normal(0, 0.32, 2972)[s]
            + rng.normal(0, 0.52, 1128)[d]
            + rng.normal(0, 0.08, 14)[dept[d]]
            + rng.normal(0, 1.18, n)
        )
        data = pd.DataFrame({"s": s, "d": d, "dept": dept[d], "service": service, "y": y})
    data = data[["y", "service", "s", "d", "dept"]].copy()
    for column in ("s", "d", "dept", "service"):
        data[column] = "x" + data[column].astype(str)  # factors for both packages
    return data


def _subjects_items(family: str, seed: int = 7):
    """48 subjects x 32 items, 15 % missing; cond = -0.5 / 0.5 within both; maximal model.

    Intercept 0.2, cond 0.4; subjects SDs 0.6 / 0.3, correlation 0.3; items
    SDs 0.4 / 0.2, correlation -0.2; residual SD 1 (Gaussian) or logit link.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)

    def effects(n, sds, rho):
        cov = np.outer(sds, sds) * np.array([[1.0, rho], [rho, 1.0]])
        return rng.multivariate_normal(np.zeros(2), cov, size=n)

    us, ui = effects(48, [0.6, 0.3], 0.3), effects(32, [0.4, 0.2], -0.2)
    subj, item = np.meshgrid(np.arange(48), np.arange(32), indexing="ij")
    subj, item = subj.ravel(), item.ravel()
    cond = np.where((subj + item) % 2 == 0, -0.5, 0.5)
    keep = rng.permutation(subj.size)[: round(0.85 * subj.size)]
    subj, item, cond = subj[keep], item[keep], cond[keep]
    eta = 0.2 + us[subj, 0] + ui[item, 0] + (0.4 + us[subj, 1] + ui[item, 1]) * cond
    if family == "bernoulli":
        y = (rng.uniform(size=eta.size) < 1 / (1 + np.exp(-eta))).astype(int)
    else:
        y = eta + rng.normal(size=eta.size)
    return pd.DataFrame(
        {"y": y, "cond": cond, "subj": [f"s{k:02d}" for k in subj], "item": [f"i{k:02d}" for k in item]}
    )


def _slope_glmm(family: str, seed: int = 5):
    """60 groups x 25: y ~ x + (1 + x | g), SDs 0.5 / 0.25, correlation 0.3.

    Negative binomial: intercept 1, slope 0.3, alpha 3. Student-t: intercept
    1, slope 0.3, sigma 1, nu 4.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    cov = np.outer([0.5, 0.25], [0.5, 0.25]) * np.array([[1.0, 0.3], [0.3, 1.0]])
    u = rng.multivariate_normal(np.zeros(2), cov, size=60)
    g = np.repeat(np.arange(60), 25)
    x = rng.normal(size=g.size)
    eta = 1.0 + u[g, 0] + (0.3 + u[g, 1]) * x
    if family == "negativebinomial":
        mu = np.exp(eta)
        y = rng.poisson(rng.gamma(3.0, mu / 3.0))
    else:
        y = eta + rng.standard_t(4, size=g.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{k:02d}" for k in g]})


def _grouseticks():
    """lme4's grouseticks (cHEIGHT = HEIGHT - its mean), or a simulation with its sizes without R.

    403 chicks (INDEX) in 118 broods at 63 locations over 3 years.
    """
    import numpy as np
    import pandas as pd

    data = _from_r("grouseticks")
    if data is None:
        rng = np.random.default_rng(3)
        brood = np.sort(rng.integers(0, 118, size=403))
        location = (brood * 63) // 118
        year = 95 + (brood * 3) // 118
        height = rng.normal(460, 20, size=63)[location]
        eta = 0.5 + rng.normal(0, 1.0, 118)[brood] + rng.normal(0, 0.6, 63)[location]
        eta = eta + rng.normal(0, 0.5, 403)
        data = pd.DataFrame(
            {
                "INDEX": np.arange(403),
                "TICKS": rng.poisson(np.exp(eta - 0.02 * (height - 460))),
                "BROOD": brood,
                "HEIGHT": height,
                "YEAR": year,
                "LOCATION": location,
            }
        )
    data = data[["TICKS", "YEAR", "HEIGHT", "BROOD", "INDEX", "LOCATION"]].copy()
    data["cHEIGHT"] = data["HEIGHT"] - data["HEIGHT"].mean()
    for column in ("YEAR", "BROOD", "INDEX", "LOCATION"):
        data[column] = "x" + data[column].astype(str)
    return data


def _data(name: str):
    import bayeslme as bl

    case = CASES[name]
    if name == "insteval":
        return _insteval()
    if name in ("subjitem", "subjitem_bern"):
        return _subjects_items(case.family)
    if name in ("negbin", "student"):
        return _slope_glmm(case.family)
    if name == "grouseticks":
        return _grouseticks()
    if name == "sleepstudy":
        return bl.datasets.sleepstudy()
    if name == "cbpp":
        return bl.datasets.cbpp()
    if name == "bern10k":
        return _bernoulli(case.sim["groups"], case.sim["per"])
    if name == "crossed10k":
        return _crossed()
    if name == "nested100k":
        return bl.simulate.nested(n_schools=100, classes_per_school=10, n_per_class=100, seed=1).data
    return bl.simulate.random_slopes(n_groups=case.sim["groups"], n_per_group=case.sim["per"], seed=1).data


def _model(name: str, data):
    import bayeslme as bl

    case = CASES[name]
    if case.family == "gaussian":
        return bl.LMM(case.formula, data)
    return bl.GLMM(case.formula, data, family=case.family)


def _groups(name: str, data) -> str:
    return "+".join(str(data[c].nunique()) for c in CASES[name].categorical if c not in ("period",))


def run_one(name: str, method: str, settings: dict) -> dict:
    import warnings

    # Import what the fit imports lazily (nutpie pulls in arviz and
    # matplotlib, about 2 s) before the clock starts, as the bambi runner
    # imports bambi and nutpie before its clock: both totals exclude imports.
    import nutpie  # noqa: F401
    import pymc  # noqa: F401

    import bayeslme.backend.build  # noqa: F401
    from bayeslme.results.diagnostics import compute_diagnostics

    data = _data(name)
    start = time.perf_counter()
    model = _model(name, data)
    design_seconds = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(method=method, progressbar=False, random_seed=1, **settings)
        total = time.perf_counter() - start
        warm = warm_total = None
        if name == "sleepstudy" or fit.info["method"] == "collapsed":
            start = time.perf_counter()
            again = _model(name, data).fit(method=method, progressbar=False, random_seed=2, **settings)
            warm, warm_total = (
                again.info["compile_seconds"],
                time.perf_counter() - start,
            )
    shared = [n for n in fit.population_var_names() if not n.endswith("__cor")]
    diag = compute_diagnostics(fit.posterior, fit.idata["sample_stats"].to_dataset(), shared)
    info = fit.info
    return {
        "case": name,
        "n_obs": fit.spec.n_obs,
        "groups": _groups(name, data),
        "method": info["method"],
        "build": design_seconds + info["build_seconds"],
        "compile": info["compile_seconds"],
        "sample": info["sampling_seconds"],
        "total": total,
        "warm_compile": warm,
        "warm_total": warm_total,
        "ess_bulk": diag.min_ess_bulk,
        "ess_tail": diag.min_ess_tail,
        "ess_per_s": diag.min_ess_bulk / total,
        "divergences": diag.divergences,
        "max_rhat": diag.max_rhat,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "ess_bulk_with_cor": fit.diagnostics.min_ess_bulk,
        "parameters": shared,
    }


def run_bambi(
    name: str,
    python: str,
    settings: dict,
    timeout: float,
    workdir: str,
    warm: bool = False,
) -> dict:
    """Fit ``name`` with bambi + nutpie in a subprocess of ``python``; same metrics as run_one."""
    import numpy as np
    import xarray as xr

    from bayeslme.results.diagnostics import compute_diagnostics

    case = CASES[name]
    data = _data(name)
    path = os.path.join(workdir, f"{name}.csv")
    data.to_csv(path, index=False)
    out = os.path.join(workdir, f"{name}.npz")
    command = [
        python,
        os.path.join(HERE, "bambi_runner.py"),
        "--data",
        path,
        "--formula",
        case.bambi_formula,
        "--family",
        case.bambi_family or case.family,
        "--categorical",
        *case.categorical,
        "--draws",
        str(settings["draws"]),
        "--tune",
        str(settings["tune"]),
        "--chains",
        str(settings["chains"]),
        "--seed",
        "1",
        "--target-accept",
        str(settings.get("target_accept", 0.8)),
        "--out",
        out,
        *(["--warm"] if warm else []),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    arrays = np.load(out)
    posterior = xr.Dataset(
        {n: ([f"{n}_d{i}" for i in range(arrays[n].ndim)], arrays[n]) for n in result["population"]}
    )
    stats = xr.Dataset({"diverging": (("chain", "draw"), arrays["__diverging__"])})
    diag = compute_diagnostics(posterior, stats, result["population"])
    return {
        "case": name,
        "n_obs": len(data),
        "groups": _groups(name, data),
        "method": "bambi",
        "build": result["build"],
        "compile": result["compile"],
        "sample": result["sample"],
        "total": result["total"],
        "warm_compile": result.get("warm_compile"),
        "warm_total": result.get("warm_total"),
        "ess_bulk": diag.min_ess_bulk,
        "ess_tail": diag.min_ess_tail,
        "ess_per_s": diag.min_ess_bulk / result["total"],
        "divergences": diag.divergences,
        "max_rhat": diag.max_rhat,
        "peak_rss_mb": result["peak_rss_mb"],
        "ess_bulk_with_cor": None,
        "parameters": result["population"],
        "versions": result["versions"],
    }


def _versions() -> str:
    from importlib.metadata import version

    names = [
        "bayeslme",
        "pymc",
        "pytensor",
        "nutpie",
        "numba",
        "arviz",
        "numpy",
        "formulae",
    ]
    parts = []
    for name in names:
        try:
            parts.append(f"{name} {version(name)}")
        except Exception:  # not installed as a distribution (e.g. run from a checkout)
            parts.append(f"{name} (checkout)")
    return ", ".join(parts)


HEADER = (
    "| data | N | groups | fit | build s | compile s | sample s | total s "
    "| warm compile s | warm total s "
    "| min ESS bulk | min ESS tail | ESS/s | div | max R-hat | peak RSS MB | ESS bulk incl. cor |"
)


def _format(rows: list[dict]) -> str:
    lines = [HEADER, "|" + "---|" * 17]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['case']} | | | {r['method']} | {r['error']} |" + " |" * 12)
            continue

        def num(v, fmt):
            return "-" if v is None else format(v, fmt)

        lines.append(
            f"| {r['case']} | {r['n_obs']:,} | {r['groups']} | {r['method']} | {r['build']:.1f} | "
            f"{num(r['compile'], '.1f')} | {r['sample']:.1f} | {r['total']:.1f} | "
            f"{num(r['warm_compile'], '.3f')} | {num(r.get('warm_total'), '.1f')} | "
            f"{r['ess_bulk']:.0f} | {r['ess_tail']:.0f} | {r['ess_per_s']:.1f} | {r['divergences']} | "
            f"{r['max_rhat']:.3f} | {r['peak_rss_mb']:.0f} | {num(r.get('ess_bulk_with_cor'), '.0f')} |"
        )
    return "\n".join(lines)


def _ratios(rows: list[dict]) -> str:
    """Per data set: bayeslme / bambi for ESS per second, bambi / bayeslme for total seconds."""
    lines = [
        "| data | fit | ESS/s ratio (bayeslme / bambi) | total s ratio (bambi / bayeslme) |",
        "|---|---|---|---|",
    ]
    for case in dict.fromkeys(r["case"] for r in rows):
        bambi = [r for r in rows if r["case"] == case and r["method"] == "bambi" and "error" not in r]
        if not bambi:
            continue
        for r in rows:
            if r["case"] == case and r["method"] != "bambi" and "error" not in r:
                lines.append(
                    f"| {case} | {r['method']} | {r['ess_per_s'] / bambi[0]['ess_per_s']:.1f} | "
                    f"{bambi[0]['total'] / r['total']:.2f} |"
                )
    return "\n".join(lines)


def _subprocess_row(command: list[str], case: str, method: str, timeout: float) -> dict:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {
            "case": case,
            "method": method,
            "error": f"timed out after {timeout:.0f} s",
        }
    except subprocess.CalledProcessError as err:
        return {"case": case, "method": method, "error": _last_error(err.stderr)}


def _last_error(stderr: str) -> str:
    """The exception line of a traceback (its last line can be a caret marker)."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "Exception" in line]
    return (errors or lines or ["failed"])[-1].replace("|", "/")[:200]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cases",
        nargs="+",
        default=[c for c in CASES if c not in PANEL],
        choices=[*CASES, "panel"],
        help="data sets (default: all but issue 17's panel; 'panel' adds the panel)",
    )
    parser.add_argument("--methods", nargs="+", default=["collapsed", "noncentered", "marginal"])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per bayeslme row")
    parser.add_argument("--skip-noncentered-above", type=int, default=None, metavar="N")
    parser.add_argument(
        "--bambi-python",
        default=None,
        metavar="PATH",
        help="interpreter with bambi and nutpie installed; bambi rows are skipped without it",
    )
    parser.add_argument("--bambi-timeout", type=float, default=600, help="seconds per bambi row")
    parser.add_argument(
        "--bambi-warm",
        nargs="*",
        default=["sleepstudy"],
        metavar="CASE",
        help="cases where bambi also fits a second time in the same process (warm columns)",
    )
    parser.add_argument("--json", default=None, metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--one", nargs=2, metavar=("CASE", "METHOD"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--scenarios",
        nargs="+",
        default=None,
        choices=["fresh-machine", "new-formula"],
        help="time whole processes as users meet them first instead (see benchmarks/scenarios.py)",
    )
    args = parser.parse_args()
    args.cases = [c for name in args.cases for c in (PANEL if name == "panel" else (name,))]
    settings = {"draws": args.draws, "tune": args.tune, "chains": args.chains}
    if args.scenarios:
        sys.path.insert(0, HERE)
        import scenarios

        formulas = list(scenarios.FORMULAS)
        rows = scenarios.run(args.scenarios, args.bambi_python, settings, args.bambi_timeout, formulas)
        print(scenarios.table(rows))
        if args.json:
            with open(args.json, "w") as handle:
                json.dump(rows, handle, indent=1)
        return
    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1], settings)))
        return

    uptime = lambda: subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: E731
    print(f"start: {uptime()}", flush=True)
    print(HEADER, flush=True)
    rows: list[dict] = []
    # Per (formula, family): (build + compile s, sampling s per row) of the bambi fits run so far.
    bambi_cost: dict[tuple[str, str], list[tuple[float, float]]] = {}
    workdir = tempfile.mkdtemp(prefix="bayeslme-bench-")
    for case in args.cases:
        spec = CASES[case]
        for method in args.methods:
            if method not in spec.methods:
                continue
            if (
                method == "noncentered"
                and args.skip_noncentered_above
                and spec.size > args.skip_noncentered_above
            ):
                rows.append(
                    {
                        "case": case,
                        "method": method,
                        "error": "skipped (--skip-noncentered-above)",
                    }
                )
            else:
                command = [sys.executable, __file__, "--one", case, method]
                command += [
                    "--draws",
                    str(args.draws),
                    "--tune",
                    str(args.tune),
                    "--chains",
                    str(args.chains),
                ]
                rows.append(_subprocess_row(command, case, method, args.timeout))
            print(_format(rows[-1:]).splitlines()[-1], flush=True)
        if args.bambi_python:
            # bambi's sampling cost grows with rows (per-row likelihood): extrapolate compile +
            # sampling seconds per row from the same model on other data sizes; skip what
            # cannot finish in the budget.
            model_key = (spec.bambi_formula, spec.family)
            costs = bambi_cost.setdefault(model_key, [])
            estimate = max((c + s * spec.size for c, s in costs), default=0.0)
            if estimate > args.bambi_timeout:
                rows.append(
                    {
                        "case": case,
                        "method": "bambi",
                        "error": f"skipped (extrapolated {estimate:.0f} s from the same model on "
                        f"fewer rows > "
                        f"{args.bambi_timeout:.0f} s budget)",
                    }
                )
            else:
                try:
                    warm = case in args.bambi_warm
                    row = run_bambi(
                        case,
                        args.bambi_python,
                        settings,
                        args.bambi_timeout,
                        workdir,
                        warm,
                    )
                    rows.append(row)
                    costs.append((row["build"] + row["compile"], row["sample"] / spec.size))
                except subprocess.TimeoutExpired:
                    rows.append(
                        {
                            "case": case,
                            "method": "bambi",
                            "error": f"timed out after {args.bambi_timeout:.0f} s",
                        }
                    )
                    costs.append((0.0, args.bambi_timeout / spec.size))
                except subprocess.CalledProcessError as err:
                    rows.append({"case": case, "method": "bambi", "error": _last_error(err.stderr)})
            print(_format(rows[-1:]).splitlines()[-1], flush=True)
    print(f"end: {uptime()}")
    print()
    print(_format(rows))
    print()
    if args.bambi_python:
        print(_ratios(rows))
        print()
    print(f"settings: {settings}, target_accept 0.8 (both packages), random_seed 1; {_versions()}")
    bambi_versions = next((r["versions"] for r in rows if "versions" in r), None)
    if bambi_versions:
        print("bambi side: " + ", ".join(f"{k} {v}" for k, v in bambi_versions.items()))
    elif not args.bambi_python:
        print("bambi: not benchmarked (no --bambi-python)")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
