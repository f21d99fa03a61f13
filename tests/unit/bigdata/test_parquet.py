"""Statistics streamed from Parquet files by DuckDB equal those of the same rows in memory (to 1e-10)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.backend.suffstats import group_stats
from bayeslme.bigdata.design import source_stats
from bayeslme.bigdata.parquet import chunked_stats, scan_parquet
from bayeslme.errors import DataError
from bayeslme.formula.parse import parse_formula


def _frame(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "g": rng.integers(0, 40, n),
            "x1": rng.normal(size=n),
            "x2": rng.normal(5, 2, size=n),
            "arm": rng.choice(["placebo", "drug", "dose2"], n),
            "flag": rng.integers(0, 2, n).astype(bool),
        }
    )
    frame["y"] = 1 + frame["x1"] + rng.normal(size=n)
    frame.loc[rng.choice(n, 30, replace=False), "x2"] = np.nan
    frame.loc[rng.choice(n, 10, replace=False), "y"] = np.nan
    return frame


def _write(frame, directory, parts=3):
    for k in range(parts):
        frame.iloc[k::parts].to_parquet(directory / f"part{k}.parquet")
    return directory


def _in_memory(formula, frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.errors.DroppedRowsWarning)
        model = bl.LMM(formula, frame)
    factor = model.design.factors[0]
    stats = group_stats(
        model.design.y, model.spec.centered_X(model.design.X), factor.Z, factor.index, len(factor.levels)
    )
    return model, stats


@pytest.mark.parametrize(
    "formula",
    ["y ~ x1 + x2 + arm + (1 + x1 | g)", "y ~ x1 * arm + flag + (1 | g)", "y ~ exp(x1 / 4) + x2 + (x1 || g)"],
)
def test_statistics_equal_the_in_memory_ones(formula, tmp_path):
    frame = _frame()
    source = scan_parquet(_write(frame, tmp_path))
    chunked = chunked_stats(parse_formula(formula), source, batch_rows=500)
    model, expected = _in_memory(formula, frame)
    assert chunked.encoder.fixed_names == model.spec.fixed
    assert chunked.levels.factors["g"] == model.spec.factors[0].levels  # numeric ids: numeric order
    assert dict(chunked.levels.columns) == dict(model.spec.column_levels)
    centre = model.spec.column_means
    np.testing.assert_allclose(chunked.raw.column_means[centre != 0], centre[centre != 0], rtol=1e-12)
    got = chunked.raw.centered(centre)
    for name in ("ZZ", "ZX", "Zy", "XX", "Xy"):
        a, b = getattr(got, name), getattr(expected, name)
        assert np.max(np.abs(a - b)) <= 1e-10 * np.max(np.abs(b)), name
    assert got.yy == pytest.approx(expected.yy, rel=1e-12) and got.n_obs == expected.n_obs
    assert chunked.dropped == model.design.dropped and chunked.n_rows == len(frame)


def test_files_are_named_and_checked(tmp_path):
    frame = _frame()
    _write(frame, tmp_path)
    assert len(scan_parquet(tmp_path / "part*.parquet").paths) == 3
    assert len(scan_parquet([tmp_path / "part0.parquet", tmp_path / "part2.parquet"]).paths) == 2
    with pytest.raises(DataError, match="no Parquet file matches"):
        scan_parquet(tmp_path / "nothing*.parquet")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="cannot read Parquet file .*broken.parquet"):
        scan_parquet(tmp_path)


def test_a_missing_column_and_the_limits_are_named(tmp_path):
    source = scan_parquet(_write(_frame().drop(columns="x2"), tmp_path))
    with pytest.raises(DataError, match="column 'x2' used in the formula is not in the data"):
        chunked_stats(parse_formula("y ~ x2 + (1 | g)"), source)
    with pytest.raises(DataError, match="Gaussian family only"):
        chunked_stats(parse_formula("y ~ x1 + (1 | g)"), source, family="poisson")
    with pytest.raises(DataError, match="scale\\(\\)"):
        chunked_stats(parse_formula("y ~ scale(x1) + (1 | g)"), source)
    with pytest.raises(DataError, match="exactly one grouping factor"):
        chunked_stats(parse_formula("y ~ x1 + (1 | g) + (1 | arm)"), source)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cl:
        with distributed.Client(cl) as client:
            yield client


@pytest.mark.parametrize("formula", ["y ~ x1 + x2 + arm + (1 + x1 | g)", "y ~ x1 * arm + flag + (1 | g)"])
def test_dask_gives_duckdbs_statistics(formula, tmp_path, cluster):
    frame = _frame(seed=2)
    _write(frame, tmp_path, parts=4)
    parsed = parse_formula(formula)
    duck = chunked_stats(parsed, scan_parquet(tmp_path), batch_rows=700)
    for source in (scan_parquet(tmp_path, client=cluster), scan_parquet(tmp_path, engine="dask")):
        assert source.engine == "dask"
        dask = source_stats(parsed, source)
        assert dask.levels == duck.levels and dask.dropped == duck.dropped and dask.n_rows == duck.n_rows
        assert dask.encoder.fixed_names == duck.encoder.fixed_names
        for name in ("counts", "ZZ", "ZX", "Zy", "Z1", "X1", "XX", "Xy"):
            a, b = getattr(dask.raw, name), getattr(duck.raw, name)
            assert np.max(np.abs(a - b)) <= 1e-10 * np.max(np.abs(b)), name
    with pytest.raises(DataError, match="engine must be"):
        scan_parquet(tmp_path, engine="spark")


def test_progress_counts_rows_and_shows_on_a_terminal(monkeypatch, capsys):
    from bayeslme.bigdata.parquet import Progress

    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    progress = Progress(200)
    progress.advance(50)
    progress.advance(150)
    progress.close()
    err = capsys.readouterr().err
    assert progress.done == 200 and "25% of 200 rows" in err and "100% of 200 rows" in err
