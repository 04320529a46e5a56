"""BatchNorm running statistics with a prompt boundary (issue 21, docs/network.md, "Late prompts").

A neuron that trains (``trainable: all``) and splits at ``prompt_from`` runs its prefix once per
forward and its suffix at step 0 and at each of the K steps: BatchNorm layers before the boundary
update their running statistics once per forward, those after it K + 1 times. (Full re-encoding
would update every layer K + 1 times, the prefix ones on the same batch each time.)
"""

from __future__ import annotations

import torch
from torch import nn

from sen_core.network import build_network
from sen_core.network.spec import NetworkSpec
from sen_core.testing.batches import make_network_batch

K = 2


def test_prefix_batchnorm_updates_once_suffix_k_plus_one_times():
    spec = NetworkSpec.model_validate(
        {
            "neurons": [
                {
                    "name": "timm/resnet18",
                    "key": "cnn",
                    "input": "frames",
                    "trainable": "all",
                    "params": {"image_size": 32, "prompt_from": 2},
                }
            ],
            "anchor": "cnn",
            "depth": K,
            "width": 32,
            "attn_heads": 2,
            "token_budget": 8,
            "prompt_tokens": 2,
        }
    )
    torch.manual_seed(0)
    net = build_network(spec).train()
    neuron = net.neurons["cnn"]
    assert neuron.splits and neuron.training
    net(make_network_batch())
    counts = {
        name: int(m.num_batches_tracked or 0)
        for name, m in neuron.named_modules()
        if isinstance(m, nn.BatchNorm2d)
    }
    assert set(counts.values()) == {1, K + 1}
    once = {n.split(".")[1] for n, c in counts.items() if c == 1}
    every_step = {n.split(".")[1] for n, c in counts.items() if c == K + 1}
    # resnet18's FiLM stages are the outputs of the stem, layer1 .. layer4; prompt_from=2 puts the
    # first FiLM after layer2, so the stem, layer1 and layer2 are the prefix
    assert once == {"bn1", "layer1", "layer2"} and every_step == {"layer3", "layer4"}
