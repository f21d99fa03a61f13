"""Statistics streamed from Parquet files by DuckDB equal those of the same rows in memory (to 1e-10)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from bayeslme.backend.nested_stats import nested_stats, spec_nesting
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
    frame["school"] = "s" + (frame["g"] // 5).astype(str)  # g nested in school; class numbered within it
    frame["klass"] = frame["g"] % 5
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
    [
        "y ~ x1 + x2 + arm + (1 + x1 | g)",
        "y ~ x1 * arm + flag + (1 | g)",
        "y ~ exp(x1 / 4) + x2 + (x1 || g)",
        "y ~ scale(x2) + scale(x1 * 3, center = FALSE) + (1 + scale(x2) | g)",  # state from all rows
    ],
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
    np.testing.assert_allclose(
        chunked.raw.column_means[centre != 0], centre[centre != 0], rtol=1e-12, atol=1e-12
    )
    got = chunked.raw.centered(centre)
    for name in ("ZZ", "ZX", "Zy", "XX", "Xy"):
        a, b = getattr(got, name), getattr(expected, name)
        assert np.max(np.abs(a - b)) <= 1e-10 * np.max(np.abs(b)), name
    assert got.yy == pytest.approx(expected.yy, rel=1e-12) and got.n_obs == expected.n_obs
    assert chunked.dropped == model.design.dropped and chunked.n_rows == len(frame)


@pytest.mark.parametrize(
    ("formula", "outer"),
    [
        ("y ~ x1 + arm + (1 + x1 | school) + (1 | g)", "school"),  # unique inner ids, outer first
        ("y ~ x1 + (1 | g) + (1 + x1 | school)", "school"),  # the outer factor second
        ("y ~ x2 + (1 | school/klass)", "school"),  # inner levels numbered within the outer ones
    ],
)
def test_nested_statistics_equal_the_in_memory_ones(formula, outer, tmp_path):
    frame = _frame(seed=1)
    chunked = chunked_stats(parse_formula(formula), scan_parquet(_write(frame, tmp_path)), batch_rows=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.errors.DroppedRowsWarning)
        model = bl.LMM(formula, frame)
    nesting = spec_nesting(model.spec, model.design)
    assert model.design.factors[nesting.outer].name == outer
    assert chunked.raw.outer_position == nesting.outer and set(chunked.nested) == set(model.spec.nested)
    design = model.design
    expected = nested_stats(
        design.y,
        model.spec.centered_X(design.X),
        design.factors[nesting.outer],
        design.factors[nesting.inner],
        nesting.parent,
    )
    got = chunked.raw.centered(model.spec.column_means)
    np.testing.assert_array_equal(got.parent, expected.parent)
    for part in ("outer", "inner"):
        for name in ("ZZ", "ZX", "Zy", "XX", "Xy"):
            a, b = getattr(getattr(got, part), name), getattr(getattr(expected, part), name)
            assert np.max(np.abs(a - b)) <= 1e-10 * np.max(np.abs(b)), (part, name)
    assert np.max(np.abs(got.cross - expected.cross)) <= 1e-10 * np.max(np.abs(expected.cross))


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
    with pytest.raises(DataError, match="center\\(\\) needs state from all rows"):
        chunked_stats(parse_formula("y ~ center(x1) + (1 | g)"), source)
    with pytest.raises(DataError, match="bs\\(\\) needs state"):
        chunked_stats(parse_formula("y ~ bs(x1, df = 4) + (1 | g)"), source)
    with pytest.raises(DataError, match="'g' and 'arm' are crossed .* need the rows in memory"):
        chunked_stats(parse_formula("y ~ x1 + (1 | g) + (1 | arm)"), source)
    with pytest.raises(DataError, match="two nested ones; a third"):
        chunked_stats(parse_formula("y ~ x1 + (1 | g) + (1 | arm) + (1 | flag)"), source)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cl:
        with distributed.Client(cl) as client:
            yield client


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ x1 + x2 + arm + (1 + x1 | g)",
        "y ~ x1 * arm + flag + (1 | g)",
        "y ~ scale(x1) + (1 | school/klass)",
    ],
)
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
        assert dask.nested == duck.nested
        np.testing.assert_allclose(dask.scale_states, duck.scale_states, rtol=1e-12)
        for own, theirs in zip(dask.raw.per_factor, duck.raw.per_factor, strict=True):
            for name in ("counts", "ZZ", "ZX", "Zy", "Z1", "X1", "XX", "Xy"):
                a, b = getattr(own, name), getattr(theirs, name)
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


def test_pandas_categories_keep_their_order_through_parquet(tmp_path, cluster):
    # Reference levels are a categorical's first category, as for the DataFrame in memory (issue 9);
    # DuckDB reads the columns back as text, so the order comes from the files' dictionaries.
    frame = _frame(seed=3)
    frame["arm"] = pd.Categorical(frame["arm"], categories=["placebo", "drug", "dose2", "unused"])
    frame["site"] = pd.Categorical(np.where(frame["g"] % 2 == 0, "zurich", "aarhus"), ["zurich", "aarhus"])
    _write(frame, tmp_path)
    formula = "y ~ x1 + arm + (1 | site)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.errors.DroppedRowsWarning)
        model = bl.LMM(formula, frame)
    assert model.spec.column_levels["arm"] == ("placebo", "drug", "dose2")
    for source in (scan_parquet(tmp_path), scan_parquet(tmp_path, client=cluster)):
        chunked = source_stats(parse_formula(formula), source)
        assert chunked.encoder.fixed_names == model.spec.fixed
        assert chunked.levels.factors["site"] == model.spec.factors[0].levels == ("zurich", "aarhus")
    # Files whose categories differ concatenate to plain values in pandas: sorted levels.
    frame.iloc[:5].assign(arm=frame["arm"].iloc[:5].astype(str)).to_parquet(tmp_path / "plain.parquet")
    chunked = chunked_stats(parse_formula(formula), scan_parquet(tmp_path))
    assert chunked.levels.columns["arm"] == ("dose2", "drug", "placebo")
