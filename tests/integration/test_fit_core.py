"""Tables, labels and reproducibility of a fitted LMM (small seeded fits)."""

import numpy as np
import pandas as pd
import pytest

import bayeslme as bl


def test_fixed_effects_table(sleepstudy_fit):
    table = sleepstudy_fit.fixed_effects()
    assert list(table.index) == ["Intercept", "Days"]
    assert list(table.columns) == ["mean", "sd", "q2.5", "q97.5", "ess_bulk", "ess_tail", "r_hat"]
    assert (table["q2.5"] < table["mean"]).all() and (table["mean"] < table["q97.5"]).all()
    assert table["r_hat"].max() < 1.05


def test_variance_components_rows(sleepstudy_fit):
    table = sleepstudy_fit.variance_components(prob=0.9)
    expected = {
        ("Subject", "sd", "Intercept"),
        ("Subject", "var", "Days"),
        ("Subject", "cor", "Intercept, Days"),
        ("Subject", "cov", "Intercept, Days"),
        ("Residual", "sd", ""),
        ("ICC", "icc", "adjusted"),
    }
    assert expected <= set(table.index)
    assert -1 < table.loc[("Subject", "cor", "Intercept, Days"), "mean"] < 1
    assert 0 < table.loc[("ICC", "icc", "adjusted"), "mean"] < 1
    sd = sleepstudy_fit.draws("Subject__sd")[..., 0]
    assert table.loc[("Subject", "var", "Intercept"), "mean"] == pytest.approx((sd**2).mean())


def test_coef_is_fixed_plus_random(sleepstudy_fit):
    coef = sleepstudy_fit.coef("Subject")
    ranef = sleepstudy_fit.random_effects("Subject")
    fixed = sleepstudy_fit.fixed_effects()
    assert coef.index.names == ["Subject", "coefficient"]
    assert len(coef) == 18 * 2 and len(ranef) == 18 * 2
    # means are linear: mean(b + u) = mean(b) + mean(u)
    expected = fixed.loc["Days", "mean"] + ranef.loc[("308", "Days"), "mean"]
    assert coef.loc[("308", "Days"), "mean"] == pytest.approx(expected)


def test_idata_has_named_dims_and_level_coords(sleepstudy_fit):
    posterior = sleepstudy_fit.idata["posterior"]
    assert posterior["Subject__u"].dims == ("chain", "draw", "Subject__level", "Subject__effect")
    assert list(posterior["Subject__level"].values[:3]) == ["308", "309", "310"]
    assert list(posterior["fixed"].values) == ["Intercept", "Days"]


def test_summary_and_text(sleepstudy_fit):
    summary = sleepstudy_fit.summary()
    assert {"b[Intercept]", "sd[Subject|Days]", "cor[Subject|Intercept, Days]", "sigma"} <= set(summary.index)
    text = repr(sleepstudy_fit)
    assert "Fixed effects:" in text and "Variance components:" in text and "ICC" in text


def test_unknown_factor_name(sleepstudy_fit):
    with pytest.raises(bl.errors.BayeslmeError, match="unknown grouping factor 'Patient'"):
        sleepstudy_fit.coef("Patient")


def test_save_load_round_trip(sleepstudy_fit, tmp_path):
    path = tmp_path / "fit.nc"
    sleepstudy_fit.save(path)
    loaded = bl.load(path)
    pd.testing.assert_frame_equal(loaded.fixed_effects(), sleepstudy_fit.fixed_effects())
    pd.testing.assert_frame_equal(loaded.variance_components(), sleepstudy_fit.variance_components())
    pd.testing.assert_frame_equal(loaded.coef("Subject"), sleepstudy_fit.coef("Subject"))
    assert loaded.spec == sleepstudy_fit.spec


@pytest.fixture(scope="module")
def crossed_data():
    rng = np.random.default_rng(5)
    n = 120
    donor = rng.integers(0, 6, n)
    batch = rng.integers(0, 5, n)
    x = rng.normal(size=n)
    y = (
        1
        + 0.5 * x
        + rng.normal(0, 0.8, 6)[donor]
        + (rng.normal(0, 0.5, 5) * x.mean())[batch]
        + rng.normal(0, 0.3, n)
    )
    return pd.DataFrame(
        {"y": y, "x": x, "donor": [f"d{k}" for k in donor], "batch": batch, "site": donor % 2}
    )


def test_crossed_nested_uncorrelated_fit_and_same_seed(crossed_data):
    formula = "y ~ x + (1 | donor) + (x || batch) + (1 | site/donor)"
    # lme4 keeps a repeated term as a term of its own, g.1 in VarCorr
    repeated = bl.LMM("y ~ x + (1 | donor) + (1 | donor)", crossed_data)
    assert [f.name for f in repeated.spec.factors] == ["donor", "donor.1"]
    model = bl.LMM(formula, crossed_data)
    assert [f.name for f in model.spec.factors] == ["donor", "batch", "site", "site:donor"]
    first = model.fit(draws=60, tune=60, chains=2, random_seed=3, progressbar=False)
    again = model.fit(draws=60, tune=60, chains=2, random_seed=3, progressbar=False)
    other = model.fit(draws=60, tune=60, chains=2, random_seed=4, progressbar=False)
    np.testing.assert_array_equal(first.draws("b"), again.draws("b"))
    assert not np.array_equal(first.draws("b"), other.draws("b"))
    assert first.posterior["batch__sd"].dims[-1] == "batch__effect"
    assert "batch__cor" not in first.posterior
    table = first.variance_components()
    assert ("site:donor", "sd", "Intercept") in table.index
    assert first.info["sampler"] == "nutpie"


def test_cli_fit_prints_tables(crossed_data, tmp_path, capsys):
    from bayeslme.cli import main

    path = tmp_path / "data.csv"
    crossed_data.to_csv(path, index=False)
    code = main(
        [
            "fit",
            "y ~ x + (1 | donor)",
            "--data",
            str(path),
            "--draws",
            "50",
            "--tune",
            "50",
            "--chains",
            "2",
            "--no-progress",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Fixed effects:" in out and "Per-donor coefficients" in out and "d5" in out
    assert out.count("R²") == 1 and "marginal" in out and "conditional" in out


def test_cli_reports_bad_formula(tmp_path, capsys, crossed_data):
    from bayeslme.cli import main

    path = tmp_path / "data.csv"
    crossed_data.to_csv(path, index=False)
    assert main(["fit", "y ~ x + (1 | )", "--data", str(path)]) == 2
    assert "no grouping factor" in capsys.readouterr().err
