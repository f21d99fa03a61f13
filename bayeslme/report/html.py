"""HTML rendering of report sections (notebook ``_repr_html_`` and the standalone report)."""

from __future__ import annotations

import html

import pandas as pd

from bayeslme.report.tables import Section

__all__ = ["STYLE", "section_html", "sections_html"]

STYLE = """
.bayeslme { font-family: system-ui, sans-serif; font-size: 13px; }
.bayeslme h3 { margin: 0.6em 0 0.2em 0; font-size: 14px; }
.bayeslme p { margin: 0.1em 0; }
.bayeslme .warning { color: #9a3412; background: #fff7ed; padding: 2px 6px; }
.bayeslme .ok { color: #166534; }
.bayeslme table { border-collapse: collapse; }
.bayeslme td, .bayeslme th { padding: 1px 8px; text-align: right; }
.bayeslme tr:nth-child(even) { background: rgba(127, 127, 127, 0.08); }
"""


def _table_html(table: pd.DataFrame) -> str:
    return table.to_html(float_format=lambda v: f"{v:.4g}", border=0, classes="bayeslme-table")


def section_html(section: Section) -> str:
    """One section as a heading, escaped paragraphs and a table."""
    css = "warning" if section.warning else ""
    parts = [f"<h3>{html.escape(section.title)}</h3>"]
    for i, line in enumerate(section.lines):
        cls = css if (section.warning or i > 0) else ""
        if section.title == "Diagnostics" and not section.warning:
            cls = "ok"
        parts.append(f'<p class="{cls}">{html.escape(line)}</p>')
    if section.table is not None:
        parts.append(_table_html(section.table))
    return "\n".join(parts)


def sections_html(sections: list[Section], *, extra: str = "") -> str:
    """Sections in one ``<div class="bayeslme">`` with a scoped style block."""
    body = "\n".join(section_html(s) for s in sections)
    return f'<div class="bayeslme"><style>{STYLE}</style>\n{body}\n{extra}</div>'
