"""Variant-specific behaviour: reaction-diffusion stability bound, dynamic-focus token count, memory."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from _network_helpers import make_batch, make_spec

from sen_blocks.ra_dynamic_focus import focus_token_count
from sen_core.errors import ConfigError
from sen_core.network import build_network


def test_reaction_diffusion_stability_bound(catalogue):
    """dt * D > 0.5 is refused when the network is built, with the key path and the numbers."""
    spec = make_spec(
        block="sen/ra-reaction-diffusion@1", block_params={"dt": 2.0, "diffusion_u": 0.3}
    )
    with pytest.raises(ConfigError) as info:
        build_network(spec, catalogue=catalogue)
    assert info.value.problems == [
        "model.block_params.dt: dt * max(diffusion_u, diffusion_v) = 2 * 0.3 = 0.6 exceeds the explicit-Euler "
        "stability bound 0.5 (1-D diffusion over frames, unit spacing); lower dt or the diffusion coefficients"
    ]


def test_reaction_diffusion_at_the_bound_builds(catalogue):
    """dt * D == 0.5 is allowed and the state stays finite."""
    spec = make_spec(
        block="sen/ra-reaction-diffusion@1",
        block_params={"dt": 1.0, "diffusion_u": 0.5, "rd_steps": 8},
    )
    torch.manual_seed(0)
    out = build_network(spec, catalogue=catalogue)(make_batch())
    assert torch.isfinite(out.state).all()


def test_reaction_diffusion_direct_construction_checks(catalogue):
    """Building the block class directly checks the bound too."""
    from sen_blocks.ra_reaction_diffusion import ReactionDiffusionRA

    with pytest.raises(ConfigError, match=r"stability bound 0.5"):
        ReactionDiffusionRA(
            catalogue.get("sen/ra-reaction-diffusion@1"),
            width=32,
            neurons={},
            anchor="vit",
            depth=1,
            dt=1.0,
            diffusion_v=0.8,
        )


@pytest.mark.parametrize("train", [False, True])
@pytest.mark.parametrize("key_frames,coarse", [(1, 2), (2, 2), (3, 1), (8, 2)])
def test_dynamic_focus_token_count(catalogue, train, key_frames, coarse):
    """k * P + (T - k) * coarse tokens (k = min(key_frames, T)), in training and in evaluation."""
    torch.manual_seed(0)
    spec = make_spec(
        block="sen/ra-dynamic-focus@1",
        depth=1,
        block_params={"key_frames": key_frames, "coarse_tokens": coarse},
    )
    net = build_network(spec, catalogue=catalogue).train(train)
    out = net(make_batch())
    want = focus_token_count(4, 4, key_frames, coarse)
    assert out.state.shape == (2, want, 32)
    assert want == min(key_frames, 4) * 4 + (4 - min(key_frames, 4)) * coarse


def test_dynamic_focus_eval_is_hard_topk(catalogue):
    """In evaluation the kept frames are exactly the anchor tokens of the top-scoring frames."""
    torch.manual_seed(0)
    spec = make_spec(block="sen/ra-dynamic-focus@1", depth=0, block_params={"key_frames": 2})
    net = build_network(spec, catalogue=catalogue).eval()
    batch = make_batch()
    from sen_core.network.block import StepContext

    with torch.no_grad():
        feats = {k: net.adapters[k](net.encode_step0(k, batch), 2) for k in net.integrated}
        ctx = StepContext(batch_size=2, frames=4, tokens_per_frame=4, training=False)
        state = net.block.init_state(feats, ctx)
        frames = feats["vit"].x.reshape(2, 4, 4, 32)
        block: Any = net.block  # the dynamic-focus block's own scorer
        scores = block.frame_scores(frames, feats)
    top = scores.topk(2, dim=1).indices.sort(dim=1).values
    for b in range(2):
        assert torch.equal(state[b, :8], frames[b, top[b]].reshape(8, 32))


def test_dynamic_focus_scorer_learns_in_training(catalogue):
    """The perturbed top-k passes gradients to the frame scorer while training."""
    torch.manual_seed(0)
    spec = make_spec(block="sen/ra-dynamic-focus@1", depth=1, block_params={"key_frames": 2})
    net = build_network(spec, catalogue=catalogue).train()
    net(make_batch()).pooled.square().sum().backward()
    block: Any = net.block
    assert block.score_q.weight.grad.abs().sum() > 0


def test_memory_stays_bounded(catalogue):
    """The memory holds memory_tokens tokens after every step."""
    torch.manual_seed(0)
    spec = make_spec(
        block="sen/ra-memory@1", depth=3, block_params={"memory_tokens": 3, "write_tokens": 2}
    )
    net = build_network(spec, catalogue=catalogue)
    seen = []
    orig = net.block.integrate

    def spy(step, state, feats, ctx):
        out = orig(step, state, feats, ctx)
        seen.append(tuple(ctx.carry["memory"].shape))
        return out

    setattr(net.block, "integrate", spy)  # noqa: B010 - an instance attribute shadows the method
    net(make_batch())
    assert seen == [(2, 3, 32)] * 4
