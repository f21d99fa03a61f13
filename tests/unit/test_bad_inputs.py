"""Bad-input matrix: every public entry point rejects bad input with our own error.

Each case feeds one bad input through the public API and asserts the specific
bayeslme error class and a message naming the culprit (column, level, key,
argument or file). Inputs that are legal but odd warn instead. No MCMC: cases
that need a fit use a :class:`bayeslme.Fit` built from synthetic draws.
"""

from __future__ import annotations

import json
import logging
import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayeslme as bl
from bayeslme.cli import main
from bayeslme.errors import (
    BayeslmeError,
    DataError,
    DataWarning,
    DroppedRowsWarning,
    FamilyError,
    FileFormatError,
    FormulaError,
    PriorError,
    SamplerError,
)

FORMULA = "y ~ x + (1 | g)"


def frame(n: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "g": np.repeat(["a", "b", "c"], n // 3),
        }
    )


def edited(**changes) -> pd.DataFrame:
    """The tiny frame with some columns replaced (a callable receives the frame)."""
    data = frame()
    for column, value in changes.items():
        data[column] = value(data) if callable(value) else value
    return data


def with_value(column: str, row: int, value) -> pd.DataFrame:
    data = frame()
    data[column] = data[column].astype(object) if isinstance(value, str) else data[column]
    data.loc[row, column] = value
    return data


# ---- constructor: data ---------------------------------------------------------------------------
CONSTRUCTOR_ERRORS = [
    ("inf-response", FORMULA, with_value("y", 3, np.inf), DataError, r"'y' has 1 infinite.*rows \[3\]"),
    ("-inf-predictor", FORMULA, with_value("x", 5, -np.inf), DataError, r"'x' has 1 infinite.*rows \[5\]"),
    (
        "string-response",
        FORMULA,
        edited(y=lambda d: d["y"].map("{:.2f}".format)),
        DataError,
        r"response (column )?'y' must be numeric",
    ),
    (
        "duplicate-columns",
        FORMULA,
        frame().rename(columns={"z": "x"}),
        DataError,
        r"duplicate column names: \['x'\]",
    ),
    ("one-level-factor", FORMULA, edited(g="a"), DataError, r"'g' has only one level \('a'\)"),
    (
        "collinear-multiple",
        "y ~ x + x2 + (1 | g)",
        edited(x2=lambda d: 2 * d["x"]),
        DataError,
        r"'x2' is a linear combination of \['x'\]",
    ),
    (
        "collinear-sum",
        "y ~ x + z + s + (1 | g)",
        edited(s=lambda d: d["x"] - d["z"]),
        DataError,
        r"'s' is a linear combination of \['x', 'z'\]",
    ),
    (
        "constant-predictor",
        FORMULA,
        edited(x=1.0),
        DataError,
        r"'x' is a linear combination of \['Intercept'\]",
    ),
    (
        "unknown-function",
        "y ~ foo(x) + (1 | g)",
        frame(),
        FormulaError,
        r"unknown function or variable 'foo'",
    ),
    (
        "unavailable-r-function",
        "y ~ x + relevel(g, 'b') + (1 | g)",
        frame(),
        FormulaError,
        r"'relevel'.*Categorical",
    ),
    ("unknown-numpy-function", "y ~ np.foo(x) + (1 | g)", frame(), FormulaError, r"no attribute 'foo'"),
    (
        "log-of-negative",
        "np.log(y) ~ x + (1 | g)",
        frame(),
        DataError,
        r"'np\.log\(y\)' evaluates to NaN or infinite",
    ),
    ("zero-rows", FORMULA, frame().iloc[:0], DataError, r"zero rows"),
    ("all-response-missing", FORMULA, edited(y=np.nan), DataError, r"no rows left.*'y': 12"),
    ("unknown-column", "y ~ xx + (1 | g)", frame(), DataError, r"'xx'.*not in the data.*did you mean 'x'"),
    ("unknown-group-column", "y ~ x + (1 | h)", frame(), DataError, r"column 'h'"),
    ("not-a-frame", FORMULA, {"y": [1.0, 2.0]}, DataError, r"must be a pandas DataFrame, got dict"),
    ("unclosed-paren", "y ~ x + (1 | g", frame(), FormulaError, r"unclosed '\('"),
    ("no-tilde", "y + x", frame(), FormulaError, r"no '~'"),
    ("no-grouping-factor", "y ~ x + (1 | )", frame(), FormulaError, r"no grouping factor"),
    ("formula-not-string", None, frame(), FormulaError, r"non-empty string"),
    ("no-group-term", "y ~ x", frame(), FormulaError, r"no group terms.*No random effects terms"),
    ("parenthesised-fixed-term", "y ~ x + (x)", frame(), FormulaError, r"\(x\) has no '\|'"),
    (
        "predictor-named-intercept",
        "y ~ Intercept + (1 | g)",
        edited(Intercept=lambda d: d["x"]),
        DataError,
        r"named 'Intercept'.*rename",
    ),
    (
        "unsupported-covariance-structure",
        "y ~ x + toep(0 + x | g)",
        frame(),
        FormulaError,
        r"toep\(\) is not supported.*us\(\), diag\(\), cs\(\), ar1\(\)",
    ),
    (
        "bar-after-group-term",
        "y ~ x + (1 | g) + 1 | g",
        frame(),
        FormulaError,
        r"put each group term in parentheses",
    ),
]


@pytest.mark.parametrize(
    ("formula", "data", "error", "match"),
    [pytest.param(*case[1:], id=case[0]) for case in CONSTRUCTOR_ERRORS],
)
def test_constructor_rejects(formula, data, error, match):
    with pytest.raises(error, match=match):
        bl.LMM(formula, data)


def test_errors_are_value_errors_of_one_family():
    with pytest.raises(ValueError):
        bl.LMM("y ~ x + (1 | g)", frame().iloc[:0])
    with pytest.raises(BayeslmeError):
        bl.LMM("y ~ x + (1 | g)", frame().iloc[:0])


# ---- constructor: legal but odd (warn) ------------------------------------------------------------
def test_boolean_response_in_gaussian_model_warns():
    with pytest.warns(UserWarning, match=r"response 'y' is boolean.*family='bernoulli'"):
        bl.LMM(FORMULA, edited(y=lambda d: d["y"] > 0))


def test_float_group_column_with_nan_drops_rows_and_names_the_column():
    data = edited(g=[1.0, 2.0, np.nan] * 4)
    with pytest.warns(DroppedRowsWarning, match=r"dropped 4 of 12 rows.*'g': 4"):
        model = bl.LMM(FORMULA, data)
    assert model.design.factor("g").levels == ("1", "2")


def test_missing_response_values_drop_rows_with_a_warning():
    with pytest.warns(DroppedRowsWarning, match=r"dropped 1 of 12.*'y': 1"):
        bl.LMM(FORMULA, with_value("y", 0, np.nan))


def test_one_observation_per_level_warns():
    data = edited(g=[f"s{i}" for i in range(12)])
    with pytest.warns(DataWarning, match=r"'g' has exactly one observation per level \(12 levels\)"):
        bl.LMM(FORMULA, data)


def test_numeric_grouping_column_is_categorical_and_said_so(caplog):
    data = edited(g=np.repeat([10, 2, 3], 4))
    with caplog.at_level(logging.INFO, logger="bayeslme"):
        model = bl.LMM(FORMULA, data)
    # Levels are labels in numeric order, not one slope over the number 10, 2, 3.
    assert model.spec.factor("g").levels == ("2", "3", "10")
    assert "read as category labels" in caplog.text and "['g']" in caplog.text
    assert "numeric grouping columns read as labels: ['g']" in repr(model)


# ---- constructor: family and priors ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"family": "gausian"}, FamilyError, r"unknown family 'gausian'", id="unknown-family"),
        pytest.param({"link": "log"}, FamilyError, r"does not support link 'log'", id="unsupported-link"),
        pytest.param(
            {"priors": {"slope": bl.Prior("normal", mu=0, sigma=1)}},
            PriorError,
            r"unknown prior key 'slope'.*valid keys",
            id="unknown-prior-key",
        ),
        pytest.param(
            {"priors": {"sd[h]": bl.Prior("halfnormal", sigma=1)}},
            PriorError,
            r"unknown prior key 'sd\[h\]'",
            id="prior-for-unknown-factor",
        ),
        pytest.param(
            {"priors": {"cor[g]": bl.Prior("lkj", eta=2)}},
            PriorError,
            r"unknown prior key 'cor\[g\]'",
            id="cor-prior-without-correlation",
        ),
        pytest.param(
            {"priors": {"b": bl.Prior("halfnormal", sigma=1)}},
            PriorError,
            r"prior for 'b' must be one of \['normal'",
            id="scale-prior-on-slope",
        ),
        pytest.param(
            {"priors": {"sd": bl.Prior("normal", mu=0, sigma=1)}},
            PriorError,
            r"prior for 'sd' must be one of \['halfnormal'",
            id="location-prior-on-sd",
        ),
        pytest.param(
            {"priors": {"b": "normal(0, 1)"}},
            PriorError,
            r"prior for 'b' must be a bayeslme.Prior, got str",
            id="prior-not-a-Prior",
        ),
        pytest.param(
            {"priors": [bl.Prior("normal", mu=0, sigma=1)]},
            PriorError,
            r"priors must be a dict.*got list",
            id="priors-not-a-mapping",
        ),
    ],
)
def test_family_and_prior_settings_rejected(kwargs, error, match):
    with pytest.raises(error, match=match):
        bl.GLMM(FORMULA, frame(), **kwargs)


@pytest.mark.parametrize(
    ("dist", "params", "match"),
    [
        pytest.param("normal", {"mu": 0, "sigma": -1}, r"'sigma' must be positive, got -1", id="negative-sd"),
        pytest.param("normal", {"mu": 0}, r"missing: \['sigma'\]", id="missing-parameter"),
        pytest.param("normal", {"mu": 0, "sigma": 1, "nu": 3}, r"unknown: \['nu'\]", id="extra-parameter"),
        pytest.param("normall", {}, r"unknown prior distribution 'normall'", id="unknown-distribution"),
        pytest.param(
            "normal",
            {"mu": "zero", "sigma": 1},
            r"'mu' must be a number, got 'zero'",
            id="non-numeric-parameter",
        ),
        pytest.param("normal", {"mu": np.nan, "sigma": 1}, r"'mu' must be finite", id="nan-parameter"),
        pytest.param("lkj", {"eta": 0}, r"'eta' must be positive", id="lkj-eta-zero"),
    ],
)
def test_invalid_prior_parameters(dist, params, match):
    with pytest.raises(PriorError, match=match):
        bl.Prior(dist, **params)


# ---- fit settings (validated before any model is built) -------------------------------------------
@pytest.fixture(scope="module")
def model():
    return bl.LMM(FORMULA, frame())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"draws": -1}, r"draws must be an integer >= 1, got -1", id="negative-draws"),
        pytest.param({"draws": 10.5}, r"draws must be an integer >= 1, got 10.5", id="fractional-draws"),
        pytest.param({"chains": 0}, r"chains must be an integer >= 1, got 0", id="zero-chains"),
        pytest.param({"chains": -2}, r"chains must be an integer >= 1, got -2", id="negative-chains"),
        pytest.param({"tune": -5}, r"tune must be an integer >= 0, got -5", id="negative-tune"),
        pytest.param({"sampler": "stan"}, r"unknown sampler 'stan'", id="unknown-sampler"),
        pytest.param(
            {"target_accept": 1.5}, r"target_accept must be in \(0, 1\), got 1.5", id="target-accept"
        ),
        pytest.param(
            {"random_seed": -1}, r"random_seed must be a non-negative integer, got -1", id="negative-seed"
        ),
        pytest.param({"random_seed": "seed"}, r"random_seed must be.*'seed'", id="string-seed"),
    ],
)
def test_fit_settings_rejected(model, kwargs, match):
    with pytest.raises(SamplerError, match=match):
        model.fit(progressbar=False, **kwargs)


# ---- results of a fit (synthetic draws, no MCMC) -------------------------------------------------
@pytest.fixture(scope="module")
def fake_fit(model):
    from tests.helpers import synthetic_fit

    return synthetic_fit(model)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(lambda f: f.coef("h"), r"unknown grouping factor 'h'; the model has \['g'\]", id="coef"),
        pytest.param(lambda f: f.random_effects("G"), r"unknown grouping factor 'G'", id="random-effects"),
        pytest.param(
            lambda f: f.fixed_effects(prob=95),
            r"prob must be a number in \(0, 1\), got 95",
            id="prob-as-percent",
        ),
        pytest.param(lambda f: f.variance_components(prob=0), r"prob must be.*got 0", id="prob-zero"),
    ],
)
def test_fit_methods_reject(fake_fit, call, match):
    with pytest.raises(BayeslmeError, match=match):
        call(fake_fit)


# ---- load ----------------------------------------------------------------------------------------
def test_load_missing_file(tmp_path):
    with pytest.raises(FileFormatError, match=r"no file at '.*absent\.nc'"):
        bl.load(tmp_path / "absent.nc")


def test_load_text_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("y,x\n1,2\n")
    with pytest.raises(FileFormatError, match=r"data\.csv' is not a readable netCDF file"):
        bl.load(path)


def test_load_foreign_netcdf(tmp_path):
    path = tmp_path / "foreign.nc"
    xr.Dataset({"t": ("time", np.arange(3.0))}).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(FileFormatError, match=r"foreign\.nc' is a netCDF file but not a bayeslme fit"):
        bl.load(path)


def test_load_truncated_file(tmp_path):
    path = tmp_path / "cut.nc"
    xr.Dataset({"t": ("time", np.arange(1000.0))}).to_netcdf(path, engine="h5netcdf")
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(FileFormatError, match=r"cut\.nc' is not a readable netCDF file"):
        bl.load(path)


def test_load_damaged_header(tmp_path):
    path = tmp_path / "damaged.nc"
    attrs = {"bayeslme_format_version": 1, "spec": "{not json"}
    xr.Dataset({"t": ("time", np.arange(3.0))}, attrs=attrs).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(FileFormatError, match=r"damaged\.nc' has a damaged bayeslme header"):
        bl.load(path)


def test_load_newer_format(tmp_path):
    path = tmp_path / "future.nc"
    attrs = {"bayeslme_format_version": 99, "spec": json.dumps({})}
    xr.Dataset(attrs=attrs).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(FileFormatError, match=r"written by a newer bayeslme \(format 99.*upgrade"):
        bl.load(path)


# ---- command line --------------------------------------------------------------------------------
@pytest.fixture()
def csv(tmp_path):
    path = tmp_path / "data.csv"
    frame().to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        pytest.param(["fit", "y ~ x + (1 | g", "--data", "{csv}"], r"unclosed '\('", id="bad-formula"),
        pytest.param(["fit", "y ~ x + (1 | )", "--data", "{csv}"], r"no grouping factor", id="empty-group"),
        pytest.param(["fit", "y ~ w + (1 | g)", "--data", "{csv}"], r"column 'w'", id="unknown-column"),
        pytest.param(
            ["fit", FORMULA, "--data", "{csv}", "--family", "weibull"],
            r"unknown family 'weibull'",
            id="unknown-family",
        ),
        pytest.param(
            ["fit", FORMULA, "--data", "{csv}", "--family", "gamma"],
            r"family 'gamma' needs a positive response; 'y' is zero or negative in rows \[",
            id="family-support",
        ),
        pytest.param(
            ["fit", FORMULA, "--data", "{csv}", "--draws", "-1"], r"draws must be.*-1", id="negative-draws"
        ),
        pytest.param(
            ["fit", FORMULA, "--data", "{csv}", "--chains", "0"], r"chains must be.*0", id="zero-chains"
        ),
        pytest.param(["fit", FORMULA, "--data", "{dir}/absent.csv"], r"absent\.csv", id="missing-csv"),
        pytest.param(
            ["fit", FORMULA, "--data", "{dir}/empty.csv"],
            r"cannot read '.*empty\.csv' as CSV",
            id="empty-csv",
        ),
        pytest.param(["fit", FORMULA, "--data", "{dir}/header.csv"], r"zero rows", id="header-only-csv"),
    ],
)
def test_cli_reports_errors_with_exit_code_2(argv, match, csv, tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("y,x,g\n")
    argv = [a.format(csv=csv, dir=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayeslme: error: ")
    assert "Traceback" not in err
    assert re.search(match, err, re.DOTALL), err


# ---- predict / personalize / newdata ----------------------------------------------------------------
# SECTION RESERVED FOR THE PREDICTION WORK (issue 3): NaN/inf in newdata, a factor level present only
# in newdata (UnseenLevelsError naming factor and level), missing newdata columns, personalize inputs.
# The cases below run once Fit.predict exists; extend them there.
needs_predict = pytest.mark.skipif(not hasattr(bl.Fit, "predict"), reason="Fit.predict not implemented yet")


@needs_predict
def test_predict_rejects_nan_in_newdata(fake_fit):
    with pytest.raises(DataError, match=r"missing values in predictor columns: 'x' \(1 rows\)"):
        fake_fit.predict(with_value("x", 0, np.nan))


@needs_predict
def test_predict_rejects_inf_in_newdata(fake_fit):
    with pytest.raises(DataError, match=r"newdata column 'x' has 1 infinite values \(rows \[0\]\)"):
        fake_fit.predict(with_value("x", 0, np.inf))


@needs_predict
def test_predict_level_only_in_newdata(fake_fit):
    from bayeslme.errors import UnseenLevelsError

    newdata = frame().assign(g=["a", "zz", "c"] * 4)
    with pytest.raises(UnseenLevelsError, match=r"levels of 'g'.*\['zz'\]"):
        fake_fit.predict(newdata, new_groups="error")


@needs_predict
def test_predict_empty_newdata(fake_fit):
    with pytest.raises(DataError, match=r"newdata has zero rows"):
        fake_fit.predict(frame().iloc[:0])
