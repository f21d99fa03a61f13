"""Every example notebook runs top to bottom (with BAYESLME_FAST=1: tiny draws) and its
final assertions hold.

Gallery notebooks end in ``assert`` cells that check the simulated truth is
recovered, so running them clean is the test. The sleepstudy tour also has to
show its reporting output (HTML tables and plots)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, monkeypatch, tmp_path):
    monkeypatch.setenv("BAYESLME_FAST", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend shows figures
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("assert " in cell.source for cell in notebook.cells if cell.cell_type == "code"), (
        f"{path.name} must end in assertions that check what it claims"
    )
    if path.name != "01_sleepstudy.ipynb":
        return
    html = [o for o in outputs if "text/html" in o.get("data", {})]
    assert any("Variance components" in o["data"]["text/html"] for o in html)
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3
