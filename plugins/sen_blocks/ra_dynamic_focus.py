"""``sen/ra-dynamic-focus@1``: RA over a question-focused state: key frames keep their tokens,
the other frames are compressed to ``coarse_tokens`` tokens each.

Source: Han et al. 2024, "DynFocus: Dynamic Cooperative Network Empowers LLMs with Video
Understanding" (arXiv 2411.12355): question-conditioned frame scores pick key frames encoded in
detail, the rest are encoded coarsely. Selection is differentiable while training by perturbed
top-k (Cordonnier et al. 2021, arXiv 2104.03059) and a hard top-k in evaluation. The state has
k * P + (T - k) * min(coarse_tokens, P) tokens (k = min(key_frames, T), P tokens per frame).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sen_core.network import StepContext
from sen_core.neuron import Tokens

from ._common import perturbed_topk
from .ra_cross import CrossRA

__all__ = ["DynamicFocusRA", "focus_token_count"]

_QUERY_SOURCES = ("question", "query")


def focus_token_count(
    frames: int, tokens_per_frame: int, key_frames: int, coarse_tokens: int
) -> int:
    """How many tokens the focused state holds."""
    k = min(key_frames, frames)
    return k * tokens_per_frame + (frames - k) * min(coarse_tokens, tokens_per_frame)


class DynamicFocusRA(CrossRA):
    """``sen/ra-cross@1`` whose initial state keeps only the question's key frames in detail."""

    def __init__(
        self,
        spec,
        *,
        width: int,
        neurons,
        anchor: str,
        depth: int,
        share_weights: bool = True,
        attn_heads: int = 4,
        prompt_tokens: int = 4,
        ffn_mult: int = 2,
        zero_init_steps: bool = True,
        key_frames: int = 4,
        coarse_tokens: int = 2,
        sigma: float = 0.05,
        samples: int = 32,
    ) -> None:
        super().__init__(
            spec,
            width=width,
            neurons=neurons,
            anchor=anchor,
            depth=depth,
            share_weights=share_weights,
            attn_heads=attn_heads,
            prompt_tokens=prompt_tokens,
            ffn_mult=ffn_mult,
            zero_init_steps=zero_init_steps,
        )
        self.key_frames, self.coarse_tokens = key_frames, coarse_tokens
        self.sigma, self.samples = sigma, samples
        self.query_keys = [k for k, n in neurons.items() if n.source in _QUERY_SOURCES]
        self.score_norm = nn.LayerNorm(width)
        self.score_q = nn.Linear(width, width)
        self.score_k = nn.Linear(width, width)

    @classmethod
    def check_params(cls, params: dict[str, Any], *, depth: int) -> list[str]:
        problems = super().check_params(params, depth=depth)
        for k in ("key_frames", "coarse_tokens", "samples"):
            v = params.get(k)
            if not isinstance(v, int) or v < 1:
                problems.append(f"{k}: must be an int >= 1, got {v!r}")
        s = params.get("sigma")
        if not isinstance(s, (int, float)) or s <= 0:
            problems.append(f"sigma: must be a number > 0, got {s!r}")
        return problems

    def frame_scores(self, frames: Tensor, feats: dict[str, Tokens]) -> Tensor:
        """Relevance (B, T) of each frame (B, T, P, D) to the question (the clip itself without one)."""
        if self.query_keys:
            query = torch.stack([feats[k].pooled() for k in self.query_keys]).mean(0)  # (B, D)
        else:
            query = frames.mean((1, 2))
        q = self.score_q(self.score_norm(query))
        k = self.score_k(self.score_norm(frames.mean(2)))  # (B, T, D)
        return (k @ q.unsqueeze(-1)).squeeze(-1) / math.sqrt(q.shape[-1])

    def init_state(self, feats: dict[str, Tokens], ctx: StepContext) -> Tensor:
        x = feats[self.anchor].x
        b, _, d = x.shape
        t, p = ctx.frames, ctx.tokens_per_frame
        frames = x.reshape(b, t, p, d)
        scores = self.frame_scores(frames, feats)
        k = min(self.key_frames, t)
        top = scores.topk(k, dim=1).indices.sort(dim=1).values  # (B, k) in time order
        ctx.carry["key_frames"] = top
        if ctx.training:
            sel = perturbed_topk(scores, k, samples=self.samples, sigma=self.sigma)  # (B, k, T)
            keep = torch.einsum("bkt,btpd->bkpd", sel, frames)
        else:
            keep = frames.gather(1, top[:, :, None, None].expand(-1, -1, p, d))
        chosen = torch.zeros_like(scores).scatter(1, top, 1.0)
        rest_idx = torch.argsort(chosen, dim=1, stable=True)[
            :, : t - k
        ]  # unselected frames, in time order
        rest = frames.gather(1, rest_idx[:, :, None, None].expand(-1, -1, p, d))  # (B, T - k, P, D)
        c = min(self.coarse_tokens, p)
        rest = F.adaptive_avg_pool1d(rest.reshape(-1, p, d).transpose(1, 2), c).transpose(1, 2)
        return torch.cat([keep.reshape(b, k * p, d), rest.reshape(b, (t - k) * c, d)], dim=1)
