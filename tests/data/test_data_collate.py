"""Batching sen_data samples: stacked tensors, lists of texts and moments, class names, fps."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader

from sen_core.data import collate_samples
from sen_core.errors import InputError


def test_collate_shapes_batch(shapes):
    """Three clips -> every field of the batch schema with the batch axis first."""
    ds = shapes(num_points=5)
    b = ds.collate([ds[i] for i in range(3)])
    assert b["video"].shape == (3, 8, 32, 32, 3) and b["video"].dtype == torch.uint8
    assert b["label"].shape == (3,) and b["label"].dtype == torch.int64
    assert b["saliency"].shape == (3, 8) and b["saliency"].dtype == torch.float32
    assert b["tracks"].shape == (3, 5, 8, 2) and b["tracks"].dtype == torch.float32
    assert b["visible"].shape == (3, 5, 8) and b["visible"].dtype == torch.bool
    assert b["query_points"].shape == (3, 5, 3)
    assert isinstance(b["moments"], list) and [m.shape for m in b["moments"]] == [(1, 2)] * 3
    for key in ("caption", "question", "answer", "query"):
        assert (
            isinstance(b[key], list)
            and len(b[key]) == 3
            and all(isinstance(s, str) for s in b[key])
        )
    assert b["class_names"] == ds.class_names and b["fps"] == 8.0


def test_dataloader_uses_collate(shapes):
    """A DataLoader with collate_fn=dataset.collate yields schema batches."""
    ds = shapes(num_samples=6)
    batches = list(DataLoader(ds, batch_size=4, collate_fn=ds.collate))
    assert [b["video"].shape[0] for b in batches] == [4, 2]


def test_fps_per_clip_when_clips_differ():
    """Clips at different rates give a (B,) float64 fps tensor instead of one float."""
    b = collate_samples([{"fps": 2.0}, {"fps": 3.0}])
    assert torch.equal(b["fps"], torch.tensor([2.0, 3.0], dtype=torch.float64))


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        ([], "cannot collate an empty list of samples"),
        (
            [{"video": torch.zeros(2)}, {"label": torch.tensor(1)}],
            "sample 1 has different fields from sample 0 (differing: label, video)",
        ),
        (
            [{"tracks": torch.zeros(2, 4, 2)}, {"tracks": torch.zeros(3, 4, 2)}],
            "field 'tracks' has different shapes across samples: [(2, 4, 2), (3, 4, 2)]",
        ),
    ],
)
def test_collate_errors(samples, message):
    """Empty batches, mismatched fields and mismatched shapes raise InputError saying which."""
    with pytest.raises(InputError) as err:
        collate_samples(samples)
    assert str(err.value) == message
