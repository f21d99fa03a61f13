"""Plain-text rendering of a fit (terminal ``repr`` and the command line)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from bayeslme.formula.design import numeric_group_columns
from bayeslme.results.diagnostics import singular_message

if TYPE_CHECKING:
    from bayeslme.results.fit import Fit

__all__ = ["fit_text"]


def _format(table: pd.DataFrame) -> str:
    with pd.option_context("display.width", 120, "display.max_columns", 20, "display.max_rows", 200):
        return table.to_string(float_format=lambda v: f"{v:.4g}")


def fit_text(fit: Fit, *, prob: float = 0.95) -> str:
    """Header, diagnostics, fixed effects and variance components as text."""
    spec = fit.spec
    levels = ", ".join(f"{f.name} ({len(f.levels)} levels)" for f in spec.factors) or "none"
    info = fit.info
    lines = [
        f"bayeslme fit: {spec.formula}",
        f"  family: {spec.family} (link: {spec.link}); observations: {spec.n_obs}; groups: {levels}",
        f"  sampler: {info.get('sampler', '?')}, {info.get('chains', '?')} chains x "
        f"{info.get('draws', '?')} draws (tune {info.get('tune', '?')})",
    ]
    numeric = numeric_group_columns(fit.design)
    if numeric:
        lines.append(f"  numeric grouping columns read as category labels: {numeric}")
    if fit.design.dropped.count:
        lines.append(
            f"  dropped rows with missing values: {fit.design.dropped.count} {fit.design.dropped.by_column}"
        )
    diagnostics = fit.diagnostics
    if diagnostics.ok:
        lines.append("  diagnostics: ok (no divergences, R-hat <= 1.01, ESS sufficient)")
    else:
        lines.append("  diagnostics: PROBLEMS")
        lines += [f"    - {p}" for p in diagnostics.problems()]
    singular = fit.singular
    if singular:
        lines.append(f"  singular fit: {singular_message(singular)}")
    lines += ["", "Fixed effects:", _format(fit.fixed_effects(prob=prob))]
    if spec.factors:
        scale = "" if spec.link == "identity" else f" (on the {spec.link} scale)"
        lines += ["", f"Variance components{scale}:", _format(fit.variance_components(prob=prob))]
    return "\n".join(lines)
