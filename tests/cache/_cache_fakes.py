"""A tiny fake network with the encode_step0 / neuron_cache_id contract, and cache writer processes."""

from __future__ import annotations

from collections import Counter

import torch

from sen_core.network.spec import NetworkSpec
from sen_core.neuron import Boundary, Layout, Tokens


class FakeNet:
    """Encodes video as (mean, max) colour tokens per frame and text as word embeddings with context.

    Counts calls and sub-batch sizes so tests can see what the cache saved.
    """

    def __init__(self, spec: NetworkSpec, dim: int = 8) -> None:
        self.spec = spec
        self.calls: Counter = Counter()
        self.sizes: list[tuple[str, int]] = []
        self.cache_ids = {n.id: f"fake-{n.id}-v1" for n in spec.neurons}
        g = torch.Generator().manual_seed(0)
        self.proj = torch.randn(3, dim, generator=g)
        self.emb = torch.randn(97, dim, generator=g)

    def neuron_cache_id(self, key: str) -> str | None:
        return self.cache_ids[key]

    def parameters(self):
        return iter([self.proj])

    def cacheable(self, key: str) -> bool:
        return self.spec.neuron(key).trainable == "none"

    def encode_boundary(self, key: str, batch: dict) -> Boundary:
        return Boundary(output=self.encode_step0(key, batch))

    def encode_step0(self, key: str, batch: dict) -> Tokens:
        entry = self.spec.neuron(key)
        self.calls[key] += 1
        if entry.input in ("video", "frames"):
            v = batch["video"].float() / 255.0  # (B, T, H, W, 3)
            b, t = v.shape[:2]
            stats = torch.stack([v.mean(dim=(2, 3)), v.amax(dim=(2, 3))], dim=2)  # (B, T, 2, 3)
            x = (stats @ self.proj).reshape(b, t * 2, -1)  # (B, T*2, D)
            self.sizes.append((key, b))
            return Tokens(x=x, layout=Layout(kind="frames", frames=t, tokens_per_frame=2))
        texts = batch[entry.input]
        ids = [[sum(map(ord, w)) % 97 for w in s.split()] for s in texts]
        n = max(len(i) for i in ids)
        x = torch.zeros(len(texts), n, self.emb.shape[1])
        mask = torch.zeros(len(texts), n, dtype=torch.bool)
        for i, row in enumerate(ids):
            e = self.emb[row]
            x[i, : len(row)] = e + e.mean(0, keepdim=True)  # context: each token sees its sentence
            x[i, len(row) :] = 0.5  # padding outputs are not zero in real encoders either
            mask[i, : len(row)] = True
        self.sizes.append((key, len(texts)))
        return Tokens(x=x, layout=Layout(kind="sequence", tokens_per_frame=n), mask=mask)


def hammer(root: str, value: float, n: int, barrier) -> None:
    """Write the same cache key ``n`` times with tensors full of ``value`` (run in a child process)."""
    from sen_core.neuron.cache import FeatureCache

    cache = FeatureCache(root)
    x = torch.full((64, 64), float(value))
    barrier.wait()  # both writers start together, so their writes interleave
    for _ in range(n):
        cache.put("neuron-a", "same-input", {"x": x}, {"writer": str(value)})
