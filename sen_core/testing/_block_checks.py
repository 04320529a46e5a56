"""Block conformance checks: an RA block (or baseline) works inside a network of tiny neurons.

Each ``check_*(case)`` builds networks of the kit's toy neurons (``sen_core.testing.toys``: a
token-prompted ViT anchor, a FiLM CNN, a non-promptable video conv, a masked prompted text
encoder, fixed caption and class-name encoders) around the block under test, at width 32, and
asserts one rule. A block that is not recursive is checked at depth 0 only.
"""

from __future__ import annotations

from typing import Any

from sen_core.testing._cases import Case
from sen_core.testing._report import expect, shape
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
            expect(
                shape(out.state) == (2, TOKENS, WIDTH),
                f"{where}: state shape (B, token_budget, width)",
                expected=(2, TOKENS, WIDTH),
                actual=shape(out.state),
            )
            expect(
                shape(out.pooled) == (2, WIDTH),
                f"{where}: pooled shape",
                expected=(2, WIDTH),
                actual=shape(out.pooled),
            )
            expect(
                len(out.states) == depth + 1,
                f"{where}: number of states (K + 1)",
                expected=depth + 1,
                actual=len(out.states),
            )
            nonfinite = [i for i, s in enumerate(out.states) if not torch.isfinite(s).all()]
            expect(not nonfinite, f"{where}: non-finite states", expected=[], actual=nonfinite)
            loss = out.pooled.square().mean() + sum(out.aux_losses.values())
            expect(
                torch.isfinite(loss),
                f"{where}: loss",
                expected="finite",
                actual=float(loss.detach()),
            )
            loss.backward()
            bad = [
                n
                for n, p in net.named_parameters()
                if p.grad is not None and not torch.isfinite(p.grad).all()
            ]
            expect(
                bad == [], f"{where}: parameters with non-finite gradients", expected=[], actual=bad
            )
            thawed = [n for n, p in net.neurons.named_parameters() if p.requires_grad]
            expect(not thawed, f"{where}: trainable neuron weights", expected=[], actual=thawed)


def check_gradients_reach_every_trainable_parameter(case: Case) -> None:
    """At depth 2, shared or not, backward gives every trainable block parameter a gradient."""
    batch = make_network_batch()
    for share in (True, False):
        net = build(case, 2 if 2 in _depths(case) else 0, share, distill_weight=0.1)
        out = net(batch)
        (out.pooled.square().mean() + sum(out.aux_losses.values())).backward()
        missed = [n for n, p in net.block.named_parameters() if p.requires_grad and p.grad is None]
        expect(
            missed == [],
            f"share_weights={share}: trainable block parameters without a gradient",
            expected=[],
            actual=missed,
        )


def check_shared_weights_are_shared(case: Case) -> None:
    """Shared step weights do not grow with depth; per-step weights do (recursive blocks)."""
    if len(_depths(case)) == 1:
        from sen_core.testing._encoder_checks import SkipCheck

        raise SkipCheck("not recursive: one step")

    def count(depth: int, share: bool) -> int:
        return sum(p.numel() for p in build(case, depth, share).block.parameters())

    s1, s3, p1, p3 = count(1, True), count(3, True), count(1, False), count(3, False)
    expect(
        s1 == s3 or s3 - s1 < p3 - p1,
        "shared weights grow with depth like per-step ones: parameters at depth 1 -> 3",
        expected=f"shared growth < per-step growth {p1} -> {p3}",
        actual=f"shared {s1} -> {s3}",
    )
    expect(
        p3 > p1,
        "per-step weights grow with depth: parameters at depth 1 -> 3",
        expected=f"more than {p1}",
        actual=p3,
    )


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
    stray = sorted({k for k, _ in sent} - set(net.prompted))
    expect(
        not stray,
        "prompts sent to neurons that are not prompted",
        expected=sorted(net.prompted),
        actual=stray,
    )
    for key, got in sent:
        slot = net.neurons[key].prompt_slot()
        expect(got[0] == 2, f"'{key}': prompts' batch axis", expected=2, actual=got)
        if slot.kind == "tokens":
            ok = len(got) in (3, 4) and got[-1] == slot.dim
            want = f"(2, M, {slot.dim}) or (2, depth, M, {slot.dim})"
            expect(ok, f"'{key}': prompts shape for its token slot", expected=want, actual=got)
        else:
            want2 = (2, slot.film_size)
            expect(
                got == want2,
                f"'{key}': prompts shape for its FiLM slot",
                expected=want2,
                actual=got,
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
    for src, want in (("class_names", (3, WIDTH)), ("question", (2, WIDTH))):
        got = shape(out.text.get(src))
        expect(got == want, f"text features of '{src}'", expected=want, actual=got)
    diff = float((out.state[:1] - one.state).abs().max())
    expect(
        diff < 1e-4,
        "the first clip's state alone vs beside a longer question (max abs difference)",
        expected="< 1e-4",
        actual=diff,
    )


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
        diff = float((net(batch).state - loaded(batch).state).abs().max())
    expect(diff == 0, "state after save/load (max abs difference)", expected=0.0, actual=diff)


BLOCK_CHECKS = (
    check_forward_backward_at_every_depth,
    check_gradients_reach_every_trainable_parameter,
    check_shared_weights_are_shared,
    check_prompts_match_neuron_slots,
    check_masked_and_class_name_neurons,
    check_save_load_round_trip,
)
