"""benchmarks/encoder_coverage.py on one name per timm module: every one builds, encodes and takes
prompts through the slot its spec declares (shapes on the meta device)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "encoder_coverage.py"


@pytest.fixture(scope="module")
def coverage():
    spec = importlib.util.spec_from_file_location("encoder_coverage", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_one_name_per_timm_module_works_as_declared(coverage, capsys):
    """The smallest-named model of each timm module: 0 fail at first use; the table says so."""
    from sen_timm.family import list_names, model_module

    names = coverage.timm_names(None, one_per_module=True)
    modules = {model_module(n.split("/", 1)[1]) for n in list_names()}
    assert len(names) == len(modules) >= 90
    assert coverage.main(["--names", *names]) == 0
    out = capsys.readouterr().out
    assert f"0 of {len(names)} listed names fail at first use" in out
    total = next(line for line in out.splitlines() if line.startswith("TOTAL")).split()
    assert total[1:4] == [str(len(names))] * 3  # names, builds, encodes


def test_a_failure_is_counted_with_its_reason(coverage):
    """A name that cannot be resolved is a failing row with the reason, and the exit status is 1."""
    res = coverage.screen("timm/no_such_model_xyz")
    assert res.failure.startswith("resolve: UnknownNameError")
    assert coverage.failing(res)
    assert "1 of 1 listed names fail at first use" in coverage.table([res])
