"""What the benchmark scripts share: running a child process for its JSON line, markdown tables."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence

__all__ = ["cell", "markdown_table", "timed"]


def timed(
    command: list[str], env: dict, timeout: float, *, reads_json: bool = True
) -> tuple[float, dict, str]:
    """Run ``command``; (wall seconds, its last stdout line read as JSON, error: "" when none).

    ``reads_json=False`` for a command that prints no JSON (the demo): only its time and exit count.
    """
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, {}, f"timeout after {timeout:.0f} s"
    wall = time.perf_counter() - start
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return wall, {}, (lines[-1] if lines else f"exit {done.returncode}")
    if not reads_json:
        return wall, {}, ""
    try:
        return wall, json.loads(done.stdout.strip().splitlines()[-1]), ""
    except (json.JSONDecodeError, IndexError):
        return wall, {}, "no JSON output: " + done.stdout[-300:]


def cell(row: dict, key: str, fmt: str = "{:.1f}") -> str:
    """``row[key]`` formatted, ``-`` when missing."""
    value = row.get(key)
    return "-" if value is None else fmt.format(value)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table; ``|`` inside cells is escaped."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)
