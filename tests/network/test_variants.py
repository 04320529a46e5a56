"""Every block variant runs forward and backward on the toy neurons at depth 0 to 3."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from _network_helpers import make_batch, make_spec

from sen_core.network import build_network

RECURSIVE = [
    "sen/ra-cross@1",
    "sen/ra-gated@1",
    "sen/ra-reaction-diffusion@1",
    "sen/ra-memory@1",
    "sen/ra-dynamic-focus@1",
]
CASES = [(b, d) for b in RECURSIVE for d in range(4)] + [("sen/fusion-concat@1", 0)]


@pytest.mark.parametrize("block,depth", CASES)
def test_forward_backward(catalogue, block, depth):
    """Shapes, K + 1 states, finite gradients reaching the adapters and (when prompting) the prompt generators."""
    torch.manual_seed(0)
    net = build_network(
        make_spec(block=block, depth=depth, distill_weight=0.1), catalogue=catalogue
    )
    net.train()
    out = net(make_batch())
    assert out.state.shape == (2, 16, 32)  # 4 frames x (16 // 4) tokens, width 32
    assert out.pooled.shape == (2, 32)
    assert len(out.states) == depth + 1
    assert out.text["question"].shape == (2, 32)
    loss = out.pooled.square().mean() + out.aux_losses["distill"]
    loss.backward()
    grads = {n: p.grad for n, p in net.named_parameters() if p.requires_grad}
    assert all(g is None or torch.isfinite(g).all() for g in grads.values())
    assert grads["adapters.vit.proj.weight"].abs().sum() > 0
    prompt_grads = [g for n, g in grads.items() if ".gens." in n and g is not None]
    if depth > 0:
        assert prompt_grads and sum(float(g.abs().sum()) for g in prompt_grads) > 0
    else:
        assert not prompt_grads
    assert not any(p.requires_grad for p in net.neurons.parameters())  # frozen encoders stay frozen


@pytest.mark.parametrize("depth", [0, 2])
def test_prompted_neurons_are_reencoded(catalogue, depth):
    """Token-prompted neurons' final tokens differ from step 0 only when depth > 0; FiLM starts as identity."""
    torch.manual_seed(0)
    net = build_network(make_spec(depth=depth), catalogue=catalogue).eval()
    batch = make_batch()
    out = net(batch)
    assert sorted(net.prompted) == (["film", "question", "vit"] if depth else [])
    for key in ("vit", "film", "question", "vid"):
        same = torch.equal(out.features[key].x, net.encode_step0(key, batch).x)
        assert same == (depth == 0 or key in ("vid", "film")), key
    if depth:
        block: Any = net.block  # reach into the plugin block's prompt generators
        torch.nn.init.normal_(block.distributors[0].gens["film"].out[-1].bias)
        assert not torch.equal(net(batch).features["film"].x, net.encode_step0("film", batch).x)


def test_prompt_false_entry_is_prompt_free(catalogue):
    """A neuron entry with prompt: false is encoded once even though its encoder is promptable."""
    spec = make_spec()
    neurons = [
        n.model_copy(update={"prompt": False}) if n.id == "film" else n for n in spec.neurons
    ]
    net = build_network(spec.model_copy(update={"neurons": neurons}), catalogue=catalogue)
    assert sorted(net.prompted) == ["question", "vit"]
