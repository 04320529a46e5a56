"""The kit's split and cache checks fail on the encoder defects issue 21 found, with the values.

Each broken neuron reproduces one defect in miniature: a suffix that applies a norm again (the
clip-vision bug: invisible with random-init LayerNorms), a suffix that drops its prompts, a text
encoder that attends to its padding (its tokens depend on the batch, so a cache changes them), and
a cache id blind to the weights (two seeds share entries).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch
from torch import Tensor, nn

import sen_core.catalogue
from sen_core.catalogue import get_catalogue
from sen_core.network.spec import NetworkSpec
from sen_core.neuron import (
    Boundary,
    Layout,
    PromptSlot,
    SuperNeuron,
    Tokens,
    Trainable,
    resize_frames,
    to_frames,
)
from sen_core.specs import EncoderSpec, TokenLayout
from sen_core.testing import Case
from sen_core.testing._encoder_split_checks import (
    check_cache_id_follows_weights,
    check_cached_step_equals_uncached,
    check_split_at_every_boundary,
)
from sen_core.testing.toys import ToyText, toy_catalogue


class SplitNet(SuperNeuron):
    """8x8 frames -> 4 patch tokens -> LayerNorm -> 2 token-mixing layers; splits at 0 or 1.

    ``bug``: 'none', 'norm_twice' (the suffix normalises the boundary again) or
    'ignores_prompts' (the suffix drops them).
    """

    def __init__(
        self,
        spec: EncoderSpec,
        *,
        trainable: Trainable = "none",
        prompt_from: int = 0,
        bug: str = "none",
    ) -> None:
        super().__init__(spec, trainable=trainable)
        self.embed = nn.Linear(48, 16)
        self.pre = nn.LayerNorm(16)
        self.layers = nn.ModuleList(nn.Linear(16, 16) for _ in range(2))
        self.width, self.bug = 16, bug
        self.init_prompt_from(prompt_from)
        self.apply_trainable(self)

    def prompt_boundaries(self) -> tuple[int, ...]:
        return (0, 1)

    @property
    def splits(self) -> bool:
        return True

    def prompt_slot(self) -> PromptSlot:
        return PromptSlot("tokens", dim=16)

    def preprocess(self, raw: Any) -> Tensor:
        frames = to_frames(raw, name=self.name)
        b, t = frames.shape[:2]
        return resize_frames(frames.flatten(0, 1), 8, None, None).reshape(b, t, 3, 8, 8)

    def _layer(self, i: int, h: Tensor) -> Tensor:
        return h + torch.tanh(self.layers[i](h)) + h.mean(1, keepdim=True)

    def _prefix(self, x: Tensor) -> Tensor:
        patches = x.flatten(0, 1).reshape(-1, 3, 2, 4, 2, 4).permute(0, 2, 4, 1, 3, 5)
        h = self.pre(self.embed(patches.reshape(-1, 4, 48)))
        for i in range(self.prompt_from):
            h = self._layer(i, h)
        return h

    def _from(self, h: Tensor, prompts: Tensor | None, b: int, t: int) -> Tokens:
        m = 0
        if prompts is not None:
            h, m = torch.cat([prompts.repeat_interleave(t, 0), h], 1), prompts.shape[1]
        for i in range(self.prompt_from, 2):
            h = self._layer(i, h)
        return Tokens(
            h[:, m:].reshape(b, t * 4, 16), Layout("frames", frames=t, tokens_per_frame=4)
        )

    def encode(self, inputs: Tensor, prompts: Tensor | None = None) -> Tokens:
        b, t = inputs.shape[:2]
        prompts = self.check_prompts(prompts, b)
        return self._from(self._prefix(inputs), prompts, b, t)

    def encode_prefix(self, inputs: Tensor) -> Boundary:
        b, t = inputs.shape[:2]
        h = self._prefix(inputs)
        out = self._from(h, None, b, t)
        return Boundary(output=out, hidden=h.reshape(b, t, 4, 16), inputs=inputs)

    def encode_suffix(self, boundary: Boundary, prompts: Tensor | None = None) -> Tokens:
        assert boundary.hidden is not None
        b, t = boundary.hidden.shape[:2]
        h = boundary.hidden.flatten(0, 1)
        if self.bug == "norm_twice":
            h = self.pre(h)
        if self.bug == "ignores_prompts":
            prompts = None
        return self._from(h, self.check_prompts(prompts, b), b, t)


class PaddingText(ToyText):
    """ToyText whose attention ignores the mask: a text's tokens depend on its batch's padding."""

    def encode(self, inputs: tuple[Tensor, Tensor], prompts: Tensor | None = None) -> Tokens:
        ids, mask = inputs
        self.check_prompts(prompts, ids.shape[0])
        h = self.block(self.emb(ids) + self.pos[:, : ids.shape[1]])
        return Tokens(h, Layout("sequence", tokens_per_frame=h.shape[1]), mask=mask)


def _spec(name: str, factory: str, **kw: Any) -> EncoderSpec:
    ref = factory if ":" in factory else f"{__name__}:{factory}"
    return EncoderSpec(name=name, summary="kit test", factory=ref, **kw)


SPECS = (
    _spec(
        "kit/split@1",
        "SplitNet",
        modality="image",
        width=16,
        layout=TokenLayout(kind="frames", tokens_per_frame=4),
        prompting="tokens",
        params={"prompt_from": 0, "bug": "none"},
    ),
    _spec(
        "kit/padtext@1",
        "PaddingText",
        modality="text",
        width=24,
        layout=TokenLayout(kind="sequence"),
        params={"seed": 3},
    ),
    _spec(
        "kit/text@1",
        "sen_core.testing.toys:ToyText",
        modality="text",
        width=24,
        layout=TokenLayout(kind="sequence"),
        params={"seed": 3},
    ),
)


@pytest.fixture
def kit_catalogue(monkeypatch):
    """A catalogue of the toys, the broken encoders above and the default block."""
    block = get_catalogue().get(NetworkSpec.model_fields["block"].default, kind="block")
    cat = toy_catalogue(*SPECS, block)
    monkeypatch.setattr(sen_core.catalogue, "get_catalogue", lambda: cat)
    return cat


def test_good_neurons_pass(kit_catalogue):
    """A correct splitting neuron and a mask-respecting text neuron pass all three checks."""
    for case in (Case("encoder", "kit/split@1"), Case("encoder", "kit/text@1")):
        check_split_at_every_boundary(case)
        check_cached_step_equals_uncached(case)
        check_cache_id_follows_weights(case)


@pytest.mark.parametrize("prompt_from", [0, 1])
def test_norm_applied_twice_is_caught_at_every_boundary(kit_catalogue, prompt_from):
    """The clip-vision defect: caught with trained-like norms, the message names the values."""
    case = Case("encoder", "kit/split@1", {"bug": "norm_twice", "prompt_from": prompt_from})
    with pytest.raises(AssertionError) as err:
        check_split_at_every_boundary(case)
    msg = str(err.value)
    assert msg.startswith("kit/split@1 [split_at_every_boundary]: boundary 0 of (0, 1)")
    assert "prompt-free encode_suffix vs encode(x)" in msg
    assert re.search(r"expected equal \(max abs diff <= [0-9.e-]+\), got [0-9.]+$", msg), msg


def test_suffix_dropping_prompts_is_caught(kit_catalogue):
    """A suffix that ignores its prompts differs from the full prompted pass."""
    case = Case("encoder", "kit/split@1", {"bug": "ignores_prompts"})
    with pytest.raises(
        AssertionError, match=r"boundary 0 of \(0, 1\), prompted encode_suffix vs encode"
    ):
        check_split_at_every_boundary(case)


def test_padding_dependent_text_fails_the_cache_check(kit_catalogue):
    """Tokens that depend on the batch's padding make a cached step differ from an uncached one."""
    with pytest.raises(AssertionError, match=r"kit/padtext@1 \[cached_step_equals_uncached\]: "):
        check_cached_step_equals_uncached(Case("encoder", "kit/padtext@1"))


def test_cache_id_blind_to_weights_is_caught(kit_catalogue, monkeypatch):
    """Without the weights in the id, two seeds of a random init would share cache entries."""
    monkeypatch.setattr(SuperNeuron, "weights_fingerprint", lambda self: "same")
    with pytest.raises(AssertionError, match="give different tokens but the same cache id"):
        check_cache_id_follows_weights(Case("encoder", "kit/split@1"))
