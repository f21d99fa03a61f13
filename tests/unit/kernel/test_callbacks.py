"""The callbacks' guard against a numba cache older than the modules they inline."""

from __future__ import annotations

import pytest

from bayeslme.kernel import callbacks, density


def test_source_digest_is_current():
    # An edit of a kernel module without this update would leave numba's cached
    # callbacks calling the old code: `python -m bayeslme.kernel.density` prints the value.
    assert density.inlined_digest() == density.SOURCE_DIGEST


def test_digest_covers_every_inlined_module(monkeypatch, tmp_path):
    for name in density._INLINED_MODULES:
        (tmp_path / f"{name}.py").write_text(f"# {name}\n")
    monkeypatch.setattr(density, "__file__", str(tmp_path / "density.py"))
    before = density.inlined_digest()
    (tmp_path / "rows.py").write_text("# rows, edited\n")
    assert density.inlined_digest() != before


def test_stale_digest_refuses_the_callback(monkeypatch):
    monkeypatch.setattr(density, "SOURCE_DIGEST", "0" * 16)
    monkeypatch.setattr(callbacks, "_LOGP_CALLBACKS", {})
    with pytest.raises(RuntimeError, match="set its SOURCE_DIGEST to '[0-9a-f]{16}'"):
        callbacks.logp_callback("collapsed")
