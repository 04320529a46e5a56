"""sen/shapes@1 reproducibility: samples depend only on (seed, split, index), at any size."""

from __future__ import annotations

import pytest
import torch


def _equal(a: dict, b: dict) -> bool:
    for k, va in a.items():
        vb = b[k]
        same = torch.equal(va, vb) if isinstance(va, torch.Tensor) else va == vb
        if not same:
            return False
    return set(a) == set(b)


def test_same_seed_gives_identical_samples(shapes):
    """Two datasets with the same seed and split yield identical tensors and texts."""
    a, b = shapes(seed=3), shapes(seed=3)
    for i in (0, 5, 63):
        assert _equal(a[i], b[i])


def test_any_index_is_reproducible_on_its_own(shapes):
    """Sample 7 is the same whether or not earlier samples were drawn first (no shared RNG state)."""
    a, b = shapes(), shapes()
    _ = [a[i] for i in range(7)]
    assert _equal(a[7], b[7])
    assert _equal(a[-1], a[63])


def test_splits_and_seeds_differ(shapes):
    """Another split or seed gives different clips for the same index."""
    train, val, other = shapes("train"), shapes("val"), shapes("train", seed=1)
    for i in range(4):
        assert not torch.equal(train[i]["video"], val[i]["video"])
        assert not torch.equal(train[i]["video"], other[i]["video"])


def test_any_size(shapes):
    """frames, image_size, num_points and num_samples set every shape."""
    ds = shapes(frames=5, image_size=48, num_points=3, num_samples=10)
    s = ds[9]
    assert len(ds) == 10
    assert s["video"].shape == (5, 48, 48, 3) and s["video"].dtype == torch.uint8
    assert (
        s["tracks"].shape == (3, 5, 2)
        and s["visible"].shape == (3, 5)
        and s["query_points"].shape == (3, 3)
    )
    assert s["saliency"].shape == (5,) and s["moments"].shape == (1, 2)
    assert s["label"].dtype == torch.int64 and s["label"].ndim == 0 and s["fps"] == 8.0


def test_index_out_of_range(shapes):
    """Indexing past the end raises IndexError (so iteration stops)."""
    ds = shapes(num_samples=3)
    with pytest.raises(
        IndexError, match=r"sen/shapes@1 \(train\) has 3 samples; index 3 is out of range"
    ):
        ds[3]
    assert len(list(ds)) == 3


def test_antialias_and_noise_change_pixels_not_ground_truth(shapes):
    """Anti-aliasing and noise alter the pixels; labels, texts, moments and tracks stay the same."""
    plain, soft = shapes()[2], shapes(antialias=True, noise=4.0)[2]
    assert not torch.equal(plain["video"], soft["video"])
    for k in ("label", "caption", "question", "answer", "query", "moments", "saliency", "tracks"):
        assert _equal({k: plain[k]}, {k: soft[k]})
