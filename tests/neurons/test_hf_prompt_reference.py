"""transformers image neurons against an independent reference at every prompt boundary.

The reference is a fresh Hugging Face model with the neuron's weights (none of SEN's hooks), run by
its own ``forward`` with the prompts written in by a forward pre-hook on layer ``b`` (and, for deep
prompts, replaced before every later layer): what "prompts enter at layer b" means. LayerNorm
weights are perturbed (trained-like), because random-init LayerNorms are nearly idempotent and hid
CLIP's ``pre_layrnorm`` being applied twice by the split (issue 21: 0.2 to 3.4 at every boundary).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from sen_core.neuron import build_neuron

LAYERS = 3


def _perturb_norms(model: nn.Module, seed: int = 5) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.copy_(1 + 0.5 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.5 * torch.randn(m.bias.shape, generator=g))


def _neuron(name: str, b: int, deep: bool) -> Any:
    torch.manual_seed(0)
    n: Any = build_neuron(
        name,
        image_size=64,
        config={"num_hidden_layers": LAYERS, "patch_size": 16},
        prompt_from=b,
        prompt_depth="deep" if deep else "shallow",
    ).eval()
    _perturb_norms(n.model)
    return n


def _reference(n, frames: torch.Tensor, prompts: torch.Tensor | None, b: int) -> torch.Tensor:
    """The HF model's own forward on (B, T, 3, S, S), prompts written in before layer ``b``."""
    ref = type(n.model)(n.model.config).eval()
    missing, unexpected = ref.load_state_dict(n.model.state_dict(), strict=False)
    assert unexpected == [] and all(k.startswith("pooler.") for k in missing), missing
    t = frames.shape[1]
    p = None if prompts is None else prompts.repeat_interleave(t, 0)
    m = 0 if p is None else p.shape[-2]
    layers = ref.encoder.layers if hasattr(ref, "encoder") else ref.layers  # CLIP / ViT

    def hook_for(i: int, p: torch.Tensor):
        def pre(mod, args, kwargs):
            h = args[0] if args else kwargs["hidden_states"]
            cur = p[:, i - b] if p.ndim == 4 else p
            rest = h[:, 1:] if i == b else h[:, 1 + m :]  # insert at b, replace after it
            h = torch.cat([h[:, :1], cur, rest], 1)
            return ((h, *args[1:]), kwargs) if args else (args, {**kwargs, "hidden_states": h})

        return pre

    handles = []
    if p is not None:
        last = len(layers) if p.ndim == 4 else b + 1
        handles = [
            layers[i].register_forward_pre_hook(hook_for(i, p), with_kwargs=True)
            for i in range(b, last)
        ]
    with torch.no_grad():
        h = ref(pixel_values=frames.flatten(0, 1)).last_hidden_state
        h = torch.cat([h[:, :1], h[:, 1 + m :]], 1)
        if getattr(ref, "post_layernorm", None) is not None:
            h = ref.post_layernorm(h)
    for hd in handles:
        hd.remove()
    return h.reshape(frames.shape[0], -1, h.shape[-1])


@pytest.mark.parametrize("deep", [False, True], ids=["shallow", "deep"])
@pytest.mark.parametrize("name", ["transformers/clip-vision@1", "transformers/vit@1"])
def test_split_equals_the_models_own_forward_at_every_boundary(name, deep):
    """At every boundary b: prompt-free suffix == encode == the model; prompted split and prompted
    encode == the model with prompts entering at layer b; all below 1e-5, norms trained-like."""
    g = torch.Generator().manual_seed(0)
    raw = torch.randint(0, 256, (2, 2, 40, 48, 3), generator=g, dtype=torch.uint8)
    for b in range(LAYERS):
        n = _neuron(name, b, deep)
        assert n.prompt_boundaries() == tuple(range(LAYERS))
        slot = n.prompt_slot()
        shape = (2, slot.depth, 3, slot.dim) if deep else (2, 3, slot.dim)
        prompts = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
        x = n.preprocess(raw)
        with torch.no_grad():
            plain = n.encode(x).x
            free = n.encode_suffix(n.encode_prefix(x), None).x
            split = n.encode_suffix(n.encode_prefix(x), prompts).x
            whole = n.encode(x, prompts).x
        want_free, want = _reference(n, x, None, b), _reference(n, x, prompts, b)
        for what, got, ref in (
            ("encode", plain, want_free),
            ("prompt-free suffix", free, want_free),
            ("prompted split", split, want),
            ("prompted encode", whole, want),
        ):
            err = float((got - ref).abs().max())
            assert err < 1e-5, f"{name} {what} at boundary {b}: max abs diff {err:.3g}"
        assert float((want - want_free).abs().max()) > 1e-2  # the prompts matter


def test_issue_reproducer_suffix_equals_encode():
    """The issue's reproducer (prompt_from=1, default init): 0.18 before the fix."""
    torch.manual_seed(0)
    n = build_neuron(
        "transformers/clip-vision@1", image_size=64, config={"num_hidden_layers": 3}, prompt_from=1
    ).eval()
    x = n.preprocess(torch.randint(0, 256, (2, 2, 40, 48, 3), dtype=torch.uint8))
    with torch.no_grad():
        err = (n.encode_suffix(n.encode_prefix(x), None).x - n.encode(x).x).abs().max()
    assert float(err) < 1e-5
