"""SEN's own components through the public conformance kit (sen_core.testing): one mechanism.

Every installed encoder, dataset and preset gets the kit's checks with its defaults; each
``cases_*.py`` here adds cases (``CASES: list[tuple[name, params]]``, e.g. dynamic-family samples).
Added cases never replace a default one.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent


def _case_files() -> tuple[list[tuple[str, dict[str, Any]]], dict[str, str]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    broken: dict[str, str] = {}
    for path in sorted(HERE.glob("cases_*.py")):
        try:
            spec = importlib.util.spec_from_file_location(f"_sen_conformance_{path.stem}", path)
            assert spec is not None and spec.loader is not None, path
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            cases += [(n, dict(p)) for n, p in module.CASES]
        except Exception as exc:
            broken[path.name] = f"{type(exc).__name__}: {exc}"
    return cases, broken


CASES, BROKEN = _case_files()


@pytest.mark.sen_conformance(cases=CASES)
def test_conformance(sen_check):
    """One kit check on one component (ids: name-check)."""
    sen_check()


@pytest.mark.parametrize("fname", sorted(BROKEN) or ["(none)"])
def test_case_files_import(fname):
    """Every cases_*.py imports (a broken one would otherwise drop its cases silently)."""
    assert fname not in BROKEN, BROKEN.get(fname)
