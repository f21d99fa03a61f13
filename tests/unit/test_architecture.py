"""The package's shape: a one-way import graph, small modules, results free of the backend.

The rules of ``docs/architecture.md``, read from the source with :mod:`ast`
(every import statement counts, also those inside functions and under
``TYPE_CHECKING``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "bayeslme"
MAX_LINES = 360  # "no module over ~350 lines", with room for a docstring's growth


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> package modules it imports (``from a import b`` counts ``a.b`` when that is a module)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                named = [target] + [f"{target}.{a.name}" for a in node.names]
                graph[name] |= {t for t in named if t in modules}
            elif isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in modules}
    return graph


def _cycles(graph: dict[str, set[str]], nodes: list[str]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = defaultdict(set, {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert _cycles(graph, ["a", "b", "c", "d"]) == [["a", "b", "c"]]
    assert _cycles(defaultdict(set, {"a": {"b"}}), ["a", "b"]) == []


def test_no_import_circle():
    modules = _modules()
    assert _cycles(_imports(modules), sorted(modules)) == []


def test_results_reports_plots_and_io_never_import_the_backend():
    modules = _modules()
    graph = _imports(modules)
    upper = ("bayeslme.backend", "bayeslme.kernel", "bayeslme.model", "bayeslme.results.fit")
    for name in modules:
        lower = name.startswith(("bayeslme.report", "bayeslme.plots", "bayeslme.interpret"))
        lower |= name in ("bayeslme.io",)
        lower |= name.startswith("bayeslme.results") and name != "bayeslme.results.fit"
        if lower:
            bad = sorted(t for t in graph[name] if t.startswith(upper))
            assert not bad, f"{name} imports {bad}"
        if name.startswith(("bayeslme.results", "bayeslme.report", "bayeslme.plots", "bayeslme.interpret")):
            source = modules[name].read_text()
            assert "import pymc" not in source and "import pytensor" not in source, name


def test_no_module_is_large():
    sizes = {name: len(path.read_text().splitlines()) for name, path in _modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


# Pieces of the names the spec derives (``<f>__sd``, ``b_slopes_dim_0``, ``sd[g|x]``...):
# an f-string holding one of them outside ``bayeslme.spec`` rebuilds a name by hand
# (messages, which hold spaces, may quote names).
NAME_PIECES = ("__", "_dim_", "_unit", "_centered", "sd[", "cor[", "rho[", "b[")


def _formatted_names(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.JoinedStr):
            texts = [v.value for v in node.values if isinstance(v, ast.Constant)]
            if " " in "".join(texts):
                continue
            if any(piece in text for text in texts for piece in NAME_PIECES):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_name_finder_finds_a_formatted_name(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('def f(g):\n    return f"{g}__sd"\n')
    assert _formatted_names(module) == ["m.py:2: f'{g}__sd'"]


def test_no_variable_name_is_formatted_outside_the_spec():
    found = [
        hit
        for name, path in _modules().items()
        if not name.startswith("bayeslme.spec")
        for hit in _formatted_names(path)
    ]
    assert found == []
