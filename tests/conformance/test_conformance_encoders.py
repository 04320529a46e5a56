"""Encoder conformance: every registered encoder (and every sampled family name) keeps the neuron contract.

Cases come from conftest.py: the catalogue's static encoders plus the CASES of each cases_*.py.
"""

from __future__ import annotations

import pytest
import torch

from sen_core.errors import InputError
from sen_core.neuron import SuperNeuron, Tokens
from sen_core.specs import split_name


def _batch(raw) -> int:
    return len(raw) if isinstance(raw, list) else int(raw.shape[0])


def test_builds_as_declared(case, neuron):
    """The factory returns a SuperNeuron for this spec: same name, modality, prompting and width."""
    spec = neuron.spec
    assert isinstance(neuron, SuperNeuron)
    assert split_name(spec.name)[0] == split_name(case.name)[0]
    assert (neuron.modality, neuron.prompting) == (spec.modality, spec.prompting)
    assert neuron.width >= 1
    if spec.width is not None and not case.overrides_shape:
        assert neuron.width == spec.width


def test_output_matches_layout(case, neuron, raw, num_frames):
    """forward -> Tokens (B, N, width) whose layout agrees with the spec and the input."""
    with torch.no_grad():
        out = neuron(raw)
    assert isinstance(out, Tokens)
    assert tuple(out.x.shape) == (_batch(raw), out.layout.num_tokens, neuron.width)
    assert out.layout.kind == neuron.spec.layout.kind
    assert torch.isfinite(out.x).all()
    if out.layout.kind == "frames":
        assert out.layout.frames == num_frames or neuron.modality == "video"
        if out.layout.grid is not None:
            h, w = out.layout.grid
            assert out.layout.tokens_per_frame == out.layout.special_tokens + h * w
    declared = neuron.spec.layout
    if declared.tokens_per_frame is not None and not case.overrides_shape:
        assert out.layout.tokens_per_frame == declared.tokens_per_frame
        assert out.layout.grid == declared.grid
    if out.mask is not None:
        assert out.mask.dtype == torch.bool and out.mask.any(dim=1).all()


def test_eval_is_deterministic(neuron, raw):
    """Two eval forwards of the same input give the same tokens."""
    with torch.no_grad():
        a, b = neuron(raw).x, neuron(raw).x
    assert torch.allclose(a, b, atol=1e-6, rtol=0)


def test_frozen_by_default(case, neuron):
    """With the default trainable='none' no weight requires grad and the module stays in eval mode."""
    if "trainable" in case.params:
        pytest.skip("case sets trainable")
    assert neuron.trainable == "none"
    assert not any(p.requires_grad for p in neuron.parameters())
    neuron.train()  # a frozen neuron ignores train(): no dropout, no BatchNorm statistics updates
    assert not any(m.training for m in neuron.modules())
    neuron.eval()


def test_prompting_matches_declaration(neuron, raw):
    """prompting='none' has no prompt slot and refuses prompts with InputError; others declare a slot."""
    slot = neuron.prompt_slot()
    if neuron.prompting == "none":
        assert slot is None
        with pytest.raises(InputError, match="cannot take prompts"):
            neuron(raw, torch.zeros(_batch(raw), 1, max(neuron.width, 1)))
    else:
        assert slot is not None and slot.kind == neuron.prompting
        assert (slot.dim >= 1) if slot.kind == "tokens" else (slot.film_size >= 2)


def test_prompts_change_output(neuron, raw, prompts):
    """Prompts in the declared shape keep the output shape and change the tokens."""
    with torch.no_grad():
        base = neuron(raw)
        prompted = neuron(raw, prompts)
    assert prompted.x.shape == base.x.shape and prompted.layout == base.layout
    assert (prompted.x - base.x).abs().max() > 1e-6


def test_gradients_reach_prompts_not_frozen_weights(neuron, raw, prompts):
    """Backward through the frozen encoder gives the prompts a finite nonzero grad and no frozen weight one."""
    prompts = prompts.clone().requires_grad_()
    neuron.zero_grad(set_to_none=True)
    out = neuron(raw, prompts)
    g = torch.Generator().manual_seed(2)
    (out.x * torch.randn(out.x.shape, generator=g)).sum().backward()
    assert prompts.grad is not None and torch.isfinite(prompts.grad).all()
    assert prompts.grad.abs().sum() > 0
    leaked = [n for n, p in neuron.named_parameters() if not p.requires_grad and p.grad is not None]
    assert leaked == []


def test_uint8_and_float_frames_agree(neuron, raw, raw_float):
    """uint8 (B, T, H, W, 3) clips and the same clips as float (B, T, 3, H, W) in [0, 1] encode alike."""
    with torch.no_grad():
        a, b = neuron(raw).x, neuron(raw_float).x
    assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def test_bad_input_is_input_error(neuron, raw):
    """A wrong frame shape or dtype (visual) or a tensor instead of strings (text) raises InputError."""
    if neuron.modality in ("image", "video"):
        with pytest.raises(InputError):
            neuron(raw[:, 0])  # (B, H, W, 3): the T axis is missing
        with pytest.raises(InputError):
            neuron(raw.to(torch.int32))
        with pytest.raises(InputError):
            neuron(raw[..., :2])  # two colour channels
    elif neuron.modality == "text":
        with pytest.raises(InputError):
            neuron(torch.zeros(2, 3))
    else:
        pytest.skip(f"no bad-input check for modality '{neuron.modality}'")
