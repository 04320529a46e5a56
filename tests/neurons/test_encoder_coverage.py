"""benchmarks/encoder_coverage.py on a fixed sample of timm modules: each builds, encodes and takes
prompts through the slot its spec declares (shapes on the meta device).

The sample holds every module whose spec declares token prompting and FiLM modules of each
architecture kind (residual conv, depthwise conv, windowed attention, hybrid, MLP-mixer, pyramid
ViT). The exhaustive screen -- the smallest name of every timm module, about 50 s -- is a benchmark,
not a test: ``.venv/bin/python benchmarks/encoder_coverage.py --one-per-module``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "encoder_coverage.py"

# timm modules screened in the suite (the smallest name of each, as --one-per-module picks it)
SAMPLE_MODULES = (
    "beit",
    "deit",
    "eva",
    "vision_transformer",
    "vision_transformer_hybrid",
    "resnet",
    "convnext",
    "efficientnet",
    "swin_transformer",
    "mlp_mixer",
    "pvt_v2",
    "levit",
)


@pytest.fixture(scope="module")
def coverage():
    spec = importlib.util.spec_from_file_location("encoder_coverage", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_sampled_timm_modules_work_as_declared(coverage, capsys):
    """The smallest-named model of each sampled module: 0 fail at first use; the table says so."""
    from sen_core.catalogue import get_catalogue
    from sen_timm.family import model_module

    names = [
        n
        for n in coverage.timm_names(None, one_per_module=True)
        if model_module(n.split("/", 1)[1]) in SAMPLE_MODULES
    ]
    assert sorted(model_module(n.split("/", 1)[1]) for n in names) == sorted(SAMPLE_MODULES)
    kinds = {get_catalogue().get(n, kind="encoder").prompting for n in names}
    assert kinds == {"tokens", "film"}
    assert coverage.main(["--names", *names]) == 0
    out = capsys.readouterr().out
    assert f"0 of {len(names)} listed names fail at first use" in out
    total = next(line for line in out.splitlines() if line.startswith("TOTAL")).split()
    assert total[1:4] == [str(len(names))] * 3  # names, builds, encodes


def test_one_per_module_lists_every_timm_module(coverage):
    """--one-per-module (the benchmark's exhaustive screen) picks exactly one name per module."""
    from sen_timm.family import list_names, model_module

    names = coverage.timm_names(None, one_per_module=True)
    modules = {model_module(n.split("/", 1)[1]) for n in list_names()}
    assert len(names) == len(modules) >= 90
    assert {model_module(n.split("/", 1)[1]) for n in names} == modules


def test_a_failure_is_counted_with_its_reason(coverage):
    """A name that cannot be resolved is a failing row with the reason, and the exit status is 1."""
    res = coverage.screen("timm/no_such_model_xyz")
    assert res.failure.startswith("resolve: UnknownNameError")
    assert coverage.failing(res)
    assert "1 of 1 listed names fail at first use" in coverage.table([res])
