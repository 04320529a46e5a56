"""Validation reports every problem of a spec at once, with key paths, before anything is built."""

from __future__ import annotations

import pytest
from _network_helpers import make_spec

from sen_core.errors import ConfigError
from sen_core.network import build_network


def _problems(spec, catalogue) -> list[str]:
    with pytest.raises(ConfigError) as info:
        build_network(spec, catalogue=catalogue)
    return info.value.problems


def test_all_problems_at_once(catalogue):
    """Unknown names (with suggestions), wrong inputs, a text anchor, bad block params and depth, head needs."""
    spec = {
        "neurons": [
            {"name": "toy/vitt@1", "key": "vit", "input": "frames"},
            {"name": "toy/text-fixed@1", "key": "caption", "input": "caption"},
            {"name": "toy/video@1", "key": "vid", "input": "question"},
        ],
        "anchor": "caption",
        "block": "sen/fusion-concat@1",
        "depth": 2,
        "block_params": {"hidden_mul": 3},
        "heads": [{"name": "toy/zeroshot@1"}, {"name": "toy/clasify@1"}],
    }
    assert _problems(spec, catalogue) == [
        "model.neurons[0].name: unknown encoder component 'toy/vitt@1'; did you mean 'toy/vit@1' or "
        "'toy/text@1' or 'toy/video@1'?",
        "model.neurons[2].input: 'toy/video@1' is a video encoder and cannot read 'question'; "
        "expected one of video, frames",
        "model.anchor: 'caption' reads 'caption' (text); the anchor must be a visual neuron (video or frames)",
        "model.block_params.hidden_mul: unknown parameter of block 'sen/fusion-concat@1'; did you mean 'hidden_mult'? "
        "(it takes: hidden_mult)",
        "model.depth: 2, but 'sen/fusion-concat@1' is not recursive (a single pass); set depth: 0",
        "model.heads[0]: 'toy/zeroshot@1' needs a text neuron reading 'class_names' "
        "(add a text encoder with input: class_names)",
        "model.heads[1].name: unknown head component 'toy/clasify@1'; did you mean 'toy/classify@1' or "
        "'toy/zeroshot@1' or 'toy/retrieval@1'?",
    ]


def test_message_lists_problems(catalogue):
    """The exception text has a count and one line per problem."""
    with pytest.raises(ConfigError) as info:
        build_network(make_spec(anchor="nope"), catalogue=catalogue)
    assert str(info.value) == (
        "invalid network spec (1 problem): model.anchor: anchor 'nope' is not the key of a "
        "neuron; the keys are 'vit', 'film', 'vid', 'question'"
    )


def test_needs_prompting_without_promptable_neuron(catalogue):
    """A block that needs prompting paired with only prompt-free neurons; retrieval without a caption neuron."""
    spec = make_spec(
        neurons=("vid", "classes"),
        anchor="vid",
        block="toy/needs-prompts@1",
        heads=[{"name": "toy/retrieval@1", "key": "ret"}],
    )
    assert _problems(spec, catalogue) == [
        "model.block: 'toy/needs-prompts@1' needs a promptable neuron (prompting tokens or film, prompt: true, "
        "not reading caption or class_names); none of vid, classes is one",
        "model.heads[0]: 'toy/retrieval@1' needs a text neuron reading 'caption' "
        "(add a text encoder with input: caption)",
    ]


def test_pydantic_errors_have_key_paths(catalogue):
    """Schema errors from a plain dict come back as key paths under model."""
    spec = {"neurons": [{"name": "toy/vit@1", "input": "vidoe"}], "anchor": "vit", "depth": -1}
    assert _problems(spec, catalogue) == [
        "model.neurons[0].input: Input should be 'video', 'frames', 'caption', 'question', 'query', "
        "'class_names' or 'audio'",
        "model.depth: Input should be greater than or equal to 0",
    ]


def test_width_not_divisible_by_heads(catalogue):
    """Widths: the state width must split evenly across attention heads."""
    spec = {
        "neurons": [{"name": "toy/vit@1", "input": "frames"}],
        "anchor": "vit",
        "width": 30,
        "attn_heads": 4,
    }
    assert _problems(spec, catalogue) == [
        "model: Value error, width 30 must be divisible by attn_heads 4"
    ]


def test_trainable_conflict(catalogue):
    """trainable set twice with different values is reported."""
    spec = make_spec(neurons=("vit",))
    vit = spec.neurons[0].model_copy(
        update={"trainable": "all", "params": {"trainable": "prompts"}}
    )
    assert _problems(spec.model_copy(update={"neurons": [vit]}), catalogue) == [
        "model.neurons[0]: trainable is 'all' but params.trainable is 'prompts'; set one of them"
    ]


def test_resolved_spec_is_explicit_and_hash_stable(catalogue):
    """The resolved spec names every key and default parameter; equal specs give equal hashes."""
    a = build_network(make_spec(), catalogue=catalogue)
    b = build_network(make_spec(block_params={"ffn_mult": 2}), catalogue=catalogue)
    assert a.spec.block_params == {"ffn_mult": 2, "zero_init_steps": True}
    assert a.spec.neuron("vit").params == {"tokens_per_frame": "all", "seed": 0}
    assert [n.key for n in a.spec.neurons] == ["vit", "film", "vid", "question"]
    assert a.spec_hash == b.spec_hash == a.spec.hash()
    c = build_network(make_spec(depth=1), catalogue=catalogue)
    assert c.spec_hash != a.spec_hash
