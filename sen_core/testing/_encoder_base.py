"""Shared parts of the encoder checks: the case's neuron (built once), its inputs and prompts.

Torch is imported inside the functions: importing ``sen_core.testing`` stays cheap.
"""

from __future__ import annotations

from typing import Any

from sen_core.testing._cases import Case

__all__ = ["SkipCheck", "build", "prompts_for", "raw_input"]

B, T, H, W = 2, 2, 40, 48  # raw clip size fed to visual neurons (they resize to their own size)
TEXTS = ["a photo of a cat on a sofa", "two dogs play in the snow"]
_NEURONS: dict[tuple[str, str], Any] = {}


class SkipCheck(Exception):
    """A check that does not apply to this component (the pytest plugin turns it into a skip)."""


def _key(case: Case) -> tuple[str, str]:
    return case.name, repr(sorted(case.params.items()))


def build(case: Case) -> Any:
    """The case's neuron in eval mode (built once per process; seeded so random inits repeat)."""
    if _key(case) not in _NEURONS:
        import torch

        from sen_core.neuron import build_neuron

        torch.manual_seed(0)
        _NEURONS[_key(case)] = build_neuron(case.name, **case.params).eval()
    return _NEURONS[_key(case)]


def _frames_for(neuron: Any, case: Case) -> int:
    if neuron.modality == "video":
        return int(case.params.get("num_frames") or neuron.spec.params.get("num_frames") or T)
    return T


def raw_input(neuron: Any, case: Case, *, as_float: bool = False) -> Any:
    """Deterministic raw input: uint8 (B, T, H, W, 3) clips, float (B, T, 3, H, W), or texts."""
    import torch

    if neuron.modality in ("image", "video"):
        g = torch.Generator().manual_seed(0)
        shape = (B, _frames_for(neuron, case), H, W, 3)
        video = torch.randint(0, 256, shape, generator=g, dtype=torch.uint8)
        return video.permute(0, 1, 4, 2, 3).float() / 255.0 if as_float else video
    if neuron.modality == "text":
        return list(TEXTS)
    raise SkipCheck(f"no conformance input generator for modality '{neuron.modality}' yet")


def prompts_for(neuron: Any) -> Any:
    """Random prompts (B=2, M=2) in the shape the neuron's prompt slot declares."""
    import torch

    slot = neuron.prompt_slot()
    if slot is None:
        raise SkipCheck("prompting='none'")
    g = torch.Generator().manual_seed(1)
    if slot.kind == "tokens":
        shape = (B, slot.depth, 2, slot.dim) if slot.depth > 1 else (B, 2, slot.dim)
        return torch.randn(*shape, generator=g)
    return 0.5 * torch.randn(B, slot.film_size, generator=g)


def _batch(raw: Any) -> int:
    return len(raw) if isinstance(raw, list) else int(raw.shape[0])
