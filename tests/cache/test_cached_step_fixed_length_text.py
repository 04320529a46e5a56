"""Issue 21.5 as reported: an open_clip text tower (context 77) at the default token_budget (64).

The cache re-pads text to the batch's longest sample (77 -> a few tokens); the adapter now pools
valid tokens only, so the cached step equals the uncached one (it differed by 0.03-0.05).
"""

from __future__ import annotations

import json

import torch

from sen_core.network import build_network
from sen_core.network.spec import NetworkSpec
from sen_core.neuron.cache import FeatureCache
from sen_core.testing.batches import make_network_batch
from sen_core.testing.toys import toy_catalogue


def test_open_clip_text_77_cached_step_equals_uncached(tmp_path):
    import open_clip

    from sen_core.catalogue import get_catalogue
    from sen_open_clip.configs import TINY_CONFIGS

    cfg = json.loads(json.dumps(TINY_CONFIGS["sen-tiny-vit"]))
    cfg["text_cfg"]["context_length"] = 77  # CLIP's own
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "sen-test-ctx77.json").write_text(json.dumps(cfg))
    open_clip.add_model_config(tmp_path / "cfg")
    cat = get_catalogue()
    text = cat.get("open_clip/sen-test-ctx77/text", kind="encoder")
    block = cat.get(NetworkSpec.model_fields["block"].default, kind="block")
    spec = NetworkSpec.model_validate(
        {
            "neurons": [
                {"name": "toy/vit@1", "key": "vit", "input": "frames"},
                {"name": text.name, "key": "q", "input": "question"},
            ],
            "anchor": "vit",
            "depth": 1,
            "width": 32,
            "attn_heads": 2,
            "prompt_tokens": 2,
        }
    )
    assert spec.token_budget == 64  # the default, below the 77 text tokens
    torch.manual_seed(0)
    net = build_network(spec, catalogue=toy_catalogue(text, block)).eval()
    batch = make_network_batch()
    cache = FeatureCache(tmp_path / "cache")
    with torch.no_grad():
        plain = net(batch)
        assert net.encode_step0("q", batch).x.shape[1] == 77
        net.step(batch, cache)
        cached, _, _ = net.step(batch, cache)
    assert cache.hits > 0
    for a, b in zip(cached.states, plain.states, strict=True):
        assert float((a - b).abs().max()) < 1e-5
