"""``grad_steps``: truncated backpropagation through the prompted re-encodings."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from _network_helpers import make_batch, make_spec
from pydantic import ValidationError

from sen_core.network import build_network


def _grad_modes(net: Any, key: str = "vit") -> list[bool]:
    """Whether autograd was on in each prompted re-encoding of ``key`` during one forward."""
    neuron = net.neurons[key]
    seen: list[bool] = []
    real = neuron.encode_suffix

    def spy(*args: Any, **kw: Any) -> Any:
        seen.append(torch.is_grad_enabled())
        return real(*args, **kw)

    neuron.encode_suffix = spy
    try:
        net(make_batch())
    finally:
        del neuron.encode_suffix
    return seen


@pytest.mark.parametrize(
    ("grad_steps", "modes"),
    [(None, [True] * 3), (1, [False, False, True]), (2, [False, True, True]), (5, [True] * 3)],
)
def test_only_the_last_steps_are_backpropagated(catalogue, grad_steps, modes):
    net = build_network(
        make_spec(neurons=("vit", "question"), depth=3, grad_steps=grad_steps), catalogue=catalogue
    )
    assert _grad_modes(net) == modes


def test_truncation_changes_gradients_not_outputs(catalogue):
    """Same weights: identical forward; the prompt generators get a different gradient."""
    outs, grads = [], []
    for g in (None, 1):
        torch.manual_seed(0)
        net = build_network(
            make_spec(neurons=("vit", "question"), depth=2, grad_steps=g), catalogue=catalogue
        )
        with torch.no_grad():  # open the ReZero gates so every step matters
            for name, p in net.named_parameters():
                if "gate" in name:
                    p.fill_(1.0)
        torch.manual_seed(1)
        out = net(make_batch())
        (out.state * torch.randn_like(out.state)).sum().backward()
        outs.append(out.state.detach())
        grads.append(
            torch.cat(
                [
                    p.grad.flatten()
                    for n, p in net.block.named_parameters()
                    if p.grad is not None and "distribut" in n
                ]
            )
        )
    torch.testing.assert_close(outs[0], outs[1])
    assert grads[1].abs().sum() > 0
    assert not torch.allclose(grads[0], grads[1])


def test_grad_steps_must_be_positive():
    with pytest.raises(ValidationError, match="grad_steps"):
        make_spec(grad_steps=0)
