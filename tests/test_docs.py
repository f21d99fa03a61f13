"""The documentation site builds in strict mode (broken links and bad references fail)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("mkdocs", "material", "mkdocstrings")),
    reason="mkdocs, mkdocs-material and mkdocstrings[python] are needed (pip install -e '.[dev]')",
)
def test_docs_build_strict(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "plot_trajectories" in api and "variance_components" in api
    # members the Fit gets from its table and prediction parts, and the plot accessor
    assert "coef_draws" in api and "personalize" in api and "FitPlots" in api
    gallery = (ROOT / "docs" / "gallery.md").read_text()
    for notebook in sorted((ROOT / "examples").glob("[0-9][0-9]_*.ipynb")):
        assert f"(gallery/{notebook.stem}.md)" in gallery, f"docs/gallery.md has no entry for {notebook.name}"
        page = (tmp_path / "site" / "gallery" / notebook.stem / "index.html").read_text()
        assert notebook.name in page and "highlight" in page  # code cells render as code blocks
        assert (tmp_path / "site" / "examples" / notebook.name).read_bytes() == notebook.read_bytes()
