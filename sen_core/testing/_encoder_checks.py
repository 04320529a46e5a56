"""Encoder conformance checks: a built super neuron keeps the runtime contract (docs/plugins.md).

Each ``check_*(case)`` builds the case's neuron once (seeded, cached per case), feeds it small
deterministic inputs (B=2 clips of 2 frames at 40x48, or two sentences) and asserts one rule.
Torch is imported inside the functions: importing ``sen_core.testing`` stays cheap.
"""

from __future__ import annotations

from sen_core.testing._cases import Case
from sen_core.testing._encoder_base import (
    SkipCheck,
    _batch,
    _frames_for,
    build,
    prompts_for,
    raw_input,
)
from sen_core.testing._encoder_split_checks import SPLIT_CHECKS

__all__ = ["ENCODER_CHECKS", "SkipCheck"]  # SkipCheck: re-exported from _encoder_base


def check_builds_as_declared(case: Case) -> None:
    """The factory returns a SuperNeuron for this spec: same name, modality, prompting and width."""
    from sen_core.neuron import SuperNeuron
    from sen_core.specs import split_name

    neuron = build(case)
    spec = neuron.spec
    assert isinstance(neuron, SuperNeuron), type(neuron)
    assert split_name(spec.name)[0] == split_name(case.name)[0]
    assert (neuron.modality, neuron.prompting) == (spec.modality, spec.prompting)
    assert neuron.width >= 1
    if spec.width is not None and not case.overrides_shape:
        assert neuron.width == spec.width, f"spec width {spec.width}, built {neuron.width}"


def check_output_matches_layout(case: Case) -> None:
    """forward -> Tokens (B, N, width) whose layout agrees with the spec and the input."""
    import torch

    from sen_core.neuron import Tokens

    neuron = build(case)
    raw = raw_input(neuron, case)
    with torch.no_grad():
        out = neuron(raw)
    assert isinstance(out, Tokens)
    assert tuple(out.x.shape) == (_batch(raw), out.layout.num_tokens, neuron.width)
    assert out.layout.kind == neuron.spec.layout.kind
    assert torch.isfinite(out.x).all()
    if out.layout.kind == "frames":
        assert out.layout.frames == _frames_for(neuron, case) or neuron.modality == "video"
        if out.layout.grid is not None:
            h, w = out.layout.grid
            assert out.layout.tokens_per_frame == out.layout.special_tokens + h * w
    declared = neuron.spec.layout
    if declared.tokens_per_frame is not None and not case.overrides_shape:
        assert out.layout.tokens_per_frame == declared.tokens_per_frame
        assert out.layout.grid == declared.grid
    if out.mask is not None:
        assert out.mask.dtype == torch.bool and out.mask.any(dim=1).all()


def check_eval_is_deterministic(case: Case) -> None:
    """Two eval forwards of the same input give the same tokens."""
    import torch

    neuron = build(case)
    raw = raw_input(neuron, case)
    with torch.no_grad():
        a, b = neuron(raw).x, neuron(raw).x
    assert torch.allclose(a, b, atol=1e-6, rtol=0)


def check_frozen_by_default(case: Case) -> None:
    """With the default trainable='none' no weight requires grad and the module stays in eval mode."""
    if "trainable" in case.params:
        raise SkipCheck("case sets trainable")
    neuron = build(case)
    assert neuron.trainable == "none"
    assert not any(p.requires_grad for p in neuron.parameters())
    neuron.train()  # a frozen neuron ignores train(): no dropout, no BatchNorm statistics updates
    try:
        assert not any(m.training for m in neuron.modules())
    finally:
        neuron.eval()


def check_prompting_matches_declaration(case: Case) -> None:
    """prompting='none' has no slot and refuses prompts with InputError; others declare a slot."""
    import torch

    from sen_core.errors import InputError

    neuron = build(case)
    slot = neuron.prompt_slot()
    if neuron.prompting == "none":
        assert slot is None
        raw = raw_input(neuron, case)
        try:
            neuron(raw, torch.zeros(_batch(raw), 1, max(neuron.width, 1)))
        except InputError as exc:
            assert "cannot take prompts" in str(exc)
        else:
            raise AssertionError("prompts were accepted by a prompting='none' neuron")
    else:
        assert slot is not None and slot.kind == neuron.prompting
        assert (slot.dim >= 1) if slot.kind == "tokens" else (slot.film_size >= 2)


def check_prompts_change_output(case: Case) -> None:
    """Prompts in the declared shape keep the output shape and change the tokens."""
    import torch

    neuron = build(case)
    prompts = prompts_for(neuron)
    raw = raw_input(neuron, case)
    with torch.no_grad():
        base, prompted = neuron(raw), neuron(raw, prompts)
    assert prompted.x.shape == base.x.shape and prompted.layout == base.layout
    assert (prompted.x - base.x).abs().max() > 1e-6


def check_gradients_reach_prompts_not_frozen_weights(case: Case) -> None:
    """Backward through the frozen encoder gives prompts a finite nonzero grad, no frozen weight one."""
    import torch

    neuron = build(case)
    prompts = prompts_for(neuron).clone().requires_grad_()
    neuron.zero_grad(set_to_none=True)
    out = neuron(raw_input(neuron, case), prompts)
    g = torch.Generator().manual_seed(2)
    (out.x * torch.randn(out.x.shape, generator=g)).sum().backward()
    assert prompts.grad is not None and torch.isfinite(prompts.grad).all()
    assert prompts.grad.abs().sum() > 0
    leaked = [n for n, p in neuron.named_parameters() if not p.requires_grad and p.grad is not None]
    assert leaked == []


def check_wrong_prompt_shape_is_input_error(case: Case) -> None:
    """Prompts with the wrong width are refused with InputError (not a shape RuntimeError)."""
    import torch

    from sen_core.errors import InputError

    neuron = build(case)
    good = prompts_for(neuron)
    bad = torch.zeros(*good.shape[:-1], good.shape[-1] + 3)
    try:
        neuron(raw_input(neuron, case), bad)
    except InputError:
        return
    raise AssertionError(f"prompts of shape {tuple(bad.shape)} were accepted")


def check_uint8_and_float_frames_agree(case: Case) -> None:
    """uint8 (B, T, H, W, 3) clips and the same clips as float (B, T, 3, H, W) encode alike."""
    import torch

    neuron = build(case)
    if neuron.modality not in ("image", "video"):
        raise SkipCheck("float frames only apply to visual neurons")
    with torch.no_grad():
        a = neuron(raw_input(neuron, case)).x
        b = neuron(raw_input(neuron, case, as_float=True)).x
    assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def check_bad_input_is_input_error(case: Case) -> None:
    """A wrong frame shape or dtype (visual) or a tensor instead of strings (text) is InputError."""
    import torch

    from sen_core.errors import InputError

    neuron = build(case)
    raw = raw_input(neuron, case)
    if neuron.modality in ("image", "video"):
        bad = [raw[:, 0], raw.to(torch.int32), raw[..., :2]]  # no T axis, int32, 2 channels
    elif neuron.modality == "text":
        bad = [torch.zeros(2, 3)]
    else:
        raise SkipCheck(f"no bad-input check for modality '{neuron.modality}'")
    for x in bad:
        try:
            neuron(x)
        except InputError:
            continue
        raise AssertionError(f"input of shape {tuple(x.shape)} / {x.dtype} was accepted")


ENCODER_CHECKS = (
    check_builds_as_declared,
    check_output_matches_layout,
    check_eval_is_deterministic,
    check_frozen_by_default,
    check_prompting_matches_declaration,
    check_prompts_change_output,
    check_gradients_reach_prompts_not_frozen_weights,
    check_wrong_prompt_shape_is_input_error,
    check_uint8_and_float_frames_agree,
    check_bad_input_is_input_error,
    *SPLIT_CHECKS,
)
