"""Efficiency: prompt-free neurons run once, cached step-0 features skip encoders, activation
checkpointing changes nothing numerically, and a tiny network compiles."""

from __future__ import annotations

import pytest
import torch
from _network_helpers import make_batch, make_spec

from sen_core.errors import InputError
from sen_core.network import build_network


def _count_encodes(net) -> dict[str, int]:
    calls = dict.fromkeys(net.neurons, 0)
    for key, neuron in net.neurons.items():

        def counted(*args, _orig=neuron.encode, _key=key, **kw):
            calls[_key] += 1
            return _orig(*args, **kw)

        neuron.encode = counted
    return calls


def test_encodes_per_forward(catalogue):
    """Prompt-free neurons encode once; prompted ones once plus once per step."""
    net = build_network(make_spec(depth=3), catalogue=catalogue)
    calls = _count_encodes(net)
    net(make_batch())
    assert calls == {"vit": 4, "film": 4, "vid": 1, "question": 4}


def test_cached_features_skip_step0(catalogue):
    """Passing step-0 features skips those encoders and gives the same output."""
    torch.manual_seed(0)
    net = build_network(make_spec(depth=2), catalogue=catalogue).eval()
    batch = make_batch()
    with torch.no_grad():
        features = {k: net.encode_step0(k, batch) for k in net.neurons}
        want = net(batch)
        calls = _count_encodes(net)
        got = net(batch, features=features)
    assert calls == {"vit": 2, "film": 2, "vid": 0, "question": 2}
    assert torch.equal(got.state, want.state)
    assert net.cacheable("vit") and len(net.neuron_cache_id("vit")) == 16


def test_cache_ids(catalogue):
    """The cache id follows the encoder and its params, not the rest of the network."""
    a = build_network(make_spec(depth=2), catalogue=catalogue)
    b = build_network(make_spec(depth=0, block="sen/ra-memory@1"), catalogue=catalogue)
    assert a.neuron_cache_id("vit") == b.neuron_cache_id("vit")
    assert a.neuron_cache_id("vit") != a.neuron_cache_id("film")
    spec = make_spec()
    vit = spec.neurons[0].model_copy(update={"params": {"tokens_per_frame": "cls"}})
    c = build_network(
        spec.model_copy(update={"neurons": [vit, *spec.neurons[1:]]}), catalogue=catalogue
    )
    assert c.neuron_cache_id("vit") != a.neuron_cache_id("vit")


def test_bad_features_are_refused(catalogue):
    """Wrong-width or unknown cached features raise InputError naming the neuron."""
    net = build_network(make_spec(), catalogue=catalogue)
    batch = make_batch()
    feats = {"vid": net.encode_step0("film", batch)}
    with pytest.raises(
        InputError,
        match=r"features\['vid'\] has width 16; neuron 'vid' \(toy/video@1\) outputs width 24",
    ):
        net(batch, features=feats)
    with pytest.raises(InputError, match=r"features for unknown neuron\(s\) \['nope'\]"):
        net(batch, features={"nope": feats["vid"]})


def test_missing_batch_field(catalogue):
    """A batch without the field a neuron reads names the field and the neuron."""
    net = build_network(make_spec(), catalogue=catalogue)
    batch = make_batch()
    del batch["question"]
    with pytest.raises(
        InputError, match="the batch has no 'question', which neuron 'question' reads"
    ):
        net(batch)


def test_checkpointing_same_numbers(catalogue):
    """Activation checkpointing through re-encoded neurons gives the same loss and gradients."""
    batch = make_batch()
    results = []
    for ckpt in (False, True):
        torch.manual_seed(0)
        net = build_network(
            make_spec(depth=2, checkpointing=ckpt, distill_weight=0.5), catalogue=catalogue
        )
        out = net(batch)
        loss = out.pooled.square().mean() + out.aux_losses["distill"]
        loss.backward()
        results.append(
            (loss.detach(), {n: p.grad for n, p in net.named_parameters() if p.grad is not None})
        )
    (l0, g0), (l1, g1) = results
    assert torch.equal(l0, l1)
    assert g0.keys() == g1.keys()
    for n in g0:
        torch.testing.assert_close(g0[n], g1[n], rtol=1e-5, atol=1e-7, msg=n)


# torch.compile of a tiny network: tests/network/test_late_prompts.py::test_compiles (one test
# compiles both networks, so that one process pays the compiler warm-up)
