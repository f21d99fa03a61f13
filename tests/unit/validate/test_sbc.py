"""The SBC result table (the loop itself fits models: tests/statistical/test_sbc.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.validate import SBCResult


def test_sbc_table_reports_both_uniformity_tests_and_coverage():
    rng = np.random.default_rng(10)
    ranks = pd.DataFrame({"a": rng.integers(0, 100, 120), "b": np.full(120, 50)})
    table = SBCResult(ranks, 99, pd.DataFrame({"divergences": np.zeros(120, dtype=int)})).table(ecdf_sims=300)
    assert list(table.columns) == ["chi2_p", "ecdf_p", "ecdf_out", "cover50", "se50", "cover90", "se90"]
    assert table.loc["b", "ecdf_out"] and table.loc["b", "cover90"] == 1.0
    assert table.loc["a", "ecdf_p"] > 0.01
