"""Notebook reprs, plots of a real fit, the standalone report and the CLI ``--report``.

One module-scoped fit serves every check. Content is checked (sections, panels,
lines, labels), not statistical accuracy, so its draws are synthetic
(``tests.helpers.synthetic_fit``), the CLI test's too (``synthetic_sampling``).
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import bayeslme as bl
from bayeslme.cli import main
from tests.helpers import synthetic_fit, synthetic_sampling


@pytest.fixture(scope="module")
def model():
    return bl.LMM("Reaction ~ Days + (Days | Subject)", bl.datasets.sleepstudy())


@pytest.fixture(scope="module")
def fit(model):
    return synthetic_fit(model, chains=2, draws=150, seed=5)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_model_text_and_html_show_formula_groups_and_priors(model):
    text, html = str(model), model._repr_html_()
    for piece in [
        "Reaction ~ Days + (Days | Subject)",
        "gaussian",
        "180",
        "Subject (18 levels)",
        "sd[Subject|Days]",
    ]:
        assert piece in text
        assert piece in html
    assert "Priors" in html and "<table" in html


def test_fit_html_has_every_section_and_same_numbers_as_text(fit):
    html, text = fit._repr_html_(), repr(fit)
    for title in ["Fit", "Diagnostics", "Fixed effects", "Variance components"]:
        assert f"<h3>{title}" in html
        assert f"{title}:" in text
    assert "max R-hat" in html and "min ESS" in html and "divergences" in html
    mean_days = f"{fit.fixed_effects().loc['Days', 'mean']:.4g}"
    assert mean_days in html and mean_days in text
    assert "ICC" in html and "cor" in html


def test_plot_random_effects_sorted_caterpillar(fit):
    axes = fit.plot_random_effects("Subject")
    assert len(axes) == 2
    assert [ax.get_xlabel() for ax in axes] == ["Intercept | Subject", "Days | Subject"]
    for ax in axes:
        x = ax.lines[0].get_xdata()
        assert len(x) == 18 and np.all(np.diff(x) >= 0)
    ax = fit.plot_random_effects("Subject", "Days", ax=plt.subplots()[1])
    means = fit.random_effects("Subject")["mean"].xs("Days", level="effect")
    assert ax.get_yticklabels()[-1].get_text() == means.idxmax()


def test_plot_random_effects_rejects_unknown_effect(fit):
    with pytest.raises(bl.errors.BayeslmeError, match="not \\['Weeks'\\]"):
        fit.plot_random_effects("Subject", "Weeks")


def test_plot_variance_components_panels(fit):
    axes = fit.plot_variance_components()
    titles = [ax.get_title() for ax in axes]
    assert titles == ["sd[Subject|Intercept]", "sd[Subject|Days]", "cor[Subject|Intercept, Days]", "sigma"]
    assert all(len(ax.lines) == 1 for ax in axes)


def test_plot_trajectories_small_multiples(fit):
    axes = fit.plot_trajectories("Subject", x="Days")
    assert len(axes) == 18
    first = axes[0]
    assert first.get_title() == fit.spec.factor("Subject").levels[0]
    assert len(first.lines) == 3 and len(first.lines[2].get_xdata()) == 10  # 10 days observed
    assert first.get_ylabel() == "Reaction" and axes[-1].get_xlabel() == "Days"
    # The fitted line at Days=0 equals the level's Intercept coefficient (posterior mean).
    coef = fit.coef("Subject")["mean"]
    level = fit.spec.factor("Subject").levels[0]
    assert first.lines[0].get_ydata()[0] == pytest.approx(coef[(level, "Intercept")], rel=1e-6)
    assert len(fit.plot_trajectories("Subject", x="Days", max_panels=4)) == 4


def test_plot_r2(fit):
    ax = fit.plot_r2()
    assert [line.get_label() for line in ax.lines] == ["marginal", "conditional"]


def test_plot_ppc(fit):
    ax = fit.plot_ppc(n_lines=20)
    assert len(ax.lines) == 21


def test_plot_predictions(fit):
    ax = fit.plot_predictions("Days", by="Subject")
    assert len(ax.lines) == 18
    population = fit.plot_predictions("Days")
    assert [line.get_label() for line in population.lines] == ["population"]
    # the population line is the fixed-effects line: intercept at Days = 0
    fixed = fit.fixed_effects()["mean"]
    assert population.lines[0].get_ydata()[0] == pytest.approx(fixed["Intercept"], rel=0.01)


def _check_report(path):
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    for title in ["Diagnostics", "Fixed effects", "Variance components", "Group effects: Subject", "R²"]:
        assert title in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 5
    assert all(base64.b64decode(data).startswith(b"\x89PNG") for data in images)
    assert "http://" not in page and "https://" not in page  # self-contained


def test_report_is_self_contained(fit, tmp_path):
    path = fit.report(tmp_path / "report.html")
    _check_report(path)


def test_report_renders_in_headless_chromium(fit, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (Debian package 'chromium'); the HTML itself is checked above")
    path = fit.report(tmp_path / "report.html")
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={shot}",
            "--window-size=1200,2400",
            path.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000


def test_cli_fit_writes_report(tmp_path, capsys, monkeypatch):
    calls = synthetic_sampling(monkeypatch)
    csv = tmp_path / "sleep.csv"
    bl.datasets.sleepstudy().to_csv(csv, index=False)
    out = tmp_path / "cli.html"
    code = main(
        [
            "fit",
            "Reaction ~ Days + (Days | Subject)",
            "--data",
            str(csv),
            "--draws",
            "100",
            "--tune",
            "100",
            "--chains",
            "2",
            "--no-progress",
            "--report",
            str(out),
        ]
    )
    assert code == 0 and [c["draws"] for c in calls] == [100]
    assert f"report written to {out}" in capsys.readouterr().out
    _check_report(out)
