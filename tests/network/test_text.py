"""Text neurons: question/class-name neurons take part in integration, caption neurons only give
out.text['caption'], and class-name tokens are shared by the batch."""

from __future__ import annotations

import torch
from _network_helpers import make_batch, make_spec

from sen_core.network import build_network, describe_network

ALL = ("vit", "vid", "question", "caption", "classes")


def test_text_outputs_and_roles(catalogue):
    """out.text has a D-wide projection per text input; only the caption neuron stays out of the state."""
    torch.manual_seed(0)
    net = build_network(make_spec(neurons=ALL, depth=1), catalogue=catalogue).eval()
    out = net(make_batch())
    assert {k: tuple(v.shape) for k, v in out.text.items()} == {
        "question": (2, 32),
        "caption": (2, 32),
        "class_names": (3, 32),
    }
    assert net.integrated == ["vit", "vid", "question", "classes"]
    assert out.features["classes"].x.shape[0] == 3  # (C, N, D): one row per class name
    assert "caption" in out.features


def test_caption_does_not_leak_into_state(catalogue):
    """Changing the captions changes out.text['caption'] but not the video state."""
    torch.manual_seed(0)
    net = build_network(make_spec(neurons=ALL, depth=2), catalogue=catalogue).eval()
    a, b = make_batch(), make_batch()
    b["caption"] = ["something else entirely", "and another one"]
    with torch.no_grad():
        oa, ob = net(a), net(b)
    assert torch.equal(oa.state, ob.state)
    assert not torch.equal(oa.text["caption"], ob.text["caption"])


def test_question_and_class_names_are_integrated(catalogue):
    """Changing the question or the class names changes the state."""
    torch.manual_seed(0)
    net = build_network(make_spec(neurons=ALL, depth=1), catalogue=catalogue).eval()
    base = make_batch()
    with torch.no_grad():
        ref = net(base).state
        for field, value in (
            ("question", ["who", "when"]),
            ("class_names", ["dog", "cat", "bird"]),
        ):
            changed = dict(base, **{field: value})
            assert not torch.equal(net(changed).state, ref), field


def test_class_names_shared_across_batch(catalogue):
    """Every clip sees the same class-name tokens: a clip's state does not depend on its batch-mates."""
    torch.manual_seed(0)
    net = build_network(make_spec(neurons=("vit", "classes"), depth=2), catalogue=catalogue).eval()
    batch = make_batch(b=3)
    one = {k: (v[:1] if k not in ("class_names",) else v) for k, v in batch.items()}
    with torch.no_grad():
        torch.testing.assert_close(net(batch).state[:1], net(one).state, rtol=1e-5, atol=1e-6)


def test_identical_frozen_neurons_share_one_module(catalogue):
    """A frozen text encoder reading captions and class names is built once; its weights count once."""
    spec = make_spec(neurons=("vit", "caption", "classes"))
    classes = spec.neurons[2].model_copy(update={"name": "toy/text-fixed@1"})
    net = build_network(
        spec.model_copy(update={"neurons": [*spec.neurons[:2], classes]}), catalogue=catalogue
    )
    assert net.neurons["caption"] is net.neurons["classes"]
    d = describe_network(net)
    assert d["neurons"][2]["shares_module_with"] == "caption"
    assert (
        d["parameters"]["frozen"]
        == d["neurons"][0]["parameters"]["frozen"] + d["neurons"][1]["parameters"]["frozen"]
    )
    trained = spec.neurons[2].model_copy(update={"trainable": "all"})
    net2 = build_network(
        spec.model_copy(update={"neurons": [*spec.neurons[:2], trained]}), catalogue=catalogue
    )
    assert net2.neurons["caption"] is not net2.neurons["classes"]
