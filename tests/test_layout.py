"""The house rules of the layout, read from the code's own imports (DESIGN.md, "Layout").

- `rolegraph` → `graphs` → `agents` → `personas`, never back up;
- inside `rolegraph/`, the wings point one way: run → curate → outputs → models → scenario
  (`cli.py` and `api.py` on top, `errors.py` and `version.py` below everything);
- no two modules import each other, directly or around a circle;
- the executors do not import the runner.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("rolegraph", "graphs", "agents", "personas")
PACKAGE_RANK = {"rolegraph": 0, "graphs": 1, "agents": 2, "personas": 3}
WING_RANK = {"run": 0, "curate": 1, "outputs": 2, "models": 3, "scenario": 4}
TOP = {"rolegraph.cli", "rolegraph.commands", "rolegraph.api", "rolegraph.__main__", "rolegraph"}
BOTTOM = {"rolegraph.errors", "rolegraph.version"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Project modules `path` imports (TYPE_CHECKING and function-level imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            # the longest project module the name starts with
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def import_graph() -> nx.DiGraph:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {module_name(p) for p in files}
    graph = nx.DiGraph()
    for path in files:
        name = module_name(path)
        graph.add_node(name)
        for target in imports_of(path, modules) - {name}:
            # a submodule importing its own package's face is not an arrow of the design
            if not name.startswith(f"{target}."):
                graph.add_edge(name, target)
    return graph


def wing(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "rolegraph" and len(parts) > 2 else None


def test_packages_point_one_way() -> None:
    back = [
        (a, b)
        for a, b in import_graph().edges
        if PACKAGE_RANK[b.split(".")[0]] < PACKAGE_RANK[a.split(".")[0]]
    ]
    assert back == []


def test_wings_point_one_way() -> None:
    wrong = []
    for a, b in import_graph().edges:
        if not (a.startswith("rolegraph") and b.startswith("rolegraph")):
            continue
        if (
            a in BOTTOM
            or (b in TOP and a not in TOP)
            or (wing(a) and wing(b) and WING_RANK[wing(b)] < WING_RANK[wing(a)])
        ):
            wrong.append((a, b))
    assert wrong == []


def test_no_import_circles() -> None:
    assert list(nx.simple_cycles(import_graph())) == []


def test_executors_do_not_import_the_runner() -> None:
    graph = import_graph()
    for executor in ("rolegraph.run.processes", "rolegraph.run.ray", "rolegraph.run.workers"):
        assert "rolegraph.run.runner" not in graph.successors(executor)


def test_the_api_and_the_wing_share_a_name() -> None:
    import rolegraph
    from rolegraph.run import runner

    assert callable(rolegraph.run) and rolegraph.run.__module__ == "rolegraph.api"
    assert runner.run_scenario.__module__ == "rolegraph.run.runner"
