"""Simulation-based calibration of bayeslme's models (Talts et al. 2018).

Runs :func:`bayeslme.validate.run_sbc` on several designs, prints one table per
model (chi-square and ECDF-band p-values of rank uniformity, 50% and 90%
central-interval coverage with binomial SE), writes the ranks as CSV (one row
appended per data set, so an interrupted run keeps its results) and rank
histograms with ECDF-difference plots as PNG.

Full run (the issue asks for at least 200 data sets per model)::

    python benchmarks/sbc.py --models intercept --method collapsed --n-datasets 200 --out benchmarks/sbc_out

Each fit takes a few seconds, so a full run of every model takes hours on two
cores; run models in separate processes with ``--models``. ``--method``
picks the parametrisation (``collapsed`` needs a Gaussian model with one
grouping factor, ``marginal`` a Gaussian model with two or more).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import bayeslme as bl
from bayeslme.validate import FIT_COLUMNS, SBCResult, ecdf_band_test, run_sbc


def design(name: str, seed: int = 0) -> tuple[str, pd.DataFrame]:
    """Formula and template data of each SBC model (the response only scales default priors)."""
    rng = np.random.default_rng(seed)
    if name == "intercept":  # random intercept, 20 groups x 5
        g = np.repeat([f"g{k:02d}" for k in range(20)], 5)
        return "y ~ x + (1 | g)", pd.DataFrame({"x": rng.uniform(0, 4, g.size), "g": g})
    if name == "small6":  # small-sample honesty: 6 groups x 5
        g = np.repeat([f"g{k}" for k in range(6)], 5)
        return "y ~ x + (1 | g)", pd.DataFrame({"x": rng.uniform(0, 4, g.size), "g": g})
    if name == "tiny8":  # the CI design: 8 groups x 4
        g = np.repeat([f"g{k}" for k in range(8)], 4)
        return "y ~ x + (1 | g)", pd.DataFrame({"x": rng.uniform(0, 4, g.size), "g": g})
    if name == "slope":  # correlated intercept + slope (LKJ), 15 groups x 6
        g = np.repeat([f"g{k:02d}" for k in range(15)], 6)
        return "y ~ x + (x | g)", pd.DataFrame({"x": rng.uniform(0, 4, g.size), "g": g})
    if name == "crossed":  # crossed factors: 8 subjects x 6 items, fully crossed, one row each
        subj, item = np.meshgrid([f"s{k}" for k in range(8)], [f"i{k}" for k in range(6)], indexing="ij")
        frame = pd.DataFrame({"subj": subj.ravel(), "item": item.ravel()})
        frame["x"] = rng.normal(size=len(frame))
        return "y ~ x + (1 | subj) + (1 | item)", frame
    if name == "subjitem":  # subjects x items, 12 x 8, one row each, correlated subject slopes
        subj, item = np.meshgrid([f"s{k:02d}" for k in range(12)], [f"i{k}" for k in range(8)], indexing="ij")
        frame = pd.DataFrame({"subj": subj.ravel(), "item": item.ravel()})
        frame["cond"] = np.where(rng.random(len(frame)) < 0.5, -0.5, 0.5)
        return "y ~ cond + (1 + cond | subj) + (1 | item)", frame
    if name == "nestcross":  # 10 subjects x 12 classes (3 in each of 4 schools), one row each
        subj, cls = np.meshgrid([f"s{k}" for k in range(10)], [f"c{k:02d}" for k in range(12)], indexing="ij")
        frame = pd.DataFrame({"subj": subj.ravel(), "cls": cls.ravel()})
        frame["school"] = "h" + (frame["cls"].str[1:].astype(int) // 3).astype(str)
        frame["x"] = rng.normal(size=len(frame))
        return "y ~ x + (1 | subj) + (1 | cls) + (1 | school)", frame
    if name == "cs":  # compound symmetry over three effects, separate SDs, 15 groups x 8
        g = np.repeat([f"g{k:02d}" for k in range(15)], 8)
        frame = pd.DataFrame({"x": rng.uniform(0, 4, g.size), "z": rng.normal(size=g.size), "g": g})
        return "y ~ x + cs(1 + x + z | g)", frame
    if name == "ar1":  # AR(1) over four time points, one shared SD, 20 groups x 2 rows per time
        g = np.repeat([f"g{k:02d}" for k in range(20)], 8)
        t = np.tile(np.repeat(["t1", "t2", "t3", "t4"], 2), 20)
        return "y ~ t + ar1(0 + t | g)", pd.DataFrame({"t": pd.Categorical(t), "g": g})
    if name == "bernoulli":  # logistic random intercept, 20 groups x 10
        g = np.repeat([f"g{k:02d}" for k in range(20)], 10)
        return "y ~ x + (1 | g)", pd.DataFrame({"x": rng.normal(size=g.size), "g": g})
    raise SystemExit(f"unknown model {name!r}")


MODELS = (
    "intercept",
    "small6",
    "tiny8",
    "slope",
    "crossed",
    "subjitem",
    "nestcross",
    "bernoulli",
    "cs",
    "ar1",
)


def template(name: str) -> bl.GLMM:
    """The template model of a design; its response only scales the default priors."""
    formula, frame = design(name)
    rng = np.random.default_rng(1)
    if name == "bernoulli":
        return bl.GLMM(formula, frame.assign(y=rng.binomial(1, 0.5, size=len(frame))), family="bernoulli")
    return bl.LMM(formula, frame.assign(y=rng.normal(size=len(frame))))


def markdown(table: pd.DataFrame) -> str:
    """The SBC table as markdown (the ECDF column marks a rank ECDF outside its 95% band with "out")."""
    header = "| parameter | chi2 p | ECDF p | cover 50% (SE) | cover 90% (SE) |\n|---|---|---|---|---|"
    rows = [
        f"| `{name}` | {row.chi2_p:.3f} | {row.ecdf_p:.3f}{' out' if row.ecdf_out else ''} "
        f"| {row.cover50:.2f} ({row.se50:.2f}) | {row.cover90:.2f} ({row.se90:.2f}) |"
        for name, row in table.iterrows()
    ]
    return "\n".join([header, *rows])


def histograms(result: SBCResult, title: str, path: Path, bins: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import stats

    names = list(result.ranks.columns)
    fig, axes = plt.subplots(2, len(names), figsize=(max(2.4 * len(names), 9.0), 4.0), squeeze=False)
    n = len(result.ranks)
    edges = np.linspace(0, result.n_draws + 1, bins + 1)
    # 99% band of each bin count under uniform ranks (binomial), as in Talts et al. (2018) fig. 1.
    low, high = stats.binom.ppf([0.005, 0.995], n, 1 / bins)
    for k, name in enumerate(names):
        ax = axes[0, k]
        ax.axhspan(low, high, color="0.85")
        ax.hist(result.ranks[name], bins=edges, color="C0", edgecolor="white")
        ax.set_title(name, fontsize=8)
        ax.set_yticks([])
        # ECDF difference with its 95% simultaneous band (Säilynoja et al. 2022).
        band = ecdf_band_test(result.ranks[name].to_numpy(), result.n_draws, seed=k)
        ax = axes[1, k]
        ax.fill_between(band.z, band.lower - band.z, band.upper - band.z, color="0.85", step="post")
        ax.step(band.z, band.ecdf - band.z, where="post", color="C3" if band.outside else "C0")
        ax.axhline(0, color="0.5", lw=0.5)
        ax.set_xlabel(f"fractional rank (p = {band.p_value:.2f})", fontsize=7)
        ax.tick_params(labelsize=6)
    fig.suptitle(
        f"{title}: SBC ranks of {n} data sets (top: histogram, grey 99% band per bin; "
        "bottom: ECDF - uniform, grey 95% simultaneous band)",
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fit_summary(result: SBCResult, draws: int) -> str:
    """How many fits diverged or did not converge (R-hat > 1.01, bulk ESS < 100), and the worst values."""
    fits = result.fits
    parts = [f"data sets with divergences: {int((fits['divergences'] > 0).sum())}"]
    if "draws" in fits:
        parts.append(f"refitted with more draws: {int((fits['draws'] > draws).sum())}")
    if "max_rhat" in fits:
        parts.append(
            f"R-hat > 1.01: {int((fits['max_rhat'] > 1.01).sum())} (worst {fits['max_rhat'].max():.3f}), "
            f"min bulk ESS < 100: {int((fits['min_ess_bulk'] < 100).sum())} "
            f"(median {fits['min_ess_bulk'].median():.0f})"
        )
    return "; ".join(parts)


def label(name: str, method: str, centered: str = "none") -> str:
    """File stem of a model run: the design, plus the parametrisation unless it is the default."""
    stem = name if method == "auto" else f"{name}_{method}"
    return stem if centered == "none" else f"{stem}_centered-{centered}"


def combine(paths: list[str], args: argparse.Namespace, out: Path) -> None:
    """Summarise rank CSVs of one model (several seeds, or an interrupted run) as table and PNG."""
    frames = [pd.read_csv(path) for path in paths]
    ranks = pd.concat(frames, ignore_index=True)
    fit_columns = [c for c in FIT_COLUMNS if c in ranks.columns]  # older CSVs hold divergences only
    result = SBCResult(ranks.drop(columns=fit_columns), args.n_draws, ranks[fit_columns])
    name = Path(paths[0]).stem.replace("_ranks", "")
    histograms(result, name, out / f"sbc_{name}.png", args.bins)
    print(f"\n### {name}: {len(ranks)} data sets from {len(paths)} run(s)\n")
    print(f"{fit_summary(result, args.draws)}\n")
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
    parser.add_argument("--target-accept", type=float, default=0.9)
    parser.add_argument(
        "--method",
        default="auto",
        choices=("auto", "collapsed", "marginal", "noncentered"),
        help="model parametrisation",
    )
    parser.add_argument(
        "--centered",
        default="none",
        choices=("auto", "none", "all"),
        help="which factors the non-centered method samples centered (fit(centered=...))",
    )
    parser.add_argument(
        "--min-ess",
        type=float,
        default=None,
        help="refit a data set with doubled draws (up to 8x) while its min bulk ESS is below this",
    )
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
        stem = label(name, args.method, args.centered)
        csv = out / f"{stem}_ranks.csv"
        csv.unlink(missing_ok=True)

        def append(index: int, ranks: dict[str, int], fit: dict[str, float], csv: Path = csv) -> None:
            row = pd.DataFrame([{**ranks, **fit}])
            row.to_csv(csv, mode="a", header=index == 0, index=False)

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
            target_accept=args.target_accept,
            fit_options={
                "method": args.method,
                "centered": {"auto": "auto", "none": False, "all": True}[args.centered],
            },
            min_ess=args.min_ess,
            on_dataset=append,
        )
        elapsed = time.perf_counter() - start
        histograms(result, stem, out / f"{stem}_ranks.png", args.bins)
        formula = design(name)[0]
        print(f"\n### {stem}: `{formula}`\n")
        print(
            f"{len(result.ranks)} data sets, L = {result.n_draws} thinned draws from {args.chains} x "
            f"{args.draws} after {args.tune} tuning, target_accept {args.target_accept}; "
            f"{fit_summary(result, args.draws)}; {elapsed:.0f} s\n"
        )
        print(markdown(result.table(bins=args.bins)), flush=True)


if __name__ == "__main__":
    main()
