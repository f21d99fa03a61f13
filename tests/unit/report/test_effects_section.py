"""The standalone report's average effects: each predictor's comparisons or slope."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

import bayeslme as bl
from bayeslme.report.tables import effects_section, fit_sections
from tests.helpers import synthetic_fit
from tests.unit.interpret.conftest import trial_data


@pytest.fixture(scope="module")
def fit():
    return synthetic_fit(bl.LMM("score ~ age + arm * week + (1 + week | patient)", trial_data()), draws=30)


def test_rows_are_the_comparisons_and_slopes(fit):
    table = effects_section(fit).table
    assert table.index.tolist() == [
        ("age", "slope"),
        ("arm", "drug - placebo"),
        ("arm", "dose2 - placebo"),
        ("week", "slope"),
    ]
    drug = fit.comparisons("arm", groups="population").set_index("contrast").loc["drug - placebo"]
    assert table.loc[("arm", "drug - placebo"), "mean"] == pytest.approx(drug["mean"])
    assert table.loc[("week", "slope"), "mean"] == pytest.approx(fit.slopes("week").loc[0, "mean"])


def test_only_the_standalone_report_shows_them(fit, tmp_path):
    titles = [section.title for section in fit_sections(fit)]
    assert "Average effects on the outcome scale" not in titles
    page = fit.report(tmp_path / "r.html").read_text()
    assert "Average effects on the outcome scale" in page and "dose2 - placebo" in page


def test_no_predictors_no_section():
    fit = synthetic_fit(bl.LMM("Reaction ~ 1 + (1 | Subject)", bl.datasets.sleepstudy()), draws=5)
    assert effects_section(fit) is None
