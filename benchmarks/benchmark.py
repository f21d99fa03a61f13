"""Benchmark bayeslme's collapsed and non-centered paths side by side (a script, not a test).

Each (data set, method) row runs in its own Python process so that peak RSS
and compile times are per row and start cold. Usage::

    python benchmarks/benchmark.py                       # every case, default settings
    python benchmarks/benchmark.py --cases sleepstudy sim10k --draws 500 --tune 500 --chains 2
    python benchmarks/benchmark.py --skip-noncentered-above 200000

Columns: build (design + spec + PyMC model), compile (nutpie/numba), sample,
total wall seconds (build + compile + sample + drawing the group effects),
compile and total of a second fit of the same formula on freshly built data
in the same process (warm compile cache; collapsed rows and sleepstudy), min
bulk / tail ESS over population parameters, bulk ESS per total second,
divergences, max R-hat, peak RSS of the process.
bambi is included only if importable.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import resource
import subprocess
import sys
import time

CASES = {
    "sleepstudy": None,
    "sim10k": (200, 50),
    "sim100k": (1000, 100),
    "sim1m": (1000, 1000),
}
FORMULAS = {"sleepstudy": "Reaction ~ Days + (Days | Subject)"}
SIM_FORMULA = "y ~ x + (x | g)"


def _data(case: str):
    import bayeslme as bl

    if case == "sleepstudy":
        return FORMULAS[case], bl.datasets.sleepstudy()
    groups, per_group = CASES[case]
    return SIM_FORMULA, bl.simulate.random_slopes(n_groups=groups, n_per_group=per_group, seed=1).data


def run_one(case: str, method: str, settings: dict) -> dict:
    import warnings

    import bayeslme as bl

    formula, data = _data(case)
    start = time.perf_counter()
    model = bl.LMM(formula, data)
    design_seconds = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(method=method, progressbar=False, random_seed=1, **settings)
        total = time.perf_counter() - start
        warm = warm_total = None
        if case == "sleepstudy" or fit.info["method"] == "collapsed":
            start = time.perf_counter()
            again = bl.LMM(formula, data).fit(method=method, progressbar=False, random_seed=2, **settings)
            warm, warm_total = again.info["compile_seconds"], time.perf_counter() - start
    diag = fit.diagnostics
    info = fit.info
    return {
        "case": case,
        "n_obs": fit.spec.n_obs,
        "groups": len(fit.spec.factors[0].levels),
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
    }


def _versions() -> str:
    from importlib.metadata import version

    names = ["bayeslme", "pymc", "pytensor", "nutpie", "numba", "arviz", "numpy"]
    parts = []
    for name in names:
        try:
            parts.append(f"{name} {version(name)}")
        except Exception:  # not installed as a distribution (e.g. run from a checkout)
            parts.append(f"{name} (checkout)")
    return ", ".join(parts)


def _format(rows: list[dict]) -> str:
    header = (
        "| data | N | groups | method | build s | compile s | sample s | total s "
        "| warm compile s | warm total s "
        "| min ESS bulk | min ESS tail | ESS/s | div | max R-hat | peak RSS MB |"
    )
    lines = [header, "|" + "---|" * 16]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['case']} | | | {r['method']} | {r['error']} |" + " |" * 11)
            continue

        def num(v, fmt):
            return "-" if v is None else format(v, fmt)

        lines.append(
            f"| {r['case']} | {r['n_obs']} | {r['groups']} | {r['method']} | {r['build']:.1f} | "
            f"{num(r['compile'], '.1f')} | {r['sample']:.1f} | {r['total']:.1f} | "
            f"{num(r['warm_compile'], '.3f')} | {num(r.get('warm_total'), '.1f')} | "
            f"{r['ess_bulk']:.0f} | {r['ess_tail']:.0f} | {r['ess_per_s']:.1f} | {r['divergences']} | "
            f"{r['max_rhat']:.3f} | {r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--methods", nargs="+", default=["collapsed", "noncentered"])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per row")
    parser.add_argument("--skip-noncentered-above", type=int, default=None, metavar="N")
    parser.add_argument("--one", nargs=2, metavar=("CASE", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    settings = {"draws": args.draws, "tune": args.tune, "chains": args.chains}
    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1], settings)))
        return

    rows = []
    for case in args.cases:
        for method in args.methods:
            size = 180 if CASES[case] is None else CASES[case][0] * CASES[case][1]
            if method == "noncentered" and args.skip_noncentered_above and size > args.skip_noncentered_above:
                rows.append({"case": case, "method": method, "error": "skipped (--skip-noncentered-above)"})
                continue
            command = [sys.executable, __file__, "--one", case, method]
            command += ["--draws", str(args.draws), "--tune", str(args.tune), "--chains", str(args.chains)]
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=args.timeout, check=True
                )
                rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            except subprocess.TimeoutExpired:
                rows.append(
                    {"case": case, "method": method, "error": f"timed out after {args.timeout:.0f} s"}
                )
            except subprocess.CalledProcessError as err:
                rows.append({"case": case, "method": method, "error": err.stderr.strip().splitlines()[-1]})
            print(_format(rows[-1:]).splitlines()[-1], flush=True)
    if importlib.util.find_spec("bambi") is None:
        bambi_note = "bambi: not installed, not benchmarked"
    else:
        bambi_note = "bambi: installed but not yet wired into this script"
    print()
    print(_format(rows))
    print()
    print(f"settings: {settings}; {_versions()}")
    print(f"machine: {platform.platform()}, python {platform.python_version()}, {bambi_note}")


if __name__ == "__main__":
    main()
