"""Seeded inputs for head checks (public): a random ``NetworkOutput`` and a full-schema batch.

A head is tested without a network: ``make_output`` builds what the network would hand it (state,
pooled state, anchor tokens on a 4x4 grid with a CLS token, projected text features) and
``make_batch`` a batch with every field of the schema of docs/tasks.md. Sizes are module constants.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CA",
    "GRID",
    "B",
    "C",
    "D",
    "H",
    "L",
    "Q",
    "T",
    "W",
    "make_batch",
    "make_network_batch",
    "make_output",
]

B, T, H, W = 2, 4, 32, 32  # clips, frames, frame height and width
D, CA, L, C, Q = 32, 24, 6, 5, 3  # state width, anchor width, state tokens, classes, query points
GRID = (4, 4)  # anchor patch grid per frame (plus one CLS token)


def make_output(b: int = B, t: int = T, seed: int = 0, text: bool = True) -> Any:
    """A random ``NetworkOutput``; the state and anchor tokens are leaves that require grad.

    Args:
        b: batch size; t: frames; seed: the generator's seed.
        text: include caption/question/query (B, D) and class_names (C, D) text features.

    Returns:
        A ``sen_core.network.head.NetworkOutput`` with anchor key ``"anchor"``.
    """
    import torch

    from sen_core.network.head import NetworkOutput
    from sen_core.neuron import Layout, Tokens

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
    """A batch with every field of the schema (video, label, texts, moments, tracks, ...).

    Args:
        b: batch size; t: frames; seed: the generator's seed.

    Returns:
        A dict in the batch schema of docs/tasks.md.
    """
    import torch

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


def make_network_batch(b: int = 2, t: int = 4, seed: int = 0) -> dict[str, Any]:
    """A batch for a network of the kit's toy neurons (``sen_core.testing.toys``).

    Clips of noise around one colour each (uint8 (b, t, 32, 32, 3)), questions and captions of
    different lengths (so text masks pad), three class names and labels.

    Args:
        b: batch size; t: frames; seed: the generator's seed.

    Returns:
        A dict with video, question, caption, class_names and label.
    """
    import torch

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
