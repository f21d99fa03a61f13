"""Save/load integrity: netCDF with the spec as JSON, exact round trip, clear errors for bad files.

No MCMC: the fits are synthetic draws. The save/load of a real sampler's tree is
tests/integration/test_fit_core.py::test_save_load_round_trip_keeps_the_sampler_tree.
"""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayeslme as bl
from bayeslme.errors import FileFormatError
from bayeslme.io import FORMAT_VERSION
from tests.helpers import synthetic_fit


@pytest.fixture(scope="module")
def tiny_fit():
    """A correlated intercept + slope fit; synthetic, because only bookkeeping is checked here."""
    data = bl.simulate.random_slopes(n_groups=8, n_per_group=6, seed=3).data
    return synthetic_fit(bl.LMM("y ~ x + (x | g)", data), chains=2, draws=100, seed=7)


@pytest.fixture(scope="module")
def saved(tiny_fit, tmp_path_factory):
    path = tmp_path_factory.mktemp("io") / "fit.nc"
    tiny_fit.save(path)
    return path


@pytest.fixture(scope="module")
def loaded(saved):
    return bl.load(saved)


@pytest.mark.parametrize(
    "table",
    [
        lambda f: f.fixed_effects(),
        lambda f: f.variance_components(prob=0.9),
        lambda f: f.coef("g"),
        lambda f: f.random_effects("g"),
        lambda f: f.summary(),
        lambda f: f.diagnostics.to_frame(),
    ],
    ids=["fixed_effects", "variance_components", "coef", "random_effects", "summary", "diagnostics"],
)
def test_round_trip_gives_identical_tables(tiny_fit, loaded, table):
    pd.testing.assert_frame_equal(table(tiny_fit), table(loaded), check_exact=True)


def test_round_trip_keeps_spec_design_and_info(tiny_fit, loaded):
    assert loaded.spec == tiny_fit.spec
    np.testing.assert_array_equal(loaded.design.X, tiny_fit.design.X)
    np.testing.assert_array_equal(loaded.design.y, tiny_fit.design.y)
    assert loaded.info == tiny_fit.info and loaded.info["random_seed"] == 7
    assert repr(loaded) == repr(tiny_fit)


@pytest.mark.skipif(not hasattr(bl.Fit, "predict"), reason="Fit.predict not implemented yet")
def test_round_trip_gives_identical_predictions(tiny_fit, loaded):
    new = tiny_fit.design.data.head(5)
    pd.testing.assert_frame_equal(tiny_fit.predict(new), loaded.predict(new), check_exact=True)


@pytest.mark.skipif(not hasattr(bl.Fit, "r2"), reason="Fit.r2 not implemented yet")
def test_round_trip_gives_identical_r2(tiny_fit, loaded):
    pd.testing.assert_frame_equal(tiny_fit.r2(), loaded.r2(), check_exact=True)


# 2 x 100 independent draws of noise: PSIS tails are unstable, and the warning says so.
@pytest.mark.filterwarnings("ignore:Estimated shape parameter of Pareto:UserWarning")
def test_round_trip_gives_identical_loo(tiny_fit, loaded):
    assert loaded.loo().elpd == tiny_fit.loo().elpd


@pytest.mark.parametrize("family", ["binomial", "poisson"])
def test_round_trip_keeps_trials_and_offset(family, tmp_path):
    formula = {
        "binomial": "y | trials(n) ~ x + (1 | g)",
        "poisson": "y ~ x + offset(log(exposure)) + (1 | g)",
    }
    data = bl.simulate.glmm(family, n_groups=8, n_per_group=10, seed=3).data
    fit = synthetic_fit(bl.GLMM(formula[family], data, family=family), seed=5)
    fit.save(tmp_path / "fit.nc")
    loaded = bl.load(tmp_path / "fit.nc")
    name = {"binomial": "trials", "poisson": "offset"}[family]
    assert getattr(fit.design, name) is not None
    np.testing.assert_array_equal(getattr(loaded.design, name), getattr(fit.design, name))
    pd.testing.assert_frame_equal(loaded.r2(), fit.r2(), check_exact=True)
    np.testing.assert_array_equal(
        loaded.log_likelihood(store=False).values, fit.log_likelihood(store=False).values
    )


def test_round_trip_keeps_residual_autocorrelation(tmp_path):
    sim = bl.simulate.blood_pressure_ar1(n_patients=6, n_days=8, ar=0.6, missing=0.1, seed=5)
    fit = synthetic_fit(bl.LMM("bp ~ treated + day + (1 | patient) + ar(day, patient)", sim.data), seed=3)
    fit.save(tmp_path / "ar.nc")
    loaded = bl.load(tmp_path / "ar.nc")
    assert loaded.spec == fit.spec
    np.testing.assert_array_equal(loaded.design.rescor.prev, fit.design.rescor.prev)
    np.testing.assert_allclose(
        loaded.log_likelihood(store=False).values, fit.log_likelihood(store=False).values
    )
    np.testing.assert_allclose(loaded.r2()["mean"], fit.r2()["mean"])


def test_file_is_netcdf_with_json_spec_and_no_pickle(saved, tiny_fit):
    with h5py.File(saved, "r") as handle:
        # Fits of data frames stay at version 2 (readable by earlier releases); 3 marks Parquet fits.
        assert int(np.ravel(handle.attrs["bayeslme_format_version"])[0]) == 2 == FORMAT_VERSION - 1
        spec = json.loads(handle.attrs["spec"])
        assert spec["formula"] == "y ~ x + (x | g)"
        assert json.loads(handle.attrs["info"])["draws"] == 100
        kinds = []
        handle.visititems(
            lambda name, obj: kinds.append((name, obj.dtype)) if isinstance(obj, h5py.Dataset) else None
        )
    # Every array is numeric, boolean or text: nothing opaque that would need unpickling.
    for name, dtype in kinds:
        assert dtype.kind in "biuf" or h5py.check_string_dtype(dtype) is not None, (name, dtype)
    assert saved.read_bytes().find(b"\x80\x04\x95") < 0  # pickle protocol 4 frame header


def test_truncated_fit_file(saved, tmp_path):
    cut = tmp_path / "cut.nc"
    cut.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(FileFormatError, match=r"cut\.nc' is not a readable netCDF file"):
        bl.load(cut)


def test_file_from_newer_format_version(saved, tmp_path):
    future = tmp_path / "future.nc"
    shutil.copy(saved, future)
    with h5py.File(future, "r+") as handle:
        handle.attrs["bayeslme_format_version"] = FORMAT_VERSION + 1
    with pytest.raises(FileFormatError, match=rf"newer bayeslme \(format {FORMAT_VERSION + 1}.*upgrade"):
        bl.load(future)


def test_foreign_netcdf_with_groups(tmp_path):
    path = tmp_path / "arviz.nc"
    tree = xr.DataTree.from_dict({"/posterior": xr.Dataset({"mu": (("chain", "draw"), np.zeros((2, 3)))})})
    tree.to_netcdf(path, engine="h5netcdf")
    with pytest.raises(FileFormatError, match=r"not a bayeslme fit"):
        bl.load(path)


def test_fit_file_without_its_data_group(saved, tmp_path):
    damaged = tmp_path / "nodata.nc"
    shutil.copy(saved, damaged)
    with h5py.File(damaged, "r+") as handle:
        del handle["bayeslme_data"]
    with pytest.raises(FileFormatError, match=r"damaged bayeslme"):
        bl.load(damaged)


def test_save_into_missing_folder(tiny_fit, tmp_path):
    with pytest.raises(FileFormatError, match=r"cannot write .*nowhere"):
        tiny_fit.save(tmp_path / "nowhere" / "fit.nc")
