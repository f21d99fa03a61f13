"""Simulation-based calibration of bayeslme's models (Talts et al. 2018).

Runs :func:`bayeslme.validate.run_sbc` on several designs, prints one table per
model (chi-square p-value of rank uniformity, 50% and 90% central-interval
coverage with binomial SE), writes the ranks as CSV and rank histograms as PNG.

Full run (the issue asks for at least 200 data sets per model)::

    python benchmarks/sbc.py --n-datasets 200 --out benchmarks/sbc_out

Each fit takes a few seconds, so a full run of every model takes hours on two
cores; run models in separate processes with ``--models``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import bayeslme as bl
from bayeslme.validate import SBCResult, run_sbc


def design(name: str, seed: int = 0) -> tuple[str, pd.DataFrame]:
    """Formula and template data of each SBC model (the response only scales default priors)."""
    rng = np.random.default_rng(seed)
    if name == "intercept":  # random intercept, 20 groups x 5
        g = np.repeat([f"g{k:02d}" for k in range(20)], 5)
        return "y ~ x + (1 | g)", pd.DataFrame({"x": rng.uniform(0, 4, g.size), "g": g})
    if name == "small6":  # small-sample honesty: 6 groups x 5
        g = np.repeat([f"g{k}" for k in range(6)], 5)
        return "y ~ x + (1 | g)", pd.DataFrame({"x": rng.uniform(0, 4, g.size), "g": g})
    if name == "slope":  # correlated intercept + slope (LKJ), 15 groups x 6
        g = np.repeat([f"g{k:02d}" for k in range(15)], 6)
        return "y ~ x + (x | g)", pd.DataFrame({"x": rng.uniform(0, 4, g.size), "g": g})
    if name == "crossed":  # crossed factors: 8 subjects x 6 items, fully crossed, one row each
        subj, item = np.meshgrid([f"s{k}" for k in range(8)], [f"i{k}" for k in range(6)], indexing="ij")
        frame = pd.DataFrame({"subj": subj.ravel(), "item": item.ravel()})
        frame["x"] = rng.normal(size=len(frame))
        return "y ~ x + (1 | subj) + (1 | item)", frame
    raise SystemExit(f"unknown model {name!r}")


MODELS = ("intercept", "small6", "slope", "crossed")


def template(name: str) -> bl.LMM:
    formula, frame = design(name)
    frame = frame.assign(y=np.random.default_rng(1).normal(size=len(frame)))
    return bl.LMM(formula, frame)


def markdown(table: pd.DataFrame) -> str:
    header = "| parameter | chi2 p | cover 50% (SE) | cover 90% (SE) |\n|---|---|---|---|"
    rows = [
        f"| `{name}` | {row.chi2_p:.3f} | {row.cover50:.2f} ({row.se50:.2f}) "
        f"| {row.cover90:.2f} ({row.se90:.2f}) |"
        for name, row in table.iterrows()
    ]
    return "\n".join([header, *rows])


def histograms(result: SBCResult, title: str, path: Path, bins: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import stats

    names = list(result.ranks.columns)
    fig, axes = plt.subplots(1, len(names), figsize=(3 * len(names), 2.6), squeeze=False)
    n = len(result.ranks)
    edges = np.linspace(0, result.n_draws + 1, bins + 1)
    # 99% band of each bin count under uniform ranks (binomial), as in Talts et al. (2018) fig. 1.
    low, high = stats.binom.ppf([0.005, 0.995], n, 1 / bins)
    for ax, name in zip(axes[0], names, strict=True):
        ax.axhspan(low, high, color="0.85")
        ax.hist(result.ranks[name], bins=edges, color="C0", edgecolor="white")
        ax.set_title(name, fontsize=8)
        ax.set_yticks([])
    fig.suptitle(f"{title}: SBC ranks of {n} data sets (grey: 99% band under uniformity)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def combine(paths: list[str], args: argparse.Namespace, out: Path) -> None:
    frames = [pd.read_csv(path) for path in paths]
    ranks = pd.concat(frames, ignore_index=True)
    result = SBCResult(ranks.drop(columns="divergences"), args.n_draws, ranks["divergences"].to_numpy())
    name = Path(paths[0]).stem.replace("_ranks", "")
    histograms(result, name, out / f"{name}_ranks_combined.png", args.bins)
    print(f"\n### {name}: {len(ranks)} data sets from {len(paths)} runs\n")
    print(f"data sets with divergences: {int((result.divergences > 0).sum())}\n")
    print(markdown(result.table(bins=args.bins)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--n-datasets", type=int, default=200)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--tune", type=int, default=300)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--n-draws", type=int, default=99, help="thinned draws per rank (L)")
    parser.add_argument("--bins", type=int, default=10)
    parser.add_argument("--sampler", default="pymc")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", default="benchmarks/sbc_out")
    parser.add_argument(
        "--combine",
        nargs="+",
        metavar="CSV",
        help="summarise rank CSVs of one model written by earlier runs (other seeds) and exit",
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.combine:
        combine(args.combine, args, out)
        return
    for name in args.models:
        start = time.perf_counter()
        result = run_sbc(
            template(name),
            args.n_datasets,
            n_draws=args.n_draws,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            seed=args.seed,
            sampler=args.sampler,
        )
        elapsed = time.perf_counter() - start
        result.ranks.assign(divergences=result.divergences).to_csv(out / f"{name}_ranks.csv", index=False)
        histograms(result, name, out / f"{name}_ranks.png", args.bins)
        formula = design(name)[0]
        print(f"\n### {name}: `{formula}`\n")
        print(
            f"{len(result.ranks)} data sets, L = {result.n_draws} thinned draws from {args.chains} x "
            f"{args.draws}; data sets with divergences: {int((result.divergences > 0).sum())}; "
            f"{elapsed:.0f} s\n"
        )
        print(markdown(result.table(bins=args.bins)), flush=True)


if __name__ == "__main__":
    main()
