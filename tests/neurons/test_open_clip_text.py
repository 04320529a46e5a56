"""open_clip text towers: tokens + mask, pooled embeddings, prompt insertion and masks, checkpoints."""

from __future__ import annotations

import pytest
import torch

from sen_core.errors import CheckpointError, ConfigError, InputError
from sen_core.neuron import build_neuron

ARCHS = (
    "sen-tiny-vit",
    "sen-tiny-rn",
    "sen-tiny-timm",
)  # causal+argmax, causal+eos, bidirectional+last
TEXTS = ["a cat", "a photo of a dog on the grass"]


def _prompts(neuron, b: int = 2, m: int = 3, deep: bool = False, seed: int = 1) -> torch.Tensor:
    slot = neuron.prompt_slot()
    g = torch.Generator().manual_seed(seed)
    shape = (b, slot.depth, m, slot.dim) if deep else (b, m, slot.dim)
    return torch.randn(*shape, generator=g)


@pytest.fixture(scope="module")
def models():
    import open_clip

    from sen_open_clip.configs import register_tiny_configs

    register_tiny_configs()
    out = {}
    for i, arch in enumerate(ARCHS):
        torch.manual_seed(10 + i)
        out[arch] = open_clip.create_model(arch).eval()
    return out


@pytest.fixture(scope="module")
def checkpoints(models, tmp_path_factory):
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("open_clip_text_ckpt")
    out = {}
    for arch, model in models.items():
        out[arch] = folder / f"{arch}.safetensors"
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out[arch]))
    return out


@pytest.fixture(scope="module")
def neurons(checkpoints):
    return {
        arch: build_neuron(
            f"open_clip/{arch}/text", checkpoint=str(checkpoints[arch]), prompt_depth="deep"
        )
        for arch in ARCHS
    }


def test_sequence_tokens_with_mask(neurons):
    """Texts give (B, context_length, 64) tokens; the mask covers start token .. end-of-text token."""
    out = neurons["sen-tiny-vit"](TEXTS)
    assert tuple(out.x.shape) == (2, 16, 64)
    assert (out.layout.kind, out.layout.tokens_per_frame) == ("sequence", 16)
    assert out.mask.dtype == torch.bool and out.mask.sum(1).tolist() == [4, 10]  # SOT + words + EOT
    assert out.mask[:, 0].all() and not out.mask[0, 4:].any()


@pytest.mark.parametrize("arch", ARCHS)
def test_pooled_output_equals_encode_text(models, neurons, checkpoints, arch):
    """Checkpoint round trip: output='pooled' is open_clip's encode_text; the sequence holds that token."""
    pooled = build_neuron(
        f"open_clip/{arch}/text", checkpoint=str(checkpoints[arch]), output="pooled"
    )
    ids = pooled.preprocess(TEXTS)
    with torch.no_grad():
        ref = models[arch].encode_text(ids)
        ours = pooled.encode(ids)
        seq = neurons[arch].encode(ids).x
    assert (tuple(ours.x.shape), ours.layout.kind, ours.mask.tolist()) == (
        (2, 1, 64),
        "sequence",
        [[True]] * 2,
    )
    assert torch.allclose(ours.x[:, 0], ref, atol=1e-5, rtol=1e-5)
    if arch == "sen-tiny-vit":  # EOT (argmax) pooling: the pooled token is the sequence's EOT token
        eot = ids.argmax(-1)
        assert torch.allclose(seq[torch.arange(2), eot], ref, atol=1e-5, rtol=1e-5)


def test_causal_start_token_ignores_prompts(neurons):
    """Under a causal mask the start token precedes the prompts, so its output does not change."""
    n = neurons["sen-tiny-vit"]
    base, out = n(TEXTS), n(TEXTS, _prompts(n))
    assert torch.allclose(base.x[:, 0], out.x[:, 0], atol=1e-5)
    assert (base.x[:, 1:] - out.x[:, 1:]).abs().max() > 1e-4
    assert torch.equal(base.mask, out.mask)


def test_prompted_pooling_follows_the_shifted_eot(neurons, checkpoints):
    """With prompts the pooled output is the EOT token of the prompted sequence, not a shifted one."""
    n = neurons["sen-tiny-vit"]
    pooled = build_neuron(
        "open_clip/sen-tiny-vit/text",
        checkpoint=str(checkpoints["sen-tiny-vit"]),
        output="pooled",
        prompt_depth="deep",
    )
    p = _prompts(n)
    ids = n.preprocess(TEXTS)
    seq, pool = n.encode(ids, p).x, pooled.encode(ids, p).x[:, 0]
    assert torch.allclose(seq[torch.arange(2), ids.argmax(-1)], pool, atol=1e-5)


def test_prompt_mask_is_a_longer_causal_mask():
    """Growing a causal (S, S) mask by M prompts after the start token gives the causal (S+M) mask."""
    from sen_open_clip.text import prompt_attn_mask

    causal = torch.full((6, 6), float("-inf")).triu(1)
    grown_causal = prompt_attn_mask(causal, 3, causal=True)
    assert grown_causal is not None
    assert torch.equal(grown_causal, torch.full((9, 9), float("-inf")).triu(1))
    pad = torch.zeros(2, 4, 4)
    pad[:, :, 3] = float("-inf")  # key 3 is padding
    grown = prompt_attn_mask(pad, 2, causal=False)
    assert grown is not None and grown.shape == (2, 6, 6)
    assert torch.isinf(grown[:, :, 5]).all() and (grown[:, :, :5] == 0).all()


@pytest.mark.parametrize("arch", ARCHS)
def test_prompt_gradients_through_frozen_tower(neurons, arch):
    """Shallow and deep prompts change the tokens and receive gradients; weights get none."""
    n = neurons[arch]
    for deep in (False, True):
        p = _prompts(n, deep=deep).requires_grad_()
        out = n(TEXTS, p)
        assert tuple(out.x.shape) == (2, 16, 64)
        out.x.square().mean().backward()
        assert p.grad.abs().sum() > 0
    assert not any(q.requires_grad or q.grad is not None for q in n.parameters())


def test_non_list_text_is_input_error(neurons):
    """A bare string, a tensor, an empty list or a list holding non-strings raises InputError."""
    n = neurons["sen-tiny-vit"]
    with pytest.raises(InputError, match=r"must be a non-empty list of strings .* got str"):
        n("a cat")
    with pytest.raises(InputError, match="got Tensor"):
        n(torch.zeros(2, 3))
    with pytest.raises(InputError, match="got an empty list"):
        n([])
    with pytest.raises(InputError, match="a list holding int, str"):
        n(["a", 3])


def test_unprojected_and_bad_output_param():
    """project=False gives the tower width; an unknown output mode is a ConfigError."""
    n = build_neuron("open_clip/sen-tiny-vit/text", project=False)
    assert n.width == 64 and n(TEXTS).x.shape[-1] == 64
    assert (n.prompt_slot().dim, n.prompt_slot().depth) == (64, 1)  # shallow by default
    with pytest.raises(
        ConfigError, match=r"output='eot'; expected one of \('sequence', 'pooled'\)"
    ):
        build_neuron("open_clip/sen-tiny-vit/text", output="eot")


def test_custom_text_checkpoint_keys_under_text(checkpoints):
    """A CustomTextCLIP checkpoint (text.* keys) loads into the tower; a ViT one does not fit the RN text."""
    assert (
        build_neuron(
            "open_clip/sen-tiny-timm/text", checkpoint=str(checkpoints["sen-tiny-timm"])
        ).width
        == 64
    )
    with pytest.raises(CheckpointError, match=r"unexpected keys .*proj"):
        # the bidirectional tower's projection has a bias the RN text tower lacks
        build_neuron("open_clip/sen-tiny-rn/text", checkpoint=str(checkpoints["sen-tiny-timm"]))
