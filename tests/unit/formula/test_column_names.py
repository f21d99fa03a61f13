"""Any column name works as response, predictor or grouping factor (no reserved names).

Internal variables and dimensions are namespaced: a factor's are
``<factor>__<role>``, the model's own never contain ``__``. The names below
were refused before (they were model variables or dimensions) or need
backquotes in lme4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl
from tests.helpers import synthetic_fit

NAMES = [
    "sample",
    "obs",
    "y",
    "X",
    "b",
    "sigma",
    "offset",
    "trials",
    "chain",
    "draw",
    "fixed",
    "ar",
    "cosy",
    "level",
    "effect",
    "coefficient",
    "b_slopes",
    "Intercept_centered",
    "g__level",
    "Animal ID",
    "dose/kg",
    "50%",
]


def _frame(**columns) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 24
    base = {
        "resp": rng.normal(size=n),
        "pred": rng.normal(size=n),
        "grp": np.repeat([f"s{k}" for k in range(6)], 4),
    }
    base.update(columns)
    return pd.DataFrame(base)


def _quoted(name: str) -> str:
    return f"`{name}`"


@pytest.mark.parametrize("name", NAMES)
def test_any_name_as_grouping_factor(name, tmp_path):
    data = _frame().rename(columns={"grp": name})
    model = bl.LMM(f"resp ~ pred + (1 + pred | {_quoted(name)})", data)
    factor = model.spec.factor(name)
    # PyMC refuses '/' in names: the spec writes it as the division slash U+2215
    assert factor.level_dim == f"{name.replace('/', chr(0x2215))}__level" and len(factor.levels) == 6
    pymc_model = model.build()  # PyMC refuses duplicate variable names and clashing dims
    assert pymc_model.named_vars_to_dims[factor.u_var] == (factor.level_dim, factor.effect_dim)
    fit = synthetic_fit(model, seed=1)
    path = tmp_path / "fit.nc"
    fit.save(path)
    loaded = bl.load(path)
    pd.testing.assert_frame_equal(loaded.coef(name), fit.coef(name), check_exact=True)
    new = data.head(3)
    pd.testing.assert_frame_equal(loaded.predict(new, random_seed=0), fit.predict(new, random_seed=0))


@pytest.mark.parametrize("name", NAMES)
def test_any_name_as_predictor_and_response(name):
    data = _frame().rename(columns={"pred": name})
    model = bl.LMM(f"resp ~ {_quoted(name)} + (1 | grp)", data)
    assert model.spec.fixed == ("Intercept", name)
    data = _frame().rename(columns={"resp": name})
    model = bl.LMM(f"{_quoted(name)} ~ pred + (1 | grp)", data)
    np.testing.assert_array_equal(model.design.y, data[name].to_numpy())


def test_two_factors_with_namespace_like_names():
    data = _frame(other=np.tile(["u", "v", "w"], 8)).rename(columns={"grp": "g"})
    data["g__sd"] = data["other"]
    model = bl.LMM("resp ~ pred + (1 | g) + (1 | g__sd)", data)
    names = [v.name for v in model.build().free_RVs]
    assert len(names) == len(set(names))
