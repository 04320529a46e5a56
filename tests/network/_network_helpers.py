"""Helpers for the network tests (a uniquely named module, so test folders never collide):
a catalogue of toy neurons and heads plus the real block plugins, a spec factory, a seeded batch."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).parent))  # so the toys' "module:attr" factories import

import _network_toys

import sen_blocks.plugin
from sen_core._plugins import PluginSource, load_catalogue
from sen_core.network_spec import NetworkSpec


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


def make_batch(b: int = 2, t: int = 4, seed: int = 0) -> dict[str, Any]:
    """Clips of noise around one colour each, distinct questions and captions, 3 class names."""
    g = torch.Generator().manual_seed(seed)
    noise = torch.randint(0, 64, (b, t, 32, 32, 3), generator=g)
    colour = torch.randint(0, 192, (b, 1, 1, 1, 3), generator=g)
    return {
        "video": (noise + colour).to(torch.uint8),
        "question": (
            ["what is red", "where does the ball go"]
            + [f"question number {i}" for i in range(2, b)]
        )[:b],
        "caption": (
            ["a red ball", "a blue cube rolls left"] + [f"caption number {i}" for i in range(2, b)]
        )[:b],
        "class_names": ["ball", "cube", "red cone"],
        "label": torch.arange(b) % 3,
    }
