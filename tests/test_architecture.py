"""The layout tells the architecture: tests that fail when it stops doing so."""

from __future__ import annotations

import ast
from pathlib import Path

HUB = Path(__file__).resolve().parents[1] / "hub"


def module_name(path: Path) -> str:
    parts = path.relative_to(HUB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _under_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The hub modules ``path`` imports when it runs: at module level or
    inside a function (an import put in a function to dodge a cycle is
    still a cycle), not those under ``if TYPE_CHECKING:``, which never run."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _under_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # ``from hub.services import outbox`` imports the module hub.services.outbox
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name in modules}


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in HUB.rglob("*.py")}
    modules = set(paths)
    return {name: imported_modules(path, modules) - {name} for name, path in paths.items()}


def cycles_among(graph: dict[str, set[str]], prefix: str) -> list[tuple[list[str], list[str]]]:
    """Each strongly connected group of more than one module whose names
    start with ``prefix`` (Tarjan's algorithm): one cycle through it, and
    every module caught in it."""
    nodes = sorted(name for name in graph if name.startswith(prefix))
    edges = {name: sorted(n for n in graph[name] if n.startswith(prefix)) for name in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in nodes:
        if node not in index:
            connect(node)
    return [(_one_cycle(edges, set(group)), group) for group in groups]


def _one_cycle(edges: dict[str, list[str]], group: set[str]) -> list[str]:
    """A shortest cycle through the first module of ``group`` (a breadth-first search)."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in edges[node]:
            if target == start:
                return [*paths[node], start]
            if target in group and target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    return sorted(group)


def test_services_have_no_import_cycle() -> None:
    """No module of hub.services imports, even inside a function, a module
    that imports it back: a service that needs its caller's work takes a
    callable, and the worker (hub.services.worker) runs every loop."""
    cycles = cycles_among(import_graph(), "hub.services.")
    assert not cycles, "import cycles among hub.services: " + "; ".join(
        f"{' -> '.join(cycle)} (modules caught in it: {', '.join(group)})" for cycle, group in cycles
    )


def test_the_cycle_check_sees_a_cycle() -> None:
    graph = {"hub.services.a": {"hub.services.b"}, "hub.services.b": {"hub.services.a"}, "hub.services.c": set()}
    assert cycles_among(graph, "hub.services.") == [
        (["hub.services.a", "hub.services.b", "hub.services.a"], ["hub.services.a", "hub.services.b"])
    ]
