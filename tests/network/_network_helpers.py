"""Helpers for the network tests (a uniquely named module, so test folders never collide):
a catalogue of toy neurons and heads plus the real block plugins, a spec factory, a seeded batch."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))  # so the toys' "module:attr" factories import

import _network_toys

import sen_blocks.plugin
from sen_core.catalogue._plugins import PluginSource, load_catalogue
from sen_core.network.spec import NetworkSpec
from sen_core.testing.batches import make_network_batch


def toy_catalogue(version: str = "1.0"):
    """Toy encoders/heads (distribution 'toys' at ``version``) and the first-party blocks."""
    return load_catalogue(
        sources=[
            PluginSource("toys", lambda: _network_toys, distribution="toys", version=version),
            PluginSource("blocks", lambda: sen_blocks.plugin, distribution="sen", version="0.1.0"),
        ]
    )


NEURONS = {
    "vit": {"name": "toy/vit@1", "key": "vit", "input": "frames"},
    "film": {"name": "toy/film@1", "key": "film", "input": "video"},
    "vid": {"name": "toy/video@1", "key": "vid", "input": "video"},
    "question": {"name": "toy/text@1", "key": "question", "input": "question"},
    "caption": {"name": "toy/text-fixed@1", "key": "caption", "input": "caption"},
    "classes": {"name": "toy/text-fixed@1", "key": "classes", "input": "class_names"},
}


def make_spec(
    neurons: tuple[str, ...] = ("vit", "film", "vid", "question"), **kw: Any
) -> NetworkSpec:
    """A small spec: width 32, 2 heads, token budget 16, 2 prompt tokens; ``kw`` overrides."""
    data: dict[str, Any] = {
        "neurons": [NEURONS[n] for n in neurons],
        "anchor": "vit",
        "block": "sen/ra-cross@1",
        "depth": 2,
        "width": 32,
        "attn_heads": 2,
        "token_budget": 16,
        "prompt_tokens": 2,
    }
    data.update(kw)
    return NetworkSpec.model_validate(data)


make_batch = make_network_batch  # the kit's seeded toy-network batch, one definition
