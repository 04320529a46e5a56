"""The complete block example of docs/network.md ("How to write a new block") works as written."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import _network_toys
import pytest
import torch
from _network_helpers import make_batch, make_spec

from sen_core.catalogue._plugins import PluginSource, load_catalogue
from sen_core.errors import ConfigError
from sen_core.network import build_network

DOC = Path(__file__).resolve().parents[2] / "docs" / "network.md"


@pytest.fixture
def doc_catalogue(monkeypatch):
    """Load the doc's two code blocks as the modules acme_blocks.ra_pool and acme_blocks.plugin."""
    text = DOC.read_text().split("## How to write a new block", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    pkg = types.ModuleType("acme_blocks")
    pkg.__path__ = []
    monkeypatch.setitem(sys.modules, "acme_blocks", pkg)
    mods = {}
    for name, code in zip(("ra_pool", "plugin"), blocks, strict=True):
        mod = types.ModuleType(f"acme_blocks.{name}")
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
        exec(compile(code, f"docs/network.md:{name}", "exec"), mod.__dict__)
        mods[name] = mod
    return load_catalogue(
        sources=[
            PluginSource("toys", lambda: _network_toys),
            PluginSource("acme_blocks", lambda: mods["plugin"]),
        ]
    )


@pytest.mark.parametrize("depth,share", [(0, True), (2, True), (2, False)])
def test_doc_block_runs(doc_catalogue, depth, share):
    """The example block builds, runs forward and backward, and prompts the promptable neurons."""
    torch.manual_seed(0)
    spec = make_spec(
        block="acme/ra-pool@1", depth=depth, share_weights=share, block_params={"scale": 0.5}
    )
    net = build_network(spec, catalogue=doc_catalogue)
    out = net(make_batch())
    assert out.state.shape == (2, 16, 32) and len(out.states) == depth + 1
    out.pooled.square().mean().backward()
    block: Any = net.block  # the doc block's own per-step mixes
    assert len(block.mixes) == (1 if share else depth + 1)


def test_doc_block_check_params(doc_catalogue):
    """The message quoted in the doc."""
    with pytest.raises(ConfigError) as info:
        build_network(
            make_spec(block="acme/ra-pool@1", block_params={"scale": 0}), catalogue=doc_catalogue
        )
    assert info.value.problems == ["model.block_params.scale: must be > 0, got 0"]
