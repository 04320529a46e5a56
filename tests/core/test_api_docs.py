"""The API reference stays true: every public name a plugin author touches has a docstring (with
an ``Args:`` section wherever it takes arguments) and is listed in docs/api.md."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[2] / "docs" / "api.md"
# the faces a plugin imports from (docs/architecture.md): one section of docs/api.md each
MODULES = (
    "sen_core",
    "sen_core.specs",
    "sen_core.hookspecs",
    "sen_core.errors",
    "sen_core.params",
    "sen_core.neuron",
    "sen_core.neuron.prompting.timm_models",
    "sen_core.network",
    "sen_core.data",
    "sen_core.testing",
    "sen_core.testing.toys",
    "sen_core.testing.batches",
)
ROOT = Path(__file__).parents[2]


def _takes_args(fn: object) -> bool:
    if not callable(fn):
        return False
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return any(p not in ("self", "cls") for p in sig.parameters)


def _own_methods(cls: type) -> list[tuple[str, object]]:
    """Public functions and properties the class itself defines (not pydantic or nn.Module's)."""
    out: list[tuple[str, object]] = []
    for name, value in vars(cls).items():
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if inspect.isfunction(value) or isinstance(value, property):
            out.append((name, value))
    return out


def _problems(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        return [f"{module_name}: no __all__"]
    problems = []
    for name in names:
        obj = getattr(module, name)
        where = f"{module_name}.{name}"
        if not (inspect.isclass(obj) or inspect.isfunction(obj)) or name == "hookimpl":
            continue  # a constant (or pluggy's marker): listed in docs/api.md, documented there
        doc = inspect.getdoc(obj) or ""
        if not doc.strip():
            problems.append(f"{where}: no docstring")
            continue
        if inspect.isfunction(obj) and _takes_args(obj) and "Args:" not in doc:
            problems.append(f"{where}: docstring has no Args: section")
        if not inspect.isclass(obj):
            continue
        for mname, member in _own_methods(obj):
            mdoc = inspect.getdoc(getattr(obj, mname)) or ""
            if mname == "__init__":
                ctor = dataclasses.is_dataclass(obj) or _takes_args(member)
                if ctor and not ("Args:" in doc or "Attributes:" in doc):
                    problems.append(f"{where}: class docstring has no Args:/Attributes: section")
            elif not mdoc.strip():
                problems.append(f"{where}.{mname}: no docstring")
            elif (
                not isinstance(member, property)
                and _takes_args(member)
                and "Args:" not in mdoc
                and (len(mdoc.splitlines()) > 1 or "->" not in mdoc)  # "(B, N, D) -> ..." suffices
            ):
                problems.append(f"{where}.{mname}: docstring has no Args: section")
    return problems


def _sections(text: str) -> dict[str, str]:
    """docs/api.md split at its "## `module`" headings."""
    parts = re.split(r"^## `([\w.]+)`\s*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("module_name", MODULES)
def test_public_names_have_docstrings(module_name):
    """Every name in __all__ (and each public method of its classes) is documented with Args."""
    problems = _problems(module_name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module_name", MODULES)
def test_public_names_are_in_api_md(module_name):
    """docs/api.md has a section per module naming every name of its __all__."""
    sections = _sections(DOC.read_text())
    assert module_name in sections, f"docs/api.md: no section '## `{module_name}`'"
    body = sections[module_name]
    names = importlib.import_module(module_name).__all__
    missing = [n for n in names if not re.search(rf"`{re.escape(n)}\b", body)]
    assert not missing, f"docs/api.md, section {module_name}: missing {missing}"


def test_no_stale_sections():
    """Every module section of docs/api.md is one this test checks."""
    assert set(_sections(DOC.read_text())) <= set(MODULES)


def _plugin_imports() -> list[tuple[str, str, str]]:
    """(file, module, name) of every ``from sen_core... import name`` in plugins/ and examples/."""
    import ast

    found = []
    for folder in ("plugins", "examples"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "tests" in path.relative_to(ROOT).parts[1:]:
                continue  # a plugin's own tests may reach into the kit's internals
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sen_core"):
                    for alias in node.names:
                        found.append((str(path.relative_to(ROOT)), node.module or "", alias.name))
    return found


def test_plugins_import_only_documented_names():
    """Every sen_core name a plugin imports is in a face's __all__ and in docs/api.md."""
    sections = _sections(DOC.read_text())
    bad = []
    for path, module, name in _plugin_imports():
        if module not in MODULES:
            bad.append(f"{path}: imports from {module}, which is not a face in docs/api.md")
        elif name not in importlib.import_module(module).__all__:
            bad.append(f"{path}: {module}.{name} is not in its __all__")
        elif not re.search(rf"`{re.escape(name)}\b", sections[module]):
            bad.append(f"{path}: {module}.{name} is not in docs/api.md")
    assert not bad, "\n".join(bad)
    assert len(_plugin_imports()) > 50  # the scan sees the first-party plugins
