"""Rendering of report sections to text and HTML, from hand-made sections (no MCMC)."""

from __future__ import annotations

import pandas as pd

from bayeslme.report.html import sections_html
from bayeslme.report.tables import Section
from bayeslme.report.text import sections_text


def _sections():
    table = pd.DataFrame({"mean": [1.23456, 2.0]}, index=pd.Index(["a<b", "c"], name="term"))
    return [
        Section("Fit", ["formula: y ~ x"]),
        Section("Diagnostics", ["PROBLEMS: R-hat 1.2", "run more draws"], warning=True),
        Section("Fixed effects", [], table),
    ]


def test_text_and_html_show_the_same_content():
    text = sections_text(_sections())
    html = sections_html(_sections())
    for piece in ["Fit", "formula: y ~ x", "PROBLEMS: R-hat 1.2", "run more draws", "Fixed effects", "1.235"]:
        assert piece in text
        assert piece in html


def test_html_escapes_and_marks_warnings():
    html = sections_html(_sections())
    assert "a&lt;b" in html and "a<b" not in html
    assert html.count('class="warning"') == 2
    assert html.startswith('<div class="bayeslme">') and html.count("<table") == 1
