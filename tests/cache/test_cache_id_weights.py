"""A neuron's cache id covers its actual weights (issue 21.2).

A random-init encoder (``timm/<name>`` without a checkpoint) gets its weights from the seed: two
seeds of a sweep must not share feature-cache entries. The id holds a fingerprint of the state
dict, computed once per neuron and recomputed when a tensor changes in place.
"""

from __future__ import annotations

import torch

from sen_core.network import build_network
from sen_core.network.spec import NetworkSpec
from sen_core.neuron.cache import FeatureCache
from sen_core.testing.batches import make_network_batch

VIT = {"model_kwargs": {"img_size": 32, "depth": 1}}


def _net(seed: int):
    spec = NetworkSpec.model_validate(
        {
            "neurons": [
                {
                    "name": "timm/vit_tiny_patch16_224",
                    "key": "vit",
                    "input": "frames",
                    "params": VIT,
                }
            ],
            "anchor": "vit",
            "depth": 1,
            "width": 32,
            "attn_heads": 2,
            "token_budget": 8,
            "prompt_tokens": 2,
        }
    )
    torch.manual_seed(seed)
    return build_network(spec).eval()


def test_two_seeds_of_a_random_init_encoder_get_two_cache_ids(tmp_path):
    """Seeds 0 and 1 -> different ids; seed 1 reading a cache seed 0 filled equals seed 1 uncached."""
    a, b, a2 = _net(0), _net(1), _net(0)
    assert a.neuron_cache_id("vit") != b.neuron_cache_id("vit")
    assert a.neuron_cache_id("vit") == a2.neuron_cache_id("vit")  # same seed, same weights
    batch = make_network_batch()
    cache = FeatureCache(tmp_path)
    with torch.no_grad():
        a.step(batch, cache)  # fills the cache with seed 0's tokens
        cached, _, _ = b.step(batch, cache)
        plain = b(batch)
    assert cache.hits == 0
    assert float((cached.state - plain.state).abs().max()) < 1e-6


def test_fingerprint_follows_in_place_changes():
    """Loading other weights into a built neuron changes its id; the digest is memoised until then."""
    net = _net(0)
    neuron = net.neurons["vit"]
    before = net.neuron_cache_id("vit")
    assert neuron.weights_fingerprint() is neuron.weights_fingerprint()  # kept, not recomputed
    other = _net(1).neurons["vit"].state_dict()
    neuron.load_state_dict(other)
    assert net.neuron_cache_id("vit") != before
    assert neuron.weights_fingerprint() == _net(1).neurons["vit"].weights_fingerprint()
