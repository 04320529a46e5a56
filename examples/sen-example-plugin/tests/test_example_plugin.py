"""How a plugin author tests a plugin: the catalogue sees it, and each component meets the contract."""

from __future__ import annotations

import torch

from sen_core import get_catalogue
from sen_core.network import NetworkOutput
from sen_core.neuron import Tokens, build_neuron


def test_registered_with_provenance():
    """The three components are in the catalogue, attributed to this distribution."""
    cat = get_catalogue()
    for name in ("acme/tinyconv@1", "acme/mean-mix@1", "acme/linear-probe@1"):
        assert cat.get(name).provenance.distribution == "sen-example-plugin"


def test_tinyconv_contract():
    """Output layout matches the spec; FiLM prompts change the output and receive gradients."""
    torch.manual_seed(0)
    neuron = build_neuron("acme/tinyconv@1")
    video = torch.randint(0, 256, (2, 3, 40, 48, 3), dtype=torch.uint8)  # (B, T, H, W, 3)
    out = neuron(video)
    assert isinstance(out, Tokens) and out.x.shape == (2, 3 * 16, 32)
    assert out.layout.grid == (4, 4)
    slot = neuron.prompt_slot()
    assert slot is not None
    prompts = torch.zeros(2, slot.film_size, requires_grad=True)
    prompted = neuron(video, prompts=prompts + 0.5)
    assert not torch.allclose(prompted.x, out.x)
    prompted.x.sum().backward()
    assert prompts.grad is not None and prompts.grad.abs().sum() > 0
    assert all(p.grad is None for p in neuron.parameters())


def test_linear_probe_head():
    """The head's loss backpropagates and its meter computes top-1."""
    from sen_core.catalogue import import_ref

    spec = get_catalogue().get("acme/linear-probe@1")
    head = import_ref(spec.factory)(spec, width=8, num_classes=3)
    out = NetworkOutput(state=torch.randn(4, 2, 8), pooled=torch.randn(4, 8), features={})
    batch = {"label": torch.tensor([0, 1, 2, 0])}
    preds = head(out, batch)
    head.loss(preds, batch).backward()
    meter = head.meter()
    meter.update({"logits": torch.eye(3)[[0, 1, 2, 1]]}, batch)
    assert meter.compute() == {"top1": 0.75}


def test_network_with_the_plugin_block():
    """A whole network from this plugin's three components runs forward and backward; gates start at zero."""
    from sen_core.network import build_network

    torch.manual_seed(0)
    spec = {
        "neurons": [{"name": "acme/tinyconv@1", "key": "frames", "input": "frames"}],
        "anchor": "frames",
        "block": "acme/mean-mix@1",
        "depth": 2,
        "width": 16,
        "attn_heads": 2,
        "heads": [{"name": "acme/linear-probe@1", "params": {"num_classes": 3}}],
    }
    net = build_network(spec)
    batch = {
        "video": torch.randint(0, 256, (2, 2, 32, 32, 3), dtype=torch.uint8),
        "label": torch.tensor([0, 2]),
    }
    out = net(batch)
    losses = net.losses(out, net.run_heads(out, batch), batch)
    losses["total"].backward()
    gates = [p for n, p in net.named_parameters() if "gates" in n]
    assert gates and all(g.grad is not None for g in gates)
    assert len(out.states) == 3  # K + 1 states
