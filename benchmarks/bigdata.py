"""Data bigger than memory: statistics streamed from Parquet by DuckDB, then sampling (issue 20).

    python benchmarks/bigdata.py --rows 100_000_000 --groups 100_000 --dir /tmp/bigdata

Writes the Parquet files once (``y ~ x1 + x2 + (1 + x1 | g)`` with known
truth, files of 5 million rows), then times, in a fresh process each:

* ``stream``: ``bl.LMM(formula, "<dir>/*.parquet")`` (the statistics) and
  ``fit()`` (4 chains x ``--draws`` draws after 1000 tuning), with the peak
  resident memory after the statistics and after the fit, then ``fit.coef("g")``
  over every level (its time and the peak memory after it);
* ``subset`` (``--subset``): the first million rows fitted from Parquet and
  from the same rows in a DataFrame, the largest relative difference of their
  statistics and of their posterior means (same seed);
* ``dask`` (``--dask``): the statistics by Dask on a 2-worker
  ``distributed.LocalCluster`` and by DuckDB, their times and largest
  relative difference.

Prints one JSON line per run; ``docs/performance.md`` records them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

FORMULA = "y ~ x1 + x2 + (1 + x1 | g)"
FILE_ROWS = 5_000_000
TRUTH = {"Intercept": 1.0, "x1": 0.5, "x2": -0.3, "sd_Intercept": 0.8, "sd_x1": 0.3, "sigma": 1.0}


def write_files(directory: Path, rows: int, groups: int, seed: int = 0) -> None:
    """``rows`` rows in files of :data:`FILE_ROWS`, skipped when present."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / f"done_{rows}_{groups}"
    if marker.exists():
        return
    rng = np.random.default_rng(seed)
    u0 = rng.normal(0, TRUTH["sd_Intercept"], groups)
    u1 = rng.normal(0, TRUTH["sd_x1"], groups)
    for k, start in enumerate(range(0, rows, FILE_ROWS)):
        n = min(FILE_ROWS, rows - start)
        g = rng.integers(0, groups, n)
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        y = TRUTH["Intercept"] + (TRUTH["x1"] + u1[g]) * x1 + TRUTH["x2"] * x2 + u0[g]
        y += rng.normal(0, TRUTH["sigma"], n)
        table = pa.table({"y": y, "x1": x1, "x2": x2, "g": g})
        pq.write_table(table, directory / f"part{k:04d}.parquet")
    marker.touch()


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_stream(directory: Path, draws: int) -> dict:
    import bayeslme as bl

    start = time.perf_counter()
    model = bl.LMM(FORMULA, str(directory / "*.parquet"))
    stats_seconds = time.perf_counter() - start
    stats_rss = peak_rss_mb()
    start = time.perf_counter()
    fit = model.fit(random_seed=1, progressbar=False, draws=draws, tune=1000, chains=4)
    fit_seconds = time.perf_counter() - start
    fit_rss = peak_rss_mb()
    start = time.perf_counter()
    coef = fit.coef("g")  # every level's effects, summarised block by block
    coef_seconds = time.perf_counter() - start
    table = fit.summary()
    population = [v for v in fit.population_var_names()]
    ess = min(float(fit.diagnostics.min_ess_bulk), float(fit.diagnostics.min_ess_tail))
    return {
        "run": "stream",
        "rows": model.design.n_obs,
        "groups": len(model.spec.factors[0].levels),
        "stats_seconds": round(stats_seconds, 1),
        "fit_seconds": round(fit_seconds, 1),
        "total_seconds": round(stats_seconds + fit_seconds, 1),
        "min_ess": round(ess),
        "min_ess_per_second": round(ess / fit_seconds, 1),
        "max_rhat": round(float(fit.diagnostics.max_rhat), 4),
        "draws": draws,
        "stats_peak_rss_mb": round(stats_rss),
        "peak_rss_mb": round(fit_rss),
        "coef_rows": len(coef),
        "coef_seconds": round(coef_seconds, 1),
        "coef_peak_rss_mb": round(peak_rss_mb()),
        "population_variables": population,
        "means": {k: round(float(v), 4) for k, v in table["mean"].items()},
    }


def run_subset(directory: Path, rows: int = 1_000_000) -> dict:
    import duckdb

    import bayeslme as bl
    from bayeslme.backend.suffstats import group_stats

    subset = directory.parent / f"{directory.name}_subset"
    subset.mkdir(exist_ok=True)
    frame = duckdb.sql(f"SELECT * FROM read_parquet('{directory}/*.parquet') LIMIT {rows}").df()
    frame.to_parquet(subset / "subset.parquet")
    streamed = bl.LMM(FORMULA, str(subset / "subset.parquet"))
    memory = bl.LMM(FORMULA, frame)
    factor = memory.design.factors[0]
    expected = group_stats(
        memory.design.y, memory.spec.centered_X(memory.design.X), factor.Z, factor.index, len(factor.levels)
    )
    got = streamed.design.raw.centered(streamed.spec.column_means)
    gaps = {
        name: float(
            np.max(np.abs(getattr(got, name) - getattr(expected, name)))
            / np.max(np.abs(getattr(expected, name)))
        )
        for name in ("ZZ", "ZX", "Zy", "XX", "Xy")
    }
    a = streamed.fit(random_seed=1, progressbar=False).summary()
    b = memory.fit(random_seed=1, progressbar=False).summary()
    mean_gap = float(((a["mean"] - b["mean"]).abs() / b["sd"]).max())
    return {
        "run": "subset",
        "rows": rows,
        "max_relative_stat_difference": max(gaps.values()),
        "max_posterior_mean_difference_in_sd": mean_gap,
    }


def run_dask(directory: Path) -> dict:
    """Statistics by Dask on a LocalCluster of 2 workers, against DuckDB's."""
    import distributed

    import bayeslme as bl
    from bayeslme.bigdata.design import source_stats
    from bayeslme.bigdata.parquet import chunked_stats
    from bayeslme.formula.parse import parse_formula

    formula = parse_formula(FORMULA)
    pattern = str(directory / "*.parquet")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            start = time.perf_counter()
            dask = source_stats(formula, bl.scan_parquet(pattern, client=client))
            dask_seconds = time.perf_counter() - start
    start = time.perf_counter()
    duck = chunked_stats(formula, bl.scan_parquet(pattern))
    duck_seconds = time.perf_counter() - start
    gaps = [
        float(
            np.max(np.abs(getattr(dask.raw, n) - getattr(duck.raw, n))) / np.max(np.abs(getattr(duck.raw, n)))
        )
        for n in ("counts", "ZZ", "ZX", "Zy", "Z1", "X1", "XX", "Xy")
    ]
    return {
        "run": "dask",
        "rows": duck.raw.n_obs,
        "dask_seconds": round(dask_seconds, 1),
        "duckdb_seconds": round(duck_seconds, 1),
        "max_relative_stat_difference": max(gaps),
        "client_peak_rss_mb": round(peak_rss_mb()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bayeslme_bigdata"))
    parser.add_argument("--subset", action="store_true")
    parser.add_argument("--draws", type=int, default=1000, help="kept draws per chain (4 chains)")
    parser.add_argument("--dask", action="store_true", help="also time Dask on a 2-worker LocalCluster")
    parser.add_argument("--child", choices=["stream", "subset", "dask"])
    args = parser.parse_args()
    directory = args.dir / f"rows{args.rows}_groups{args.groups}"
    if args.child == "stream":
        print(json.dumps(run_stream(directory, args.draws)))
        return
    if args.child == "subset":
        print(json.dumps(run_subset(directory)))
        return
    if args.child == "dask":
        print(json.dumps(run_dask(directory)))
        return
    start = time.perf_counter()
    write_files(directory, args.rows, args.groups)
    print(json.dumps({"run": "write", "seconds": round(time.perf_counter() - start, 1)}), flush=True)
    for child in ["stream"] + (["subset"] if args.subset else []) + (["dask"] if args.dask else []):
        command = [sys.executable, __file__, "--rows", str(args.rows), "--groups", str(args.groups)]
        command += ["--dir", str(args.dir), "--child", child, "--draws", str(args.draws)]
        subprocess.run(command, check=True, env=os.environ.copy())


if __name__ == "__main__":
    main()
