"""The build-time shape probe: an encoder whose output disagrees with its spec fails at build."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor

from sen_core.catalogue import get_catalogue
from sen_core.errors import ConfigError, SpecError
from sen_core.network import build_network
from sen_core.neuron import Layout, Tokens, build_neuron
from sen_core.neuron.probe import shape_problem
from sen_core.specs import EncoderSpec, TokenLayout
from sen_core.testing.toys import TOY_ENCODERS, ToyViT, toy_catalogue

VIT = TOY_ENCODERS[0]  # toy/vit@1: width 32, 17 tokens per frame (1 CLS + 4x4)


class Narrow(ToyViT):
    """Declares width 32 (self.width) but returns the first 16 channels."""

    def encode(self, x: Tensor, prompts: Tensor | None = None) -> Tokens:
        out = super().encode(x, prompts)
        return Tokens(out.x[..., :16].contiguous(), out.layout)


class OneFrame(ToyViT):
    """Pools every frame into one: a frames layout with 1 frame whatever T is."""

    def encode(self, x: Tensor, prompts: Tensor | None = None) -> Tokens:
        out = super().encode(x, prompts)
        b = out.x.shape[0]
        pf = out.x.reshape(b, out.layout.frames, -1, out.x.shape[-1]).mean(1)
        return Tokens(pf, Layout("frames", 1, out.layout.tokens_per_frame, out.layout.grid, 1))


class AsSequence(ToyViT):
    """Returns the right tokens with a 'sequence' layout."""

    def encode(self, x: Tensor, prompts: Tensor | None = None) -> Tokens:
        out = super().encode(x, prompts)
        return Tokens(out.x, Layout("sequence", 1, out.x.shape[1]))


def _spec(cls: type, name: str, **update: Any) -> EncoderSpec:
    return VIT.model_copy(update={"name": name, "factory": f"{__name__}:{cls.__name__}", **update})


def _net(spec: EncoderSpec) -> Any:
    data = {
        "neurons": [{"name": spec.name, "key": "vit", "input": "frames"}],
        "anchor": "vit",
        "block": "sen/fusion-concat@1",
        "depth": 0,
        "width": 32,
        "attn_heads": 2,
        "token_budget": 8,
    }
    return data


@pytest.mark.parametrize(
    ("cls", "update", "problem"),
    [
        (Narrow, {}, "token width 16 but the neuron's width is 32"),
        (ToyViT, {"width": 64}, "token width 32 but the spec declares width=64"),
        (OneFrame, {}, "1 frames of tokens for 2 input frames"),
        (AsSequence, {}, "a 'sequence' layout but the spec declares 'frames'"),
        (
            ToyViT,
            {
                "layout": TokenLayout(
                    kind="frames", tokens_per_frame=10, grid=(3, 3), special_tokens=1
                )
            },
            "17 tokens per frame but the spec declares tokens_per_frame=10; grid (4, 4) but the "
            "spec declares grid=(3, 3)",
        ),
    ],
)
def test_build_neuron_refuses_an_encoder_that_breaks_its_spec(cls, update, problem):
    """One line naming the encoder, the probe's output shape and each disagreement."""
    name = f"kit/{cls.__name__.lower()}-{len(update)}@1"
    with pytest.raises(SpecError) as err:
        build_neuron(_spec(cls, name, **update))
    msg = str(err.value)
    assert msg.startswith(f"encoder '{name}': the shape probe got (1, ") and msg.endswith(problem)
    assert "\n" not in msg


def test_build_network_names_the_neuron_entry_before_training():
    """The D=64-declared, D=32-returning encoder of the issue: a ConfigError at build, one line."""
    spec = _spec(ToyViT, "kit/wide@1", width=64)
    cat = toy_catalogue(spec, get_catalogue().get("sen/fusion-concat@1"))
    with pytest.raises(ConfigError) as err:
        build_network(_net(spec), catalogue=cat)
    assert str(err.value).endswith(
        "model.neurons[0]: encoder 'kit/wide@1': the shape probe got (1, 34, 32) tokens: "
        "token width 32 but the spec declares width=64"
    )


def test_a_changed_param_exempts_the_declared_layout_not_the_neuron_width():
    """tokens_per_frame='cls' changes the layout the spec declares for its defaults: allowed."""
    neuron = build_neuron(VIT, tokens_per_frame="cls")
    assert shape_problem(neuron, VIT, {**VIT.params, "tokens_per_frame": "cls"}) is None


def test_the_probe_leaves_rng_and_train_modes_as_they_were():
    """No draw from the global RNG, no module left in eval mode, no gradient kept."""
    neuron = ToyViT(VIT.model_copy(update={"name": "kit/rng@1"}), trainable="all").train()
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    assert shape_problem(neuron, neuron.spec, dict(VIT.params)) is None
    assert torch.equal(torch.rand(3), expected)
    assert all(m.training for m in neuron.modules())
    assert all(p.grad is None for p in neuron.parameters())
