"""Every sampling path lays out group effects and data the same way (bayeslme.output)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl

pytest.importorskip("nutpie")


def _layout(fit: bl.Fit) -> dict:
    """Names, dims and coordinates of what results read: group effects and constant data."""
    posterior = fit.posterior
    out = {}
    for factor in fit.spec.factors:
        for name in (factor.u_var, factor.z_var):
            array = posterior[name]
            out[name] = (array.dims, {d: list(array[d].values) for d in array.dims[2:]})
    constant = fit.idata["constant_data"].to_dataset()
    out["constant_data"] = {v: constant[v].dims for v in constant.data_vars}
    out["observed_data"] = list(fit.idata["observed_data"].to_dataset().data_vars)
    return out


def _fit(model: bl.GLMM, method: str) -> bl.Fit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(draws=20, tune=30, chains=1, random_seed=3, progressbar=False, method=method)


def test_collapsed_and_noncentered_fits_share_the_layout():
    model = bl.LMM("Reaction ~ Days + (Days | Subject)", data=bl.datasets.sleepstudy())
    assert _layout(_fit(model, "collapsed")) == _layout(_fit(model, "noncentered"))


def test_marginal_and_noncentered_fits_share_the_layout():
    rng = np.random.default_rng(4)
    data = pd.DataFrame(
        {"x": rng.normal(size=300), "s": rng.integers(0, 12, 300), "i": rng.integers(0, 9, 300)}
    )
    data["y"] = data["x"] + rng.normal(size=300)
    model = bl.LMM("y ~ x + (1 | s) + (1 | i)", data=data)
    marginal = _fit(model, "marginal")
    assert marginal.info["integrated"]  # the comparison covers a factor drawn afterwards
    assert _layout(marginal) == _layout(_fit(model, "noncentered"))
