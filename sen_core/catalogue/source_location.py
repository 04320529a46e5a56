"""From a name to its code: the file and line a ``"module:attr"`` reference points at.

``sen show`` uses this to print where a component is implemented. The module is found with
``importlib.util.find_spec`` and the line read from its AST, so nothing is imported beyond the
parent packages (which, by the plugin rules, import no heavy library).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

__all__ = ["locate_ref", "package_file"]


def _module_file(module: str) -> Path | None:
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if found is None or not found.origin or not found.origin.endswith(".py"):
        return None
    return Path(found.origin)


def _define_line(body: list[ast.stmt], name: str) -> tuple[int, ast.stmt] | None:
    """The line where ``name`` is bound at this level (def, class, assignment or import)."""
    hit: tuple[int, ast.stmt] | None = None
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                hit = (node.lineno, node)
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                hit = (node.lineno, node)
        elif isinstance(node, ast.AnnAssign):
            if isinstance(node.target, ast.Name) and node.target.id == name:
                hit = (node.lineno, node)
        elif isinstance(node, ast.ImportFrom) and any(
            (a.asname or a.name) == name for a in node.names
        ):
            hit = (node.lineno, node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            # a lazy package face names its exports in an ``if TYPE_CHECKING:`` import block
            inner = _define_line(node.body, name)
            if inner is not None and hit is None:
                hit = inner
    return hit


def _resolve_from(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` inside ``module`` (a package's __init__?) reads from."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    parts = parts[: len(parts) - node.level + (1 if is_package else 0)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def locate_ref(ref: str, _hops: int = 3) -> str | None:
    """``'pkg.mod:Class.method'`` -> ``'/abs/path/pkg/mod.py:LINE'``, or None when not found.

    A name that the module only re-imports (``from .impl import build``) is followed to the
    module that defines it (a few hops at most).
    """
    module, _, attr = ref.partition(":")
    path = _module_file(module)
    if path is None:
        return None
    if not attr:
        return f"{path}:1"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError):
        return f"{path}:1"
    body: list[ast.stmt] = tree.body
    line = 1
    for i, part in enumerate(attr.split(".")):
        hit = _define_line(body, part)
        if hit is None:
            return f"{path}:{line}"
        line, node = hit
        if isinstance(node, ast.ImportFrom) and _hops > 0:
            source = next(a.name for a in node.names if (a.asname or a.name) == part)
            rest = ".".join([source, *attr.split(".")[i + 1 :]])
            return locate_ref(
                f"{_resolve_from(module, path.name == '__init__.py', node)}:{rest}", _hops - 1
            ) or (f"{path}:{line}")
        body = node.body if isinstance(node, ast.ClassDef) else []
    return f"{path}:{line}"


def package_file(resource: str) -> str | None:
    """``'package:relative/path.yaml'`` -> the absolute path of that file, or None."""
    package, _, relative = resource.partition(":")
    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    for root in found.submodule_search_locations:
        candidate = Path(root) / relative
        if candidate.is_file():
            return str(candidate)
    return None
