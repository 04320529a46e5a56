"""The import graph of sen_core and the first-party plugins, read from the AST (nothing imported).

Every import counts: module level, inside functions and under ``TYPE_CHECKING``, because each one
is a dependency a reader must follow. The graph must have no cycle, and a plugin package may
import sen_core but never another plugin package (each plugin must stand alone, like a third
party's).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").is_file())
PACKAGES = {"sen_core": ROOT / "sen_core"} | {name: ROOT / "plugins" / name for name in PLUGINS}


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every first-party module."""
    found: dict[str, Path] = {}
    for top, directory in PACKAGES.items():
        for path in directory.rglob("*.py"):
            parts = [top, *path.relative_to(directory).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _targets(
    module: str, path: Path, node: ast.Import | ast.ImportFrom, known: set[str]
) -> set[str]:
    """The first-party modules one import statement reaches."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            anchor = package[: len(package) - node.level + 1]
            base = ".".join([*anchor, *([base] if base else [])])
        # `from pkg import sub` imports the submodule pkg.sub when there is one, else a name of pkg
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    hits = set()
    for name in names:
        while name and name not in known:  # `import a.b.c` of a name inside a module
            name = name.rpartition(".")[0]
        if name and name != module:
            hits.add(name)
    return hits


def import_graph() -> dict[str, set[str]]:
    """Module -> the first-party modules it imports."""
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= _targets(module, path, node, known)
        graph[module] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path [a, b, ..., a], or None (iterative DFS, white/grey/black)."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = todo.pop()
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(graph.get(nxt, ()))))
    return None


def test_graph_covers_core_and_every_plugin() -> None:
    """The graph reads sen_core and the six first-party plugin packages."""
    graph = import_graph()
    assert {m.split(".")[0] for m in graph} == {"sen_core", *PLUGINS}
    assert len(PLUGINS) == 6
    assert "sen_core.run_config" in graph["sen_core.config._validate"]


def test_no_import_cycle() -> None:
    """No chain of imports leads from a module back to itself."""
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_find_cycle_reports_a_cycle() -> None:
    """The cycle finder itself sees a three-module cycle and returns it closed."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_plugin_imports_another_plugin() -> None:
    """A plugin package imports sen_core and itself only."""
    bad = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if module.split(".")[0] in PLUGINS
        and target.split(".")[0] in PLUGINS
        and target.split(".")[0] != module.split(".")[0]
    )
    assert not bad, "a plugin imports another plugin:\n" + "\n".join(bad)
