"""Command line: ``bayeslme demo`` and ``bayeslme fit FORMULA --data file.csv``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["main", "run"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bayeslme", description="Bayesian mixed models with lme4 formulas.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="fit Reaction ~ Days + (Days | Subject) on the embedded sleepstudy data"
    )
    fit = commands.add_parser("fit", help="fit a formula to a CSV file or to Parquet files")
    fit.add_argument(
        "formula",
        nargs="+",
        help='lme4-style formula, e.g. "y ~ x + (1 | g)"; formulas of family parameters may follow, '
        'e.g. "sigma ~ arm + (1 | clinic)"',
    )
    fit.add_argument(
        "--data",
        required=True,
        help='CSV file with one row per observation, or Parquet files ("data/*.parquet", a directory): '
        "read in batches by DuckDB, never all in memory",
    )
    fit.add_argument("--family", default="gaussian", help="response family (default gaussian)")
    fit.add_argument("--save", help="write the fit to this netCDF file")
    for sub in (demo, fit):
        sub.add_argument("--draws", type=int, default=1000)
        sub.add_argument("--tune", type=int, default=1000)
        sub.add_argument("--chains", type=int, default=4)
        sub.add_argument("--seed", type=int, default=1)
        sub.add_argument("--prob", type=float, default=0.95, help="interval probability")
        sub.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        sub.add_argument("--report", help="write a self-contained HTML report (tables and plots) here")
    return parser


def _read_csv(path: str) -> pd.DataFrame:
    import pandas as pd

    from bayeslme.errors import DataError

    try:
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read {path!r} as CSV: {err}") from err


def _is_parquet(path: str) -> bool:
    """Parquet files: a ``.parquet`` file or pattern, or a directory."""
    import os

    return path.endswith(".parquet") or os.path.isdir(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayeslme`` command."""
    args = _parser().parse_args(argv)
    import importlib.util

    from bayeslme.kernel import warm

    # Every kernel fit needs the shared share of the log density, and the
    # demo's model is known before the imports below: on a machine's first
    # run they compile meanwhile in workers (bayeslme.kernel.warm).
    if importlib.util.find_spec("nutpie") is not None:  # the kernel samples with nutpie only
        warm.start(("shared", "collapsed") if args.command == "demo" else ("shared",))
    try:
        return _command(args)
    finally:
        warm.stop()


def _command(args: argparse.Namespace) -> int:
    import bayeslme as bl
    from bayeslme.errors import BayeslmeError

    start = time.perf_counter()
    try:
        if args.command == "demo":
            data = bl.datasets.sleepstudy()
            model = bl.LMM("Reaction ~ Days + (Days | Subject)", data)
            factor = "Subject"
        else:
            parquet = _is_parquet(args.data)
            data = args.data if parquet else _read_csv(args.data)
            formula = args.formula[0] if len(args.formula) == 1 else args.formula
            model = bl.GLMM(formula, data, family=args.family)
            factor = model.spec.factors[0].name if model.spec.factors and not parquet else None
        fit = model.fit(
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            random_seed=args.seed,
            progressbar=not args.no_progress,
        )
    except (BayeslmeError, OSError) as err:
        print(f"bayeslme: error: {err}", file=sys.stderr)
        return 2
    from bayeslme.report.text import fit_text

    print(fit_text(fit, prob=args.prob))  # includes the R² table
    if factor is not None:
        table = fit.coef(factor, prob=args.prob)["mean"]
        coef = table.unstack()[list(dict.fromkeys(table.index.get_level_values(1)))]
        print(f"\nPer-{factor} coefficients (posterior means, fixed + group effect):")
        print(coef.round(2).to_string())
    if args.report:
        fit.report(args.report, prob=args.prob)
        print(f"\nreport written to {args.report}")
    if getattr(args, "save", None):
        fit.save(args.save)
        print(f"\nsaved to {args.save}")
    print(f"\ntotal wall time: {time.perf_counter() - start:.1f} s")
    return 0


def run() -> None:
    """The ``bayeslme`` command: :func:`main`, then exit without the interpreter's teardown.

    Freeing numba's, LLVM's and the sampler's state at interpreter exit took
    0.8 s here after every command; once the output is flushed and the files
    are closed there is nothing left to do, so the process ends at once
    (``atexit`` hooks of other packages, such as coverage's, do not run).
    """
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
