"""Prompt boundary: prefix + prompted suffix equals full re-encoding at every allowed boundary.

Small random models of each family that splits (timm ViT and chain CNNs with FiLM: their split is
the conformance kit's check, here their boundaries; open_clip towers and transformers models with
deep prompts, against the models' own hidden states); a neuron that cannot split falls back to
whole encodes; bad ``prompt_from`` values are refused.
"""

from __future__ import annotations

import pytest
import torch

from sen_core.errors import ConfigError
from sen_core.neuron import build_neuron

VIT = ("timm/vit_tiny_patch16_224", {"model_kwargs": {"img_size": 32, "depth": 3}})
EFFNET = ("timm/efficientnet_lite0", {"image_size": 64})
RESNET = ("timm/resnet18", {"image_size": 64})
EVA = ("timm/eva02_tiny_patch14_224", {"model_kwargs": {"img_size": 28, "depth": 2}})


def _build(case, **extra):
    torch.manual_seed(0)
    name, params = case
    return build_neuron(name, **{**params, **extra})


def _video(b: int = 2, t: int = 2) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (b, t, 40, 48, 3), generator=g, dtype=torch.uint8)


def _prompts(neuron, b: int = 2, m: int = 3, deep: bool = False) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    slot = neuron.prompt_slot()
    if slot.kind == "film":
        return torch.randn(b, slot.film_size, generator=g) * 0.3
    if slot.depth > 1 or deep:
        return torch.randn(b, slot.depth, m, slot.dim, generator=g)
    return torch.randn(b, m, slot.dim, generator=g)


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


@pytest.mark.parametrize(
    ("case", "boundaries"),
    [(VIT, (0, 1, 2)), (EFFNET, (0, 1, 2, 3, 4)), (RESNET, (0, 1, 2, 3, 4))],
    ids=["vit", "efficientnet", "resnet"],
)
def test_timm_boundaries_are_blocks_and_stages(case, boundaries):
    """A ViT splits before each block, a staged CNN before each stage; a late build splits.

    That prefix + suffix equals encode() at every boundary, prompted and prompt-free, is the
    conformance kit's split_at_every_boundary check, run on these families in
    tests/conformance (cases_timm.py, and sen/efficientnet-lite0-imagenet@1 with its defaults)."""
    assert tuple(_build(case).prompt_boundaries()) == boundaries
    assert _build(case, prompt_from=boundaries[-1]).splits


def test_late_prompt_slot_counts_layers_and_stages_from_the_boundary():
    """Deep prompts cover blocks prompt_from..depth-1; FiLM covers stages from prompt_from on."""
    assert _build(VIT, prompt_depth="deep", prompt_from=2).prompt_slot().depth == 1
    assert _build(VIT, prompt_depth="deep", prompt_from=1).prompt_slot().depth == 2
    eff = _build(EFFNET, prompt_from=3)
    assert eff.prompt_slot().channels == (112, 320)


def test_backward_stops_at_the_boundary():
    """Gradients reach the prompts through the suffix; the detached boundary takes none."""
    neuron = _build(VIT, prompt_from=2)
    inputs = neuron.preprocess(_video())
    boundary = neuron.encode_prefix(inputs).detach()
    prompts = _prompts(neuron).requires_grad_(True)
    neuron.encode_suffix(boundary, prompts).x.square().mean().backward()
    assert prompts.grad is not None and float(prompts.grad.abs().sum()) > 0
    assert not boundary.hidden.requires_grad


def test_unsplittable_neuron_runs_whole():
    """Eva cannot split: the boundary holds the inputs and the suffix is the full prompted encode."""
    neuron = _build(EVA, prompt_from=1)
    assert not neuron.splits
    inputs = neuron.preprocess(_video())
    prompts = _prompts(neuron)
    with torch.no_grad():
        boundary = neuron.encode_prefix(inputs)
        assert boundary.hidden is None
        got, want = neuron.encode_suffix(boundary, prompts), neuron.encode(inputs, prompts)
    assert torch.equal(got.x, want.x)


@pytest.mark.parametrize("bad", [3, -1])
def test_bad_prompt_from_is_refused(bad):
    """prompt_from outside the neuron's boundaries is a ConfigError naming the allowed values."""
    with pytest.raises(
        ConfigError,
        match=rf"timm/vit_tiny_patch16_224: prompt_from={bad} is not a prompt boundary of this "
        r"neuron; allowed: 0\.\.2",
    ):
        _build(VIT, prompt_from=bad)


@pytest.mark.parametrize("bad", ["late", True])
def test_prompt_from_must_be_an_int(bad):
    """A prompt_from that is not an int is a ConfigError naming the param."""
    with pytest.raises(ConfigError, match=r"prompt_from.*expect"):
        _build(VIT, prompt_from=bad)


# ---- open_clip towers --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_open_clip():
    from sen_open_clip.configs import register_tiny_configs

    register_tiny_configs()


@pytest.mark.parametrize(
    ("name", "deep"),
    [
        ("open_clip/sen-tiny-vit/image", False),
        ("open_clip/sen-tiny-vit/image", True),
        ("open_clip/sen-tiny-vit/text", False),
        ("open_clip/sen-tiny-vit/text", True),
        ("open_clip/sen-tiny-rn/text", False),
        ("open_clip/sen-tiny-timm/text", True),
    ],
)
def test_open_clip_suffix_equals_full_encode(tiny_open_clip, name, deep):
    """open_clip ViT image towers and text towers split at every block boundary."""
    depth = {"prompt_depth": "deep"} if deep else {}
    raw = ["a cat", "a photo of a dog on the grass"] if name.endswith("/text") else _video()
    allowed = _build((name, {}), **depth).prompt_boundaries()
    assert len(allowed) >= 2
    for start in allowed:
        neuron = _build((name, {}), prompt_from=start, **depth)
        assert neuron.splits
        inputs = neuron.preprocess(raw)
        prompts = _prompts(neuron, deep=deep)
        with torch.no_grad():
            boundary = neuron.encode_prefix(inputs)
            assert _max_diff(boundary.output.x, neuron.encode(inputs).x) <= 1e-5
            got, want = neuron.encode_suffix(boundary, prompts), neuron.encode(inputs, prompts)
        assert _max_diff(got.x, want.x) <= 1e-5, start
        assert _max_diff(want.x, boundary.output.x) > 1e-4


# ---- transformers models -----------------------------------------------------------------------
HF_SMALL = {"num_hidden_layers": 3, "intermediate_size": 256}


@pytest.mark.parametrize(
    ("name", "params", "deep"),
    [
        ("transformers/bert@1", {"config": HF_SMALL}, False),
        ("transformers/roberta@1", {"config": HF_SMALL}, True),
        ("transformers/clip-text@1", {"config": HF_SMALL}, True),
        ("transformers/vit@1", {"image_size": 32, "config": {"patch_size": 16}}, True),
    ],
)
def test_transformers_suffix_equals_full_encode(name, params, deep):
    """Hugging Face text and vision models split at every layer boundary (hooks + layer slice)."""
    depth = {"prompt_depth": "deep"} if deep else {}
    raw = ["a cat", "a photo of a dog on the grass"] if "vit" not in name else _video()
    allowed = _build((name, params), **depth).prompt_boundaries()
    assert len(allowed) >= 2
    for start in allowed:
        neuron = _build((name, params), prompt_from=start, **depth)
        inputs = neuron.preprocess(raw)
        prompts = _prompts(neuron, deep=deep)
        with torch.no_grad():
            boundary = neuron.encode_prefix(inputs)
            assert _max_diff(boundary.output.x, neuron.encode(inputs).x) <= 1e-5
            got = neuron.encode_suffix(boundary, prompts)
            # independent references: the model's own hidden states, and at start 0 the
            # one-pass prompted forward (later starts run encode() itself as prefix + suffix)
            kw = inputs if isinstance(inputs, dict) else {"pixel_values": inputs.flatten(0, 1)}
            ref = neuron.model(**kw, output_hidden_states=True).hidden_states[start]
            want = neuron.encode(inputs, prompts)
        assert _max_diff(boundary.hidden.reshape(ref.shape), ref) <= 1e-5, start
        assert _max_diff(got.x, want.x) <= 1e-5, start
        assert _max_diff(want.x, boundary.output.x) > 1e-4


def test_prompt_from_is_fixed_at_build():
    """A built neuron's boundary cannot move (its slot and hooks would go stale): ConfigError."""
    neuron = _build(VIT, prompt_from=1)
    neuron.init_prompt_from(1)  # the same value: nothing changes
    with pytest.raises(ConfigError, match=r"prompt_from is fixed at build \(1\)"):
        neuron.init_prompt_from(2)
    assert neuron.prompt_from == 1 and not hasattr(neuron, "set_prompt_from")
