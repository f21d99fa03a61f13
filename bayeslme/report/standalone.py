"""A self-contained HTML report: the notebook sections plus plots inlined as base64 PNG."""

from __future__ import annotations

import base64
import html
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bayeslme.report.html import sections_html
from bayeslme.report.tables import fit_sections
from bayeslme.results.view import has_latent_scale

if TYPE_CHECKING:
    from bayeslme.report.tables import ReportedFit

__all__ = ["figure_png_base64", "write_report"]

logger = logging.getLogger(__name__)


def figure_png_base64(figure) -> str:
    """A matplotlib figure as a base64-encoded PNG string."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _plots(fit: ReportedFit) -> list[tuple[str, str]]:
    """Titles and base64 PNGs of the report's plots."""
    import matplotlib.pyplot as plt

    figures = []
    makers = [("Posterior densities of SDs and correlations", lambda: fit.plot.variance_components())]
    for factor in fit.spec.factors:
        makers.append((f"Group effects: {factor.name}", lambda f=factor.name: fit.plot.random_effects(f)))
    factor = fit.spec.factors[0].name if fit.spec.factors else None
    slope = next((e for e in fit.spec.factors[0].effects if e != "Intercept"), None) if factor else None
    if slope is not None and slope in fit.design.data.columns:
        makers.append(
            (f"Fitted lines by {factor}", lambda: fit.plot.trajectories(factor, x=slope, max_panels=12))
        )
    if has_latent_scale(fit.spec):  # else no marginal and conditional R² (families docs)
        makers.append(("Marginal and conditional R²", lambda: fit.plot.r2()))
    makers.append(("Posterior predictive check", lambda: fit.plot.ppc()))
    for title, make in makers:
        figure = np.ravel(make())[0].figure
        figures.append((title, figure_png_base64(figure)))
        plt.close(figure)
    return figures


def write_report(
    fit: ReportedFit, path: str | Path, *, prob: float = 0.95, title: str = "bayeslme report"
) -> Path:
    """Write one HTML file with every section of the fit and its plots.

    Parameters
    ----------
    fit : Fit
    path : str or Path
        Output file.
    prob : float
        Interval probability of the tables.
    title : str
        Page title.

    Returns
    -------
    Path
        The written file.
    """
    images = []
    for name, data in _plots(fit):
        images.append(
            f"<h3>{html.escape(name)}</h3>"
            f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}" style="max-width:100%">'
        )
    body = sections_html(fit_sections(fit, prob=prob, effects=True), extra="\n".join(images))
    page = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n<h2>{html.escape(title)}</h2>\n{body}\n</body></html>\n"
    )
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    logger.info("wrote report to %s", path)
    return path
