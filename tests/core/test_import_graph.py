"""The import graph of sen_core and the first-party plugins, read from the AST (nothing imported).

Every import counts: module level, inside functions and under ``TYPE_CHECKING``, because each one
is a dependency a reader must follow. The graph must have no cycle; sen_core's packages import
only down the layers that docs/architecture.md tabulates (this file reads that table); a plugin
package may import sen_core but never another plugin package (each plugin must stand alone, like a
third party's), nor the application on top of the framework.
"""

from __future__ import annotations

import ast
import functools
import re
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


@functools.cache
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
    assert "sen_core.config.run_config" in graph["sen_core.config._validate"]


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


ARCHITECTURE = ROOT / "docs" / "architecture.md"


def layers() -> list[tuple[int, str, tuple[str, ...]]]:
    """(layer, package, modules) rows of the table in docs/architecture.md."""
    text = ARCHITECTURE.read_text()
    table = text.split("<!-- layers: read by tests/core/test_import_graph.py -->")[1]
    table = table.split("<!-- /layers -->")[0]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].isdigit():
            rows.append((int(cells[0]), cells[1], tuple(re.findall(r"`([\w.]+)`", cells[2]))))
    return rows


def home(module: str, rows: list[tuple[int, str, tuple[str, ...]]]) -> tuple[int, str] | None:
    """The (layer, package) a sen_core module belongs to: its longest listed prefix."""
    best: tuple[int, int, str] | None = None
    for layer, package, prefixes in rows:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > best[0]
            ):
                best = (len(prefix), layer, package)
    return None if best is None else (best[1], best[2])


def layer_violations(graph: dict[str, set[str]], rows: list) -> list[str]:
    """Imports that climb a layer, or cross to another package of the same layer."""
    bad = []
    for module, targets in sorted(graph.items()):
        if not module.startswith("sen_core") or module == "sen_core":
            continue  # the root face re-exports base and catalogue names
        here = home(module, rows)
        for target in sorted(targets):
            there = home(target, rows) if target.startswith("sen_core") else None
            if here is None or there is None:
                continue
            if there[0] > here[0] or (there[0] == here[0] and there[1] != here[1]):
                bad.append(
                    f"{module} ({here[1]}, layer {here[0]}) imports {target} ({there[1]}, layer {there[0]})"
                )
    return bad


def test_architecture_table_covers_every_module():
    """Every sen_core module belongs to exactly one row of docs/architecture.md's layer table."""
    rows = layers()
    assert [r[0] for r in rows] == sorted(r[0] for r in rows) and len(rows) >= 10
    orphans = [m for m in import_graph() if m.startswith("sen_core.") and home(m, rows) is None]
    assert not orphans, "modules in no layer of docs/architecture.md: " + ", ".join(orphans)


def test_imports_go_down_the_layers():
    """No sen_core module imports from a higher layer or from a sibling package of its layer."""
    bad = layer_violations(import_graph(), layers())
    assert not bad, "imports against docs/architecture.md:\n" + "\n".join(bad)


def test_layer_check_catches_a_climbing_import():
    """The checker flags an import up the stack and a sideways one, and passes a downward one."""
    rows = layers()
    graph = {
        "sen_core.network.builder": {"sen_core.config._validate", "sen_core.neuron.base"},
        "sen_core.neuron.base": {"sen_core.data.video"},
    }
    bad = layer_violations(graph, rows)
    assert len(bad) == 2
    assert bad[0].startswith("sen_core.network.builder (network, layer 3) imports sen_core.config")
    assert bad[1].startswith("sen_core.neuron.base (neuron, layer 2) imports sen_core.data.video")


def test_plugins_never_import_the_application():
    """Plugins build on the framework, never on the app or the CLI above it."""
    bad = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if module.split(".")[0] in PLUGINS and target.startswith(("sen_core.app", "sen_core.cli"))
    )
    assert not bad, "\n".join(bad)


def test_top_level_stays_small():
    """sen_core's top level holds at most 10 modules, none named after an encoder library."""
    names = sorted(p.name for p in (ROOT / "sen_core").glob("*.py"))
    assert len(names) <= 10, names
    assert not [n for n in names if re.search(r"timm|open_clip|transformers|demo|research", n)]
