"""Block conformance checks: an RA block (or baseline) works inside a network of tiny neurons.

Each ``check_*(case)`` builds networks of the kit's toy neurons (``sen_core.testing.toys``: a
token-prompted ViT anchor, a FiLM CNN, a non-promptable video conv, a masked prompted text
encoder, fixed caption and class-name encoders) around the block under test, at width 32, and
asserts one rule. A block that is not recursive is checked at depth 0 only.
"""

from __future__ import annotations

from typing import Any

from sen_core.testing._cases import Case
from sen_core.testing.batches import make_network_batch

__all__ = ["BLOCK_CHECKS", "network_spec"]

WIDTH, TOKENS = 32, 16  # state width; token budget (4 frames x 4 tokens)
_NEURONS = (
    {"name": "toy/vit@1", "key": "vit", "input": "frames"},
    {"name": "toy/film@1", "key": "film", "input": "video"},
    {"name": "toy/video@1", "key": "vid", "input": "video"},
    {"name": "toy/text@1", "key": "question", "input": "question"},
    {"name": "toy/text-fixed@1", "key": "caption", "input": "caption"},
    {"name": "toy/text-fixed@1", "key": "classes", "input": "class_names"},
)


def network_spec(case: Case, depth: int, share_weights: bool = True, **kw: Any) -> Any:
    """The ``NetworkSpec`` of the toy network around the case's block.

    Args:
        case: the block case (its params become ``block_params``).
        depth: RA steps K; share_weights: one set of step weights, or one per step.
        kw: more NetworkSpec fields.

    Returns:
        A ``sen_core.network.spec.NetworkSpec`` (anchor ``vit``, width 32, 2 prompt tokens).
    """
    from sen_core.network.spec import NetworkSpec

    data: dict[str, Any] = {
        "neurons": list(_NEURONS),
        "anchor": "vit",
        "block": case.name,
        "block_params": dict(case.params),
        "depth": depth,
        "share_weights": share_weights,
        "width": WIDTH,
        "attn_heads": 2,
        "token_budget": TOKENS,
        "prompt_tokens": 2,
    }
    return NetworkSpec.model_validate(data | kw)


def _catalogue(case: Case) -> Any:
    from sen_core.catalogue import get_catalogue
    from sen_core.testing.toys import toy_catalogue

    return toy_catalogue(get_catalogue().get(case.name, kind="block"))


def build(case: Case, depth: int, share_weights: bool = True, **kw: Any) -> Any:
    """The toy network around the case's block (seeded), in train mode."""
    import torch

    from sen_core.network import build_network

    torch.manual_seed(0)
    spec = network_spec(case, depth, share_weights, **kw)
    return build_network(spec, catalogue=_catalogue(case)).train()


def _depths(case: Case) -> tuple[int, ...]:
    from sen_core.catalogue import get_catalogue

    return (0, 1, 2, 3) if get_catalogue().get(case.name, kind="block").recursive else (0,)


def check_forward_backward_at_every_depth(case: Case) -> None:
    """Depths 0-3, shared and per-step weights: K + 1 finite states of (B, 16, 32), frozen neurons."""
    import torch

    batch = make_network_batch()
    for depth in _depths(case):
        for share in (True, False):
            net = build(case, depth, share, distill_weight=0.1)
            out = net(batch)
            where = f"depth {depth}, share_weights={share}"
            assert tuple(out.state.shape) == (2, TOKENS, WIDTH), f"{where}: {out.state.shape}"
            assert tuple(out.pooled.shape) == (2, WIDTH), where
            assert len(out.states) == depth + 1, f"{where}: {len(out.states)} states"
            assert all(torch.isfinite(s).all() for s in out.states), f"{where}: non-finite state"
            loss = out.pooled.square().mean() + sum(out.aux_losses.values())
            assert torch.isfinite(loss), f"{where}: loss {float(loss)}"
            loss.backward()
            bad = [
                n
                for n, p in net.named_parameters()
                if p.grad is not None and not torch.isfinite(p.grad).all()
            ]
            assert bad == [], f"{where}: non-finite gradients in {bad}"
            assert not any(p.requires_grad for p in net.neurons.parameters()), where


def check_gradients_reach_every_trainable_parameter(case: Case) -> None:
    """At depth 2, shared or not, backward gives every trainable block parameter a gradient."""
    batch = make_network_batch()
    for share in (True, False):
        net = build(case, 2 if 2 in _depths(case) else 0, share, distill_weight=0.1)
        out = net(batch)
        (out.pooled.square().mean() + sum(out.aux_losses.values())).backward()
        missed = [n for n, p in net.block.named_parameters() if p.requires_grad and p.grad is None]
        assert missed == [], f"share_weights={share}: no gradient reaches {missed}"


def check_shared_weights_are_shared(case: Case) -> None:
    """Shared step weights do not grow with depth; per-step weights do (recursive blocks)."""
    if len(_depths(case)) == 1:
        from sen_core.testing._encoder_checks import SkipCheck

        raise SkipCheck("not recursive: one step")

    def count(depth: int, share: bool) -> int:
        return sum(p.numel() for p in build(case, depth, share).block.parameters())

    assert count(1, True) == count(3, True) or count(3, True) - count(1, True) < (
        count(3, False) - count(1, False)
    ), "shared weights grow with depth like per-step ones"
    assert count(3, False) > count(1, False), "per-step weights do not grow with depth"


def check_prompts_match_neuron_slots(case: Case) -> None:
    """Every prompt the block sends fits the neuron's prompt slot (tokens (B, M, dim), FiLM)."""
    if len(_depths(case)) == 1:
        from sen_core.testing._encoder_checks import SkipCheck

        raise SkipCheck("not recursive: no prompts")
    net = build(case, 2).eval()
    sent: list[tuple[str, tuple[int, ...]]] = []
    reencode = net._reencode

    def spy(key: str, boundary: Any, prompts: Any, *rest: Any) -> Any:
        sent.append((key, tuple(prompts.shape)))
        return reencode(key, boundary, prompts, *rest)

    net._reencode = spy
    net(make_network_batch())
    assert {k for k, _ in sent} <= set(net.prompted), sent
    for key, shape in sent:
        slot = net.neurons[key].prompt_slot()
        assert shape[0] == 2, f"'{key}': prompts {shape}, batch is 2"
        if slot.kind == "tokens":
            ok = len(shape) in (3, 4) and shape[-1] == slot.dim
            assert ok, f"'{key}': prompts {shape}, slot takes (B, M, {slot.dim})"
        else:
            assert shape == (2, slot.film_size), (
                f"'{key}': {shape}, FiLM slot (2, {slot.film_size})"
            )


def check_masked_and_class_name_neurons(case: Case) -> None:
    """Padding is masked (a clip's state is the same alone or beside a longer question) and
    class names are projected to (C, width)."""
    import torch

    net = build(case, _depths(case)[-1]).eval()
    batch = make_network_batch()
    alone = {k: (v[:1] if k != "class_names" else v) for k, v in batch.items()}
    with torch.no_grad():
        out, one = net(batch), net(alone)
    assert tuple(out.text["class_names"].shape) == (3, WIDTH)
    assert tuple(out.text["question"].shape) == (2, WIDTH)
    diff = float((out.state[:1] - one.state).abs().max())
    assert diff < 1e-4, f"the first clip's state changes by {diff} with the second clip beside it"


def check_save_load_round_trip(case: Case) -> None:
    """save_network then load_network reproduces the state exactly (trained glue weights)."""
    import tempfile

    import torch

    from sen_core.network import load_network, save_network

    net = build(case, _depths(case)[-1] if len(_depths(case)) == 1 else 2)
    with torch.no_grad():
        for p in net.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.05)
    net.eval()
    batch = make_network_batch()
    with tempfile.TemporaryDirectory() as tmp:
        save_network(net, tmp)
        loaded = load_network(tmp, catalogue=_catalogue(case))
    with torch.no_grad():
        assert torch.equal(net(batch).state, loaded(batch).state)


BLOCK_CHECKS = (
    check_forward_backward_at_every_depth,
    check_gradients_reach_every_trainable_parameter,
    check_shared_weights_are_shared,
    check_prompts_match_neuron_slots,
    check_masked_and_class_name_neurons,
    check_save_load_round_trip,
)
