"""Helpers for the head tests: a random NetworkOutput built directly (no network builder), a batch
in the dataset schema of docs/tasks.md, and a head builder that applies the spec defaults."""

from __future__ import annotations

from typing import Any

import torch

from sen_core.catalogue import import_ref
from sen_core.head import NetworkOutput
from sen_core.neuron import Layout, Tokens
from sen_heads.plugin import HEADS

B, T, H, W = 2, 4, 32, 32
D, CA, L, C, Q = 32, 24, 6, 5, 3
GRID = (4, 4)
SPECS = {s.name: s for s in HEADS}


def make_output(b: int = B, t: int = T, seed: int = 0, text: bool = True) -> NetworkOutput:
    """A random NetworkOutput; state and anchor tokens are leaves that require grad."""
    g = torch.Generator().manual_seed(seed)
    layout = Layout(
        kind="frames", frames=t, tokens_per_frame=1 + GRID[0] * GRID[1], grid=GRID, special_tokens=1
    )
    anchor = torch.randn(b, layout.num_tokens, CA, generator=g).requires_grad_()
    state = torch.randn(b, L, D, generator=g).requires_grad_()
    texts = {}
    if text:
        texts = {k: torch.randn(b, D, generator=g) for k in ("caption", "question", "query")}
        texts["class_names"] = torch.randn(C, D, generator=g)
    return NetworkOutput(
        state=state,
        pooled=state.mean(1),
        features={"anchor": Tokens(anchor, layout)},
        text=texts,
        anchor="anchor",
    )


def make_batch(b: int = B, t: int = T, seed: int = 0) -> dict[str, Any]:
    """A batch with every field of the schema."""
    g = torch.Generator().manual_seed(seed)
    tracks = torch.rand(b, Q, t, 2, generator=g) * torch.tensor([W, H])
    qt = torch.randint(0, t, (b, Q), generator=g)
    query_points = torch.cat(
        [qt[..., None].float(), tracks[torch.arange(b)[:, None], torch.arange(Q)[None], qt]], -1
    )
    visible = torch.rand(b, Q, t, generator=g) > 0.3
    return {
        "video": torch.randint(0, 256, (b, t, H, W, 3), generator=g, dtype=torch.uint8),
        "label": torch.randint(0, C, (b,), generator=g),
        "class_names": [f"class {i}" for i in range(C)],
        "caption": [f"caption {i}" for i in range(b)],
        "question": ["what moves?"] * b,
        "query": ["a red square"] * b,
        "answer": ["square"] * b,
        "moments": [
            torch.tensor([[0.1, 0.4]]) if i % 2 == 0 else torch.tensor([[0.0, 0.25], [0.5, 1.0]])
            for i in range(b)
        ],
        "saliency": (torch.rand(b, t, generator=g) > 0.5).float(),
        "tracks": tracks,
        "visible": visible,
        "query_points": query_points,
        "fps": 8.0,
    }


def build_head(name: str, width: int = D, **params: Any):
    """Build a registered head the way the network does: spec defaults, then ``params``."""
    spec = SPECS[name]
    torch.manual_seed(0)
    return import_ref(spec.factory)(spec, width=width, **{**spec.params, **params})
