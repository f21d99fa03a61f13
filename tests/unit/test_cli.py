"""The ``bayeslme fit`` command: settings reach the fit, tables are printed (no MCMC: synthetic draws)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeslme.cli import main
from tests.helpers import synthetic_sampling


def _csv(tmp_path):
    rng = np.random.default_rng(5)
    donor = rng.integers(0, 6, 120)
    x = rng.normal(size=120)
    y = 1 + 0.5 * x + rng.normal(0, 0.8, 6)[donor] + rng.normal(0, 0.3, 120)
    path = tmp_path / "data.csv"
    pd.DataFrame({"y": y, "x": x, "donor": [f"d{k}" for k in donor]}).to_csv(path, index=False)
    return path


def test_cli_fit_prints_tables(tmp_path, capsys, monkeypatch):
    calls = synthetic_sampling(monkeypatch)
    argv = ["fit", "y ~ x + (1 | donor)", "--data", str(_csv(tmp_path))]
    code = main([*argv, "--draws", "50", "--tune", "60", "--chains", "2", "--seed", "9", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert calls == [{"draws": 50, "tune": 60, "chains": 2, "random_seed": 9, "progressbar": False}]
    assert "Fixed effects:" in out and "Per-donor coefficients" in out and "d5" in out
    assert out.count("R²") == 1 and "marginal" in out and "conditional" in out


def test_cli_fit_reads_parquet_files(tmp_path, capsys, monkeypatch):
    synthetic_sampling(monkeypatch)
    frame = pd.read_csv(_csv(tmp_path))
    frame.iloc[:60].to_parquet(tmp_path / "a.parquet")
    frame.iloc[60:].to_parquet(tmp_path / "b.parquet")
    code = main(["fit", "y ~ x + (1 | donor)", "--data", str(tmp_path / "*.parquet"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Fixed effects:" in out and "observations: 120" in out
    assert out.count("R²") == 1 and "conditional" in out  # R² from the sums
    assert "Per-donor coefficients" not in out


def test_cli_fit_takes_a_formula_for_sigma(tmp_path, capsys, monkeypatch):
    synthetic_sampling(monkeypatch)
    argv = ["fit", "y ~ x + (1 | donor)", "sigma ~ x", "--data", str(_csv(tmp_path)), "--no-progress"]
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0
    assert "sigma ~ x (link: log)" in out and "sigma: fixed effects" in out
