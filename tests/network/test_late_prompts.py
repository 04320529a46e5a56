"""Late prompts in a network: deep prompt generators, boundary features from the cache, cache ids."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from _network_helpers import make_batch, make_spec

from sen_core.network import build_network
from sen_core.network.block import NeuronInfo
from sen_core.network.prompts import Distributor
from sen_core.network.spec import NetworkSpec
from sen_core.network.step0 import cached_features
from sen_core.neuron import Boundary, PromptSlot
from sen_core.neuron.cache import FeatureCache

VIT = {"model_kwargs": {"img_size": 32, "depth": 3}, "prompt_depth": "deep"}


def _spec(prompt_from: int, depth: int = 2) -> NetworkSpec:
    vit = {
        "name": "timm/vit_tiny_patch16_224",
        "key": "vit",
        "input": "frames",
        "params": {**VIT, "prompt_from": prompt_from},
    }
    return NetworkSpec.model_validate(
        {
            "neurons": [vit],
            "anchor": "vit",
            "depth": depth,
            "width": 32,
            "attn_heads": 2,
            "token_budget": 8,
            "prompt_tokens": 2,
        }
    )


def test_deep_generators_shapes_and_sizes():
    """Both deep modes give (B, depth, M, dim); the shared one has fewer parameters."""
    info = {"v": NeuronInfo("v", 48, "image", "frames", PromptSlot("tokens", dim=48, depth=3))}
    state = torch.randn(2, 5, 32)
    sizes = {}
    for mode in ("shared", "per_layer"):
        torch.manual_seed(0)
        dist = Distributor(32, info, prompt_tokens=4, heads=2, deep=mode)
        assert tuple(dist(state)["v"].shape) == (2, 3, 4, 48)
        sizes[mode] = sum(p.numel() for p in dist.parameters())
    assert sizes["shared"] < sizes["per_layer"] / 2


def test_boundary_from_cache_gives_the_same_output(tmp_path):
    """A late-prompted frozen ViT: cached boundary activations reproduce the uncached forward."""
    torch.manual_seed(0)
    net = build_network(_spec(prompt_from=2)).eval()
    assert net.boundary_of("vit") == 2
    block: Any = net.block  # the block's own prompt generators
    assert block.at(block.distributors, 0).gens["vit"].layers == 0  # one block left: a single set
    batch = make_batch()
    cache = FeatureCache(tmp_path / "c")
    with torch.no_grad():
        want = net(batch)
        feats = cached_features(cache, net, batch)
        assert isinstance(feats["vit"], Boundary) and feats["vit"].hidden is not None
        again = cached_features(cache, net, batch)  # all hits this time
        got = net(batch, again)
        out, preds, losses = net.step(batch, cache)
    assert cache.hits == 4 and cache.misses == 2  # 2 samples: misses once, then hits
    torch.testing.assert_close(got.state, want.state, rtol=0, atol=1e-5)
    torch.testing.assert_close(out.state, want.state, rtol=0, atol=1e-5)
    assert preds == {} and "total" in losses


def test_cache_id_includes_the_boundary():
    """Two prompt boundaries of the same encoder never share cache entries."""
    a, b = build_network(_spec(prompt_from=1)), build_network(_spec(prompt_from=2))
    assert a.neuron_cache_id("vit") != b.neuron_cache_id("vit")
    c = build_network(_spec(prompt_from=1, depth=0))  # not prompted: step 0 is the whole encode
    assert c.boundary_of("vit") is None


def test_backward_reaches_prompts_not_the_frozen_prefix():
    """Training a late-prompted network: the prompt generator gets gradients; the encoder none."""
    torch.manual_seed(0)
    net = build_network(_spec(prompt_from=1))
    net.train()
    out = net(make_batch())
    out.pooled.square().mean().backward()
    block: Any = net.block
    gen = block.at(block.distributors, 0).gens["vit"]
    assert gen.layers == 2 and gen.layer_emb.grad is not None
    assert all(p.grad is None for p in net.neurons["vit"].parameters())


def test_text_boundary_from_cache_gives_the_same_output(tmp_path):
    """A late-prompted BERT reading questions of different lengths: cached boundaries (trimmed,
    re-padded) and re-tokenised ids reproduce the uncached forward."""
    torch.manual_seed(0)
    vit = {
        "name": "timm/vit_tiny_patch16_224",
        "key": "vit",
        "input": "frames",
        "params": {**VIT, "prompt_from": 2},
    }
    bert = {
        "name": "transformers/bert@1",
        "key": "question",
        "input": "question",
        "params": {
            "config": {
                "num_hidden_layers": 2,
                "intermediate_size": 64,
                "hidden_size": 32,
                "num_attention_heads": 2,
            },
            "prompt_from": 1,
        },
    }
    spec = NetworkSpec.model_validate(
        {
            "neurons": [vit, bert],
            "anchor": "vit",
            "depth": 2,
            "width": 32,
            "attn_heads": 2,
            "token_budget": 8,
            "prompt_tokens": 2,
        }
    )
    net = build_network(spec).eval()
    assert net.boundary_of("question") == 1
    batch = make_batch()
    cache = FeatureCache(tmp_path / "c")
    with torch.no_grad():
        want = net(batch)
        net.step(batch, cache)
        out, _, _ = net.step(batch, cache)
    assert cache.hits == 4
    torch.testing.assert_close(out.state, want.state, rtol=0, atol=1e-5)


def test_checkpointing_late_prompts_same_numbers():
    """Activation checkpointing of the prompted suffix gives the same loss and gradients."""
    results = []
    for ckpt in (False, True):
        torch.manual_seed(0)
        spec = _spec(prompt_from=1).model_copy(update={"checkpointing": ckpt})
        net = build_network(spec)
        out = net(make_batch())
        loss = out.pooled.square().mean()
        loss.backward()
        grads = {n: p.grad for n, p in net.named_parameters() if p.grad is not None}
        results.append((loss.detach(), grads))
    (l0, g0), (l1, g1) = results
    assert torch.equal(l0, l1) and g0.keys() == g1.keys() and len(g0) > 0
    for n in g0:
        torch.testing.assert_close(g0[n], g1[n], rtol=1e-5, atol=1e-7, msg=n)


@pytest.mark.slow
def test_compiles(catalogue):
    """torch.compile captures a tiny network, and a late-prompted ViT network, each as one graph
    (fullgraph) with the eager outputs. One test for both: the compiler's warm-up is paid once.

    The aot_eager backend keeps this test to seconds; inductor code generation of the same graph
    works too but takes minutes of C++ compilation on a busy 2-core machine.
    """
    torch.manual_seed(0)
    tiny = build_network(make_spec(neurons=("vit", "vid"), depth=1), catalogue=catalogue).eval()
    torch.manual_seed(0)
    late = build_network(_spec(prompt_from=1)).eval()
    batch = make_batch()
    for net in (tiny, late):
        compiled = torch.compile(net, backend="aot_eager", fullgraph=True)
        with torch.no_grad():
            want, got = net(batch), compiled(batch)
        torch.testing.assert_close(got.state, want.state, rtol=1e-4, atol=1e-5)
