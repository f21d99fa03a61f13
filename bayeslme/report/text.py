"""Plain-text rendering of a fit (terminal ``repr`` and the command line)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from bayeslme.report.tables import Section, fit_sections, model_sections

if TYPE_CHECKING:
    from bayeslme.report.tables import ReportedFit
    from bayeslme.spec import ModelSpec

__all__ = ["fit_text", "model_text", "sections_text"]


def _format(table: pd.DataFrame) -> str:
    with pd.option_context("display.width", 120, "display.max_columns", 20, "display.max_rows", 200):
        return table.to_string(float_format=lambda v: f"{v:.4g}")


def sections_text(sections: list[Section]) -> str:
    """Render sections as text: a heading, indented lines, then the table."""
    out: list[str] = []
    for section in sections:
        if out:
            out.append("")
        out.append(f"{section.title}:")
        out += [f"  {line}" for line in section.lines]
        if section.table is not None:
            out.append(_format(section.table))
    return "\n".join(out)


def fit_text(fit: ReportedFit, *, prob: float = 0.95) -> str:
    """Header, diagnostics, fixed effects and variance components as text."""
    return "bayeslme " + sections_text(fit_sections(fit, prob=prob))


def model_text(spec: ModelSpec) -> str:
    """Formula, family, groups and priors of a model as text."""
    return sections_text(model_sections(spec))
