"""Packaging guards: every package folder ships in the wheel, and no top-level name collides."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the checks need no other parser

ROOT = Path(__file__).resolve().parents[2]


def _config():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _package_dirs() -> dict[str, Path]:
    tool = _config()["tool"]["setuptools"]
    dirs = {name: ROOT / name for name in tool["packages"] if name.startswith("sen_core")}
    for name, rel in _config()["tool"]["setuptools"]["package-dir"].items():
        dirs[name] = ROOT / rel
    return dirs


def test_every_package_folder_is_listed():
    """A folder with __init__.py under sen_core/, plugins/ or registry/ must be in tool.setuptools.packages."""
    listed = set(_config()["tool"]["setuptools"]["packages"])
    found = set()
    for base, prefix in ((ROOT / "sen_core", "sen_core"), (ROOT / "registry", "sen_registry")):
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base).parts
            found.add(".".join((prefix, *rel)))
    for init in (ROOT / "plugins").rglob("__init__.py"):
        found.add(".".join(init.parent.relative_to(ROOT / "plugins").parts))
    found = {f for f in found if "__pycache__" not in f}
    assert found - listed == set(), (
        f"add these to [tool.setuptools] packages: {sorted(found - listed)}"
    )


def test_entry_points_name_existing_modules():
    """Each first-party entry point of group 'sen' points at a module file in the tree."""
    eps = _config()["project"]["entry-points"]["sen"]
    dirs = _package_dirs()
    for name, target in eps.items():
        top, *rest = target.split(".")
        path = dirs[top].joinpath(*rest)
        assert path.with_suffix(".py").exists() or (path / "__init__.py").exists(), (
            f"{name} -> {target}"
        )


def test_no_top_level_registry_or_plugins_package():
    """'registry' and 'plugins' must never become importable top-level names."""
    listed = set(_config()["tool"]["setuptools"]["packages"])
    assert not {"registry", "plugins"} & {p.split(".")[0] for p in listed}
