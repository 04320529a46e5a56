"""Masked text is pooled over its valid tokens only: padding never changes what a block sees.

Issue 21.5: the adapter pooled a text sequence into ``token_budget`` chunks by position, so a text
padded to a fixed ``max_length`` (77 for open_clip) gave other tokens than the same text re-padded
to the batch's longest sample by the feature cache (0.04-0.15 in the state).
"""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sen_core.network.adapters import pool_valid, reduce_tokens
from sen_core.neuron import Layout, Tokens


def _text(lengths: list[int], pad_to: int, d: int = 4, seed: int = 0) -> Tokens:
    """Tokens of ``len(lengths)`` texts (sample i: its own fixed values), right-padded with noise."""
    x = torch.randn(len(lengths), pad_to, d, generator=torch.Generator().manual_seed(seed + 1))
    for i, n in enumerate(lengths):
        g = torch.Generator().manual_seed(100 * seed + i)
        x[i, :n] = torch.randn(n, d, generator=g)
    mask = torch.arange(pad_to)[None] < torch.tensor(lengths)[:, None]
    return Tokens(x, Layout("sequence", tokens_per_frame=pad_to), mask=mask)


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 20), min_size=1, max_size=4),
    extra=st.integers(0, 60),
    budget=st.integers(1, 24),
)
def test_padding_never_changes_the_pooled_tokens(lengths, extra, budget):
    """The same texts padded to their longest or to longest + extra pool to identical tokens."""
    short = reduce_tokens(_text(lengths, max(lengths)), budget)
    long = reduce_tokens(_text(lengths, max(lengths) + extra), budget)
    assert short.mask is not None and long.mask is not None
    assert torch.equal(short.x, long.x) and torch.equal(short.mask, long.mask)
    n = min(budget, max(lengths))
    assert tuple(short.x.shape[:2]) == (len(lengths), n)
    assert short.mask.sum(1).tolist() == [min(n, k) for k in lengths]


def test_short_texts_pass_unchanged_and_long_ones_average_consecutive_tokens():
    """L <= budget: the valid tokens themselves; L > budget: means of consecutive runs, in order."""
    tok = _text([3, 10], 12)
    out = pool_valid(tok, 5)
    assert out.mask is not None
    assert torch.equal(out.x[0, :3], tok.x[0, :3]) and out.mask[0].tolist() == [1, 1, 1, 0, 0]
    runs = [tok.x[1, 2 * i : 2 * i + 2].mean(0) for i in range(5)]  # 10 tokens -> 5 chunks of 2
    assert torch.allclose(out.x[1], torch.stack(runs), atol=1e-6) and out.mask[1].all()


def test_gradients_reach_valid_tokens_only():
    """Padding positions get no gradient; every valid token does."""
    tok = _text([2, 6], 9)
    x = tok.x.clone().requires_grad_()
    pool_valid(Tokens(x, tok.layout, tok.mask), 4).x.sum().backward()
    assert x.grad is not None
    assert (x.grad.abs().sum(-1) > 0).tolist() == tok.mask.tolist()
