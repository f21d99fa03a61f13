"""Fit one model with bambi + nutpie for ``benchmark.py`` (run under bambi's own interpreter).

bambi is a peer we measure against, never a dependency: it pins
``formulae < 0.7`` and so lives in a separate virtual environment. This script
imports nothing from bayeslme. It builds ``bambi.Model`` on the data file the
benchmark wrote, compiles the PyMC model with nutpie and samples it, following
bambi's own ``fit(inference_method="nutpie")`` path (``pm.sample`` with
``nuts_sampler="nutpie"`` calls ``nutpie.compile_pymc_model`` and then
``nutpie.sample``; calling the two directly lets compile and sampling be timed
apart). It writes the draws of the population parameters (common terms,
group SDs ``<term>|<factor>_sigma``, family parameters) to an ``.npz`` file so
that the benchmark computes ESS and R-hat for both packages with the same
code, and prints one JSON line with timings and the peak RSS of this process.

Usage::

    python bambi_runner.py --data d.csv --formula "y ~ x + (x | g)" --family gaussian \
        --categorical g --draws 1000 --tune 1000 --chains 4 --seed 1 --target-accept 0.8 \
        --out draws.npz
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from importlib.metadata import version


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--formula", required=True)
    parser.add_argument("--family", default="gaussian")
    parser.add_argument("--categorical", nargs="*", default=[])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--target-accept", type=float, default=0.8)
    parser.add_argument("--out", required=True)
    parser.add_argument("--warm", action="store_true", help="fit a second time in the same process")
    args = parser.parse_args()

    start = time.perf_counter()
    import bambi as bmb
    import numpy as np
    import nutpie
    import pandas as pd
    from pymc.util import get_default_varnames

    import_seconds = time.perf_counter() - start

    data = pd.read_parquet(args.data) if args.data.endswith(".parquet") else pd.read_csv(args.data)

    def fit(seed: int):
        """Build, compile and sample a fresh bambi model; (build, compile, sample) seconds and trace."""
        start = time.perf_counter()
        model = bmb.Model(args.formula, data, family=args.family, categorical=args.categorical or None)
        model.build()
        pm_model = model.backend.model
        # The variables bambi's _run_mcmc keeps: no transformed values, no
        # likelihood parameters that are deterministics (the per-row mean).
        keep = [
            v.name for v in get_default_varnames(pm_model.unobserved_value_vars, include_transformed=False)
        ]
        for name, variable in pm_model.named_vars.items():
            if (
                name in model.family.likelihood.params
                and variable in pm_model.deterministics
                and name in keep
            ):
                keep.remove(name)
        build_seconds = time.perf_counter() - start

        start = time.perf_counter()
        compiled = nutpie.compile_pymc_model(pm_model, var_names=keep, backend="numba")
        compile_seconds = time.perf_counter() - start

        start = time.perf_counter()
        trace = nutpie.sample(
            compiled,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            seed=seed,
            target_accept=args.target_accept,
            progress_bar=False,
        )
        return build_seconds, compile_seconds, time.perf_counter() - start, trace

    build_seconds, compile_seconds, sampling_seconds, trace = fit(args.seed)
    warm_compile = warm_total = None
    if args.warm:
        # A second fit of the same formula in the same process, as bayeslme's "warm" columns.
        again = fit(args.seed + 1)
        warm_compile, warm_total = again[1], sum(again[:3])

    posterior = trace["posterior"]
    population = []
    for name in posterior.data_vars:
        dims = posterior[name].dims[2:]
        if any("__obs__" in d for d in dims):
            continue  # per-row quantities
        if "|" in name and not name.endswith("_sigma"):
            continue  # group-specific effects and their offsets
        population.append(name)
    arrays = {name: np.asarray(posterior[name].values) for name in population}
    arrays["__diverging__"] = np.asarray(trace["sample_stats"]["diverging"].values)
    np.savez(args.out, **arrays)
    print(
        json.dumps(
            {
                "import": import_seconds,
                "build": build_seconds,
                "compile": compile_seconds,
                "sample": sampling_seconds,
                "total": build_seconds + compile_seconds + sampling_seconds,
                "warm_compile": warm_compile,
                "warm_total": warm_total,
                "population": population,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "versions": {
                    n: version(n)
                    for n in (
                        "bambi",
                        "pymc",
                        "pytensor",
                        "nutpie",
                        "formulae",
                        "numba",
                    )
                },
            }
        )
    )


if __name__ == "__main__":
    main()
