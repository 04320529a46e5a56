"""Attention and feed-forward layers used by the RA blocks; all attention goes through
``F.scaled_dot_product_attention`` (fused kernels on every backend).

Shapes: queries (B, L, D), context (B, N, D), key mask (B, N) with True = attend.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["CrossAttention", "FeedForward", "SelfAttention", "attend"]


def attend(q: Tensor, k: Tensor, v: Tensor, heads: int, mask: Tensor | None = None) -> Tensor:
    """Multi-head attention of (B, L, D) queries over (B, N, D) keys/values -> (B, L, D).

    ``mask``: (B, N) bool (True = valid) or a float bias (B, N) added to the logits.

    Args:
        q: (B, L, D) queries; k, v: (B, N, D) keys and values (already projected).
        heads: attention heads (D must divide by it).
        mask: None, (B, N) bool or a float bias.

    Returns:
        (B, L, D).
    """
    b, length, d = q.shape
    n = k.shape[1]
    q = q.view(b, length, heads, d // heads).transpose(1, 2)
    k = k.reshape(k.shape[0], n, heads, d // heads).transpose(1, 2)
    v = v.reshape(v.shape[0], n, heads, d // heads).transpose(1, 2)
    if mask is not None:
        mask = mask[:, None, None, :]  # (B, 1, 1, N): broadcast over heads and queries
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return out.transpose(1, 2).reshape(b, length, d)


class CrossAttention(nn.Module):
    """Queries from ``x`` attend to ``context``; pre-norm on both sides is the caller's choice.

    Args:
        width: D of queries and context.
        heads: attention heads.
    """

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: Tensor, context: Tensor, mask: Tensor | None = None) -> Tensor:
        """Cross-attention (q, k, v and output projections).

        Args:
            x: (B, L, D) queries.
            context: (B, N, D), or (1, N, D) shared by the batch (e.g. class names).
            mask: (B, N) True = attend, or None.

        Returns:
            (B, L, D) (no residual: add it yourself).
        """
        k, v = self.kv(context).chunk(2, dim=-1)
        if k.shape[0] != x.shape[0]:  # context shared by the batch (e.g. class names): (1, N, D)
            k, v = k.expand(x.shape[0], -1, -1), v.expand(x.shape[0], -1, -1)
        out: Tensor = self.out(attend(self.q(x), k, v, self.heads, mask))
        return out


class SelfAttention(nn.Module):
    """Tokens attend to each other.

    Args:
        width: D.
        heads: attention heads.
    """

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """Self-attention.

        Args:
            x: (B, N, D).
            mask: (B, N) True = attend, or None.

        Returns:
            (B, N, D) (no residual).
        """
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        out: Tensor = self.out(attend(q, k, v, self.heads, mask))
        return out


class FeedForward(nn.Module):
    """Pre-norm MLP: LN -> Linear(D, mult * D) -> GELU -> Linear(mult * D, D).

    Args:
        width: D.
        mult: hidden width factor.
    """

    def __init__(self, width: int, mult: int = 2) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(width),
            nn.Linear(width, mult * width),
            nn.GELU(),
            nn.Linear(mult * width, width),
        )

    def forward(self, x: Tensor) -> Tensor:
        """(..., D) -> (..., D) (no residual)."""
        out: Tensor = self.net(x)
        return out
