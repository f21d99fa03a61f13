"""MkDocs hook: publish the example notebooks as gallery pages.

Every ``examples/NN_*.ipynb`` becomes two files of the site:

* ``gallery/NN_*.md``, a page rendered from the notebook (markdown cells as
  they are, code cells as Python blocks; the notebooks are stored without
  outputs), listed under the "Gallery" section of the navigation;
* ``examples/NN_*.ipynb``, the notebook itself, for download.

The notebooks stay the single source: nothing is copied into ``docs/``.
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples").glob("[0-9][0-9]_*.ipynb"))


def _title(notebook: dict, fallback: str) -> str:
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _page(path: Path) -> str:
    notebook = json.loads(path.read_text())
    note = (
        f'!!! note "Notebook"\n    Download [`{path.name}`](../examples/{path.name}) and run it; '
        "set `BAYESLME_FAST=1` for a quick pass with tiny draws."
    )
    parts = []
    for cell in notebook["cells"]:
        source = "".join(cell["source"]).rstrip()
        if source:
            parts.append(source if cell["cell_type"] == "markdown" else f"```python\n{source}\n```")
    if parts and parts[0].startswith("# "):  # keep the notebook's title first, the note under it
        heading, _, rest = parts[0].partition("\n")
        parts[0:1] = [heading, note, rest.strip()]
    else:
        parts.insert(0, note)
    return "\n\n".join(part for part in parts if part) + "\n"


def on_config(config):
    """Fill the "Gallery" navigation section with one entry per notebook."""
    for item in config["nav"]:
        if isinstance(item, dict) and "Gallery" in item:
            pages = [{_title(json.loads(p.read_text()), p.stem): f"gallery/{p.stem}.md"} for p in NOTEBOOKS]
            item["Gallery"] = [entry for entry in item["Gallery"] if entry not in pages] + pages
    return config


def on_files(files, config):
    """Add the rendered pages and the downloadable notebooks to the site."""
    for path in NOTEBOOKS:
        files.append(File.generated(config, f"gallery/{path.stem}.md", content=_page(path)))
        files.append(File.generated(config, f"examples/{path.name}", content=path.read_bytes()))
    return files
